"""The corked transport: a request reaches the socket in one write, its bytes unchanged, on a
kept-alive connection to the address it was given; a write error still lets the answer be read."""

import asyncio

import httpcore
import httpx

from leadflow_cli.infra import free_port
from leadflow_webhooks.app.corked import CorkedStream, CorkedTransport


class FakeStream(httpcore.AsyncNetworkStream):
    def __init__(self, answer: bytes = b"", fail_writes: bool = False):
        self.writes: list[bytes] = []
        self._answer = answer
        self._fail = fail_writes

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        answer, self._answer = self._answer[:max_bytes], self._answer[max_bytes:]
        return answer

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._fail:
            raise httpcore.WriteError("closed by the peer")
        self.writes.append(buffer)

    async def aclose(self) -> None:
        pass

    def get_extra_info(self, info: str) -> object:
        return None


async def test_a_request_s_parts_are_written_once_when_its_answer_is_read():
    inner = FakeStream(answer=b"HTTP/1.1 204 No Content\r\n\r\n")
    stream = CorkedStream(inner)
    await stream.write(b"POST /hook HTTP/1.1\r\n\r\n")
    await stream.write(b"")
    await stream.write(b"{}")
    assert inner.writes == []
    assert await stream.read(65536) == b"HTTP/1.1 204 No Content\r\n\r\n"
    assert inner.writes == [b"POST /hook HTTP/1.1\r\n\r\n{}"]


async def test_a_large_body_is_written_as_it_comes():
    inner = FakeStream()
    stream = CorkedStream(inner)
    await stream.write(b"x" * 70_000)
    assert inner.writes == [b"x" * 70_000]


async def test_a_failed_write_still_lets_the_answer_be_read():
    inner = FakeStream(answer=b"HTTP/1.1 413 Too Large\r\n\r\n", fail_writes=True)
    stream = CorkedStream(inner)
    await stream.write(b"POST / HTTP/1.1\r\n\r\n")
    assert await stream.read(65536) == b"HTTP/1.1 413 Too Large\r\n\r\n"


async def test_requests_arrive_whole_in_order_on_one_kept_alive_connection():
    received: list[tuple[bytes, bytes]] = []
    peers: set[int] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.add(writer.get_extra_info("peername")[1])
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break  # the client closed the connection
            lines = head.split(b"\r\n")
            length = next(
                int(line.split(b":")[1]) for line in lines if line.lower().startswith(b"content-length")
            )
            received.append((lines[0], await reader.readexactly(length)))
            writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            await writer.drain()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    try:
        async with httpx.AsyncClient(transport=CorkedTransport()) as client:
            for number in range(3):
                answer = await client.post(f"http://127.0.0.1:{port}/hook", content=b'{"n":%d}' % number)
                assert answer.status_code == 204
    finally:
        server.close()
    assert received == [(b"POST /hook HTTP/1.1", b'{"n":%d}' % number) for number in range(3)]
    assert len(peers) == 1
