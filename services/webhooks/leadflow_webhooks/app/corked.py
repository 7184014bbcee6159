"""httpx's transport, with each request written to the socket at once: httpcore writes a request's
head and its body (and an empty end) one after the other, a system call and, on a kept-alive
connection, a packet each; here they are held until the response is read, then written as one.
A webhook costs one write instead of two, the largest share of its CPU after the request's own
Python. Whether a kept-alive connection was closed meanwhile is asked of its socket directly.

Only where and how the bytes are written changes: the connection, its TLS, the pool, keep-alive
and timeouts are httpcore's own (the pool is httpx's, with this stream beneath it)."""

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

# A body larger than this is written as it comes (never more held in memory than this).
HELD_BYTES = 64 * 1024


class CorkedStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream):
        self._stream = stream
        self._held: list[bytes] = []
        self._size = 0
        self._socket: socket.socket | None = stream.get_extra_info("socket")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._size += len(buffer)
        if self._size > HELD_BYTES:
            await self._flush(timeout)

    async def _flush(self, timeout: float | None) -> None:
        held, self._held, self._size = b"".join(self._held), [], 0
        await self._stream.write(held, timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            try:
                await self._flush(timeout)
            except httpcore.WriteError:
                pass  # as httpcore does: the server may have answered before it closed; read it
        return await self._stream.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._held, self._size = [], 0
        await self._stream.aclose()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        if self._held:
            await self._flush(timeout)
        return CorkedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return _readable(self._socket)  # asked before each reuse: no lookup of the socket
        return self._stream.get_extra_info(info)


def _readable(sock: socket.socket) -> bool:
    """True when a read would not wait: data, or the peer's close (httpcore's own test)."""
    fd = sock.fileno()
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class CorkedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return CorkedStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return CorkedStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class CorkedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (no proxy: the request goes to the address checked), its pool on
    `CorkedBackend`, with httpx's default limits."""

    def __init__(self) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=CorkedBackend(),
        )
