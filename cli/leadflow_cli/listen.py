"""`leadflow webhook-listen`: a tiny receiver for trying webhooks locally. Verifies each delivery's
signature with the secret the webhook was created with and prints the event."""

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

MAX_BODY = 1_000_000


def handler_for(secret: str | None) -> type[BaseHTTPRequestHandler]:
    verifier = Webhook(secret) if secret else None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("content-length") or 0), MAX_BODY)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                event = verifier.verify(body, headers) if verifier else json.loads(body)
                verdict = "signature verified" if verifier else "not verified (no --secret)"
            except (WebhookVerificationError, ValueError) as error:
                self.send_response(400)
                self.end_headers()
                print(f"refused: {error}", flush=True)
                return
            self.send_response(204)
            self.end_headers()
            print(f"{event.get('type')} {event.get('subject')} ({verdict}, id {headers.get('webhook-id')})")
            print(json.dumps(event.get("data"), indent=2), flush=True)

        def log_message(self, format: str, *args: object) -> None:  # the events are the output
            pass

    return Handler


def listen(port: int, secret: str | None) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(secret))
    print(f"listening on http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
