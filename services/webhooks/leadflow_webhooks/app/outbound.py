"""POSTs to URLs users gave (webhook endpoints, Slack incoming webhooks) without letting them
reach the service's own network: the name is resolved, every address checked, and the request
goes to the checked address (no second lookup a name could be re-pointed in); no redirects."""

import asyncio
import socket
from urllib.parse import urlsplit, urlunsplit
from urllib.request import getproxies

import httpx

from leadflow_webhooks.app.corked import CorkedTransport
from leadflow_webhooks.domain.addresses import check_resolved, check_url, literal_address


class OutboundClient:
    def __init__(self, allowed_hosts: frozenset[str], timeout: float, concurrency: int):
        self._allowed = allowed_hosts
        self._slots = asyncio.Semaphore(concurrency)
        # A proxy set in the environment is httpx's to use, as before; else the corked transport.
        transport = None if getproxies() else CorkedTransport()
        self._client = httpx.AsyncClient(follow_redirects=False, timeout=timeout, transport=transport)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """Raises RefusedTarget for an internal address, httpx errors for the rest."""
        host = check_url(url, self._allowed)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if literal_address(host) is None:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            address = check_resolved(host, [str(info[4][0]) for info in infos], self._allowed)
        else:
            address = host
        pinned = f"[{address}]" if ":" in address else address
        target = urlunsplit((parts.scheme, f"{pinned}:{port}", parts.path or "/", parts.query, ""))
        headers = {"host": parts.netloc.rsplit("@", 1)[-1], **headers}
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        async with self._slots:
            return await self._client.post(target, content=body, headers=headers, extensions=extensions)

    async def close(self) -> None:
        await self._client.aclose()


# What a failed POST is called in the delivery log, which admins read in the console: words, not
# the exception's class (the log has it).
FAILURES_IN_WORDS: tuple[tuple[type[Exception], str], ...] = (
    (httpx.ConnectTimeout, "the receiver did not take the connection in time"),
    (httpx.ConnectError, "could not connect to the receiver: nothing answered at its address"),
    (httpx.TimeoutException, "the receiver did not answer in time"),
    (httpx.RemoteProtocolError, "the receiver closed the connection without an HTTP answer"),
    (httpx.HTTPError, "the request to the receiver failed"),
    (OSError, "the request to the receiver failed"),
)


def failure_in_words(failure: Exception) -> str:
    return next(
        (words for kind, words in FAILURES_IN_WORDS if isinstance(failure, kind)), "the request failed"
    )
