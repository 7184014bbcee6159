"""Slow and greedy clients against a running capture process: half-sent headers and bodies from
thousands of sockets. They are cut off in time and in number, while a legitimate client on
another address keeps its latency and /readyz stays 200."""

import asyncio
import contextlib
import math
import time

import httpx
import pytest
from harness import API_KEY, Latencies, eventually, is_ready, legitimate_posts

pytestmark = pytest.mark.e2e
LIMITS = {
    "CAPTURE_RATE_LIMIT": "0",
    "HTTP_HEADER_TIMEOUT_SECONDS": "2",
    "HTTP_BODY_TIMEOUT_SECONDS": "2",
    "HTTP_MAX_CONNECTIONS_PER_CLIENT": "50",
}


async def open_slow(
    host: str, port: int, request: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.2", 0))
    writer.write(request)
    await writer.drain()
    return reader, writer


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes | None:
    """What the server said before closing, or None if it still holds the socket."""
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except ConnectionError:
        return b""  # closed with unread data in its buffer: a reset
    except TimeoutError:
        return None


async def test_thousands_of_half_sent_requests_are_cut_off_and_real_leads_go_on(settings, start_service):
    url = start_service("capture", settings, **LIMITS)
    await eventually(lambda: is_ready(url), timeout=30)
    host, port = url.removeprefix("http://").split(":")
    baseline = Latencies("legitimate, before")
    await legitimate_posts(url, baseline, 20, tag="before")

    opening = time.monotonic()
    slow = [
        await open_slow(host, int(port), b"POST /v1/leads/popup HTTP/1.1\r\nhost: x\r\nx-slow: ")
        for _ in range(1500)
    ]
    opening = time.monotonic() - opening
    during = Latencies("legitimate, beside 1,500 sockets holding half-sent headers")
    await legitimate_posts(url, during, 20, tag="during")
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/readyz")).status_code == 200
    print(baseline.report(), during.report(), sep="\n")
    assert during.p95() < max(0.5, 10 * baseline.p95())

    answers = await asyncio.gather(*(closed_within(reader, 6) for reader, _ in slow))
    assert all(answer is not None for answer in answers), "every slow socket was closed by the server"
    timed_out = [a for a in answers if a.startswith(b"HTTP/1.1 408")]
    # At most 50 held at once, each until the header deadline (2 s): a slot a timed-out socket
    # left is taken by one opened after it when opening the 1,500 took longer (a loaded machine).
    held_in_turn = 50 * (1 + math.ceil(opening / 2))
    assert 0 < len(timed_out) <= held_in_turn, f"{len(timed_out)} held; opening took {opening:.1f} s"
    for _, writer in slow:
        with contextlib.suppress(Exception):
            writer.close()


# A route whose body capture reads itself, and routes whose body FastAPI parses (which answered
# a body too slow with its own 400 "error parsing the body", the 408 being its cause).
SLOW_BODIES = {
    "capture": "/v1/leads/popup",
    "scoring": "/v1/scoring/rules/preview",
    "webhooks": "/v1/webhooks",
}


@pytest.mark.parametrize("service", SLOW_BODIES)
async def test_a_body_that_does_not_arrive_in_time_is_refused(settings, start_service, service):
    url = start_service(service, settings, **LIMITS)
    await eventually(lambda: is_ready(url), timeout=30)
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await open_slow(
        host,
        int(port),
        f"POST {SLOW_BODIES[service]} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n".encode()
        + f"authorization: Bearer {API_KEY}\r\n".encode()
        + b'content-length: 200\r\n\r\n{"email": ',
    )
    answer = await asyncio.wait_for(reader.read(4096), 6)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408") and b"problem+json" in answer, answer[:300]
