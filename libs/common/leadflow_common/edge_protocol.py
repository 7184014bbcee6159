"""uvicorn's HTTP protocol with the deadlines and caps a public server needs against slow and
greedy clients, before any request reaches the app:

- a request's line and headers must arrive within `header_timeout` of the connection opening
  (or of the request's first byte on a kept-alive connection), else 408 and the socket closes;
- they may take at most `max_header_bytes`, else 431;
- one client address holds at most `max_connections_per_client` sockets; more are closed at
  once. Trusted proxies are exempt: behind one, the proxy's own limits apply (deploy/README.md).

The body's deadline and size are the app's (`BodyLimitMiddleware`), where the route is known.
"""

import asyncio
from collections import Counter
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from leadflow_common import metrics
from leadflow_common.clients import IPNetwork, is_trusted_proxy


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float
    max_header_bytes: int
    max_connections_per_client: int
    trusted_proxies: tuple[IPNetwork, ...] = ()


class GuardedHttpProtocol(HttpToolsProtocol):
    limits: ConnectionLimits  # set on the subclass `protocol_with` makes
    open_per_client: Counter[str]  # shared by every connection of the process

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refused = False
        self._header_bytes = 0
        self._deadline: asyncio.TimerHandle | None = None
        host = self.client[0] if self.client else None
        self._counted_as = None if is_trusted_proxy(host, self.limits.trusted_proxies) else host
        if self._counted_as is not None:
            self.open_per_client[self._counted_as] += 1
            if self.open_per_client[self._counted_as] > self.limits.max_connections_per_client:
                metrics.CONNECTIONS_REFUSED.labels(reason="too_many_connections").inc()
                self._refused = True
                transport.close()
                return
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        if self._counted_as is not None:
            self.open_per_client[self._counted_as] -= 1
            if self.open_per_client[self._counted_as] <= 0:
                del self.open_per_client[self._counted_as]
            self._counted_as = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._refused:
            super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._deadline is None:
            self._arm_deadline()

    def on_url(self, url: bytes) -> None:
        if self._counts(len(url)):
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._counts(len(name) + len(value)):
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._disarm_deadline()
        if not self._refused:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused and self.cycle is not None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused and self.cycle is not None:
            super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if not self._refused:
            super().send_400_response(msg)

    def _counts(self, size: int) -> bool:
        if self._refused:
            return False
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes:
            self._refuse(431, "request_headers_too_large")
            return False
        return True

    def _arm_deadline(self) -> None:
        self._deadline = self.loop.call_later(self.limits.header_timeout, self._headers_too_slow)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        # Armed only while a request's headers are awaited: between requests of a kept-alive
        # connection, uvicorn's keep-alive timer closes an idle socket.
        self._deadline = None
        self._refuse(408, "header_timeout")

    def _refuse(self, status: int, reason: str) -> None:
        metrics.CONNECTIONS_REFUSED.labels(reason=reason).inc()
        self._refused = True
        self._disarm_deadline()
        if not self.transport.is_closing():
            self.transport.write(STATUS_LINE[status] + b"content-length: 0\r\nconnection: close\r\n\r\n")
            self.transport.close()


def protocol_with(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """A protocol class bound to these limits, for `uvicorn.run(http=...)`."""
    return type(
        "GuardedHttpProtocol",
        (GuardedHttpProtocol,),
        {"limits": limits, "open_per_client": Counter()},
    )
