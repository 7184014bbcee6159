"""`leadflow webhook-listen`: a tiny receiver for trying webhooks locally. Verifies each delivery's
signature with the secret the webhook was created with and prints the event.

The secret comes from `LEADFLOW_WEBHOOK_SECRET` or `--secret-file`: a `--secret` on the command
line is readable by every user of the machine (`ps`), so it is still taken but warned about."""

import base64
import binascii
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

MAX_BODY = 1_000_000


def handler_for(secret: str | None) -> type[BaseHTTPRequestHandler]:
    verifier = Webhook(secret) if secret else None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                length = int(headers.get("content-length") or 0)
                if not 0 <= length <= MAX_BODY:
                    raise ValueError(f"a body of {length} bytes (at most {MAX_BODY})")
                body = self.rfile.read(length)
                event = verifier.verify(body, headers) if verifier else json.loads(body)
                verdict = "signature verified" if verifier else "not verified (no secret given)"
            except (WebhookVerificationError, ValueError) as error:
                print(f"refused: {error}", flush=True)
                self.send_response(400)
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()
            print(f"{event.get('type')} {event.get('subject')} ({verdict}, id {headers.get('webhook-id')})")
            print(json.dumps(event.get("data"), indent=2), flush=True)

        def log_message(self, format: str, *args: object) -> None:  # the events are the output
            pass

    return Handler


class ListenProblem(Exception):
    """Why the listener cannot start, in words."""


def chosen_secret(secret_file: Path | None, given: str | None) -> str | None:
    """The secret from a file, the environment or (warned about) the command line; checked."""
    if secret_file:
        try:
            secret: str | None = secret_file.read_text().strip()
        except OSError as error:
            raise ListenProblem(f"{secret_file} cannot be read: {error.strerror or error}") from None
    else:
        secret = os.environ.get("LEADFLOW_WEBHOOK_SECRET") or given
        if given and os.environ.get("LEADFLOW_WEBHOOK_SECRET"):
            sys.stderr.write("warning: --secret is ignored: LEADFLOW_WEBHOOK_SECRET is set\n")
        elif given:
            sys.stderr.write(
                "warning: --secret is readable by every user of this machine (ps); "
                "use LEADFLOW_WEBHOOK_SECRET or --secret-file\n"
            )
    if secret is not None and not is_webhook_secret(secret):
        raise ListenProblem("the secret is not a webhook secret (whsec_ and base64)")
    return secret


def is_webhook_secret(secret: str) -> bool:
    """As the webhooks service makes them; the library's own decoding would take almost anything."""
    try:
        return secret.startswith("whsec_") and len(base64.b64decode(secret[6:], validate=True)) >= 16
    except binascii.Error:
        return False


def listen(port: int, secret: str | None) -> None:
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(secret))
    except OSError as error:
        raise ListenProblem(f"port {port} cannot be listened on: {error.strerror or error}") from None
    print(f"listening on http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
