"""`leadflow webhook-listen`, the local receiver, as a process: the secret from the environment
(never on the command line, which every user can read), signatures verified, bad input refused."""

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from standardwebhooks import Webhook

from leadflow_cli.infra import free_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
LEADFLOW = str(Path(sys.executable).parent / "leadflow")


def test_the_listener_verifies_with_the_secret_from_the_environment_and_refuses_forgeries():
    port = free_port()
    env = {**os.environ, "LEADFLOW_WEBHOOK_SECRET": SECRET}
    listener = subprocess.Popen(
        [LEADFLOW, "webhook-listen", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert SECRET not in " ".join(listener.args)
        body = json.dumps({"type": "lead.routed", "subject": "lead-1", "data": {"rep": "Ada"}})
        signed_at = datetime.now(UTC)
        signed = {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(signed_at.timestamp())),
            "webhook-signature": Webhook(SECRET).sign("msg_1", signed_at, body),
        }
        url = f"http://127.0.0.1:{port}/"
        with httpx.Client() as client:
            deadline = time.monotonic() + 20
            while True:  # until it listens
                try:
                    delivered = client.post(url, content=body, headers=signed)
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the listener did not start"
                    time.sleep(0.1)
            forged = client.post(url, content=body.replace("Ada", "Eve"), headers=signed)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as unsized:
            unsized.sendall(b"POST / HTTP/1.1\r\nHost: here\r\nContent-Length: lots\r\n\r\n{}")
            answered = unsized.recv(100)
        assert (delivered.status_code, forged.status_code) == (204, 400)
        assert answered.startswith(b"HTTP/1.0 400 "), answered
    finally:
        listener.terminate()
        out, _ = listener.communicate(timeout=10)
    assert "lead.routed lead-1 (signature verified, id msg_1)" in out
    assert '"rep": "Ada"' in out and "Eve" not in out
    assert out.count("refused: ") == 2


def test_a_secret_that_is_not_one_and_a_port_in_use_are_said_in_words(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("not-a-secret!\n")
    bad = subprocess.run(
        [LEADFLOW, "webhook-listen", "--secret-file", str(secret_file)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert (
        bad.stderr.strip()
        == "leadflow webhook-listen: the secret is not a webhook secret (whsec_ and base64)"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [LEADFLOW, "webhook-listen", "--port", str(port)], capture_output=True, text=True
        )
    assert busy.returncode == 1 and busy.stderr.strip() == (
        f"leadflow webhook-listen: port {port} cannot be listened on: Address already in use"
    )
    on_command_line = subprocess.Popen(
        [LEADFLOW, "webhook-listen", "--port", str(free_port()), "--secret", SECRET],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert on_command_line.stdout and on_command_line.stdout.readline().startswith("listening on http")
    on_command_line.terminate()
    _, warned = on_command_line.communicate(timeout=10)
    assert "--secret is readable by every user of this machine (ps)" in warned
