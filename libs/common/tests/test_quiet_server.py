"""The services' uvicorn server ticks once a second instead of ten times, yet stops at once when
asked and still dates its answers."""

import email.utils
import signal
import subprocess
import sys
import time

import httpx

from leadflow_common.service import TICK_SECONDS

SCHEDULING_MARGIN_SECONDS = 1.0

SERVE = """
import sys
import uvicorn
from fastapi import FastAPI
from leadflow_common import service
from leadflow_common.service import QuietServer

service.TICK_SECONDS = float(sys.argv[2])

app = FastAPI()

@app.get("/")
def root():
    return {"ok": True}

QuietServer(uvicorn.Config(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None)).run()
"""


def serving(port: int, tick_seconds: float) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(tick_seconds)])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError("the server did not start")


def test_answers_are_dated_within_a_tick(unused_tcp_port):
    port = unused_tcp_port
    server = serving(port, TICK_SECONDS)
    try:
        # Long enough that a date never renewed after the start would be 5 s old or more.
        time.sleep(TICK_SECONDS * 5)
        asked = time.time()
        response = httpx.get(f"http://127.0.0.1:{port}/")
        dated = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
        # At most a tick old, plus the second the header's whole seconds drop, plus what a loaded
        # machine delays the tick by (a fresh-clone run failed at 2.005 s with no margin).
        assert -1 < asked - dated < TICK_SECONDS + 1 + SCHEDULING_MARGIN_SECONDS
    finally:
        server.kill()
        server.wait()


def test_a_signal_stops_it_at_once_not_at_the_next_tick(unused_tcp_port):
    port = unused_tcp_port
    server = serving(port, tick_seconds=60)
    try:
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        # uvicorn raises the signal again once it has shut down, as a process stopped by it.
        assert server.wait(timeout=30) == -signal.SIGTERM
        assert time.monotonic() - asked < 5
    finally:
        server.kill()
        server.wait()
