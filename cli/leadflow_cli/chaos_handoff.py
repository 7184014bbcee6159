"""The hand-off in the fault run: the webhooks service runs (and is SIGKILLed) beside the others,
one endpoint subscribed to `lead.routed` answers 204 from this process, and the run checks that
every assigned lead's decision became exactly one delivery, however often it was redelivered."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

QUERIES = {
    "webhook_deliveries": "SELECT count(DISTINCT lead_id) FROM webhooks.deliveries"
    " WHERE event_type = 'lead.routed' AND lead_id = ANY(CAST(:leads AS text[]))",
    "webhook_doubled": "SELECT count(*) FROM (SELECT lead_id FROM webhooks.deliveries"
    " WHERE event_type = 'lead.routed' GROUP BY lead_id HAVING count(*) > 1) doubled",
}


class _Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


class Receiver:
    """An endpoint that takes every delivery (204), on a port of its own."""

    def __init__(self):
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"

    def start(self) -> "Receiver":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()


def subscribe(client: httpx.Client, webhooks_url: str, receiver: Receiver) -> None:
    endpoint = {"url": receiver.url, "events": ["lead.routed"]}
    created = client.post(f"{webhooks_url}/v1/webhooks", json=endpoint)
    created.raise_for_status()


def passed(settled: dict, accepted: int) -> bool:
    return settled["webhook_deliveries"] == accepted and settled["webhook_doubled"] == 0
