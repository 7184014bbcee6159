"""The load generator `make bench` runs in its own process: posts leads to one URL, either as
fast as `concurrency` connections allow (saturation) or at a fixed rate (open loop: latency is
measured from the moment each request was due, so a stalled server cannot hide its delay).

    python -m leadflow_cli.loadgen URL --seconds 10 --concurrency 32
    python -m leadflow_cli.loadgen URL --seconds 10 --rate 500

Prints one JSON object: the requests sent, statuses, and per request (due time, latency, lead id).
"""

import argparse
import asyncio
import json
import time
import uuid

import aiohttp


def lead_body(run: str, number: int) -> dict:
    """A warm B2B lead (routed to a mid rep) with an email of its own, so no two requests, in
    this run or another, are the same person."""
    return {
        "email": f"bench-{run}-{number}@example.com",
        "first_name": "Bench",
        "job_title": "CTO",
        "company": "Bench Corp",
        "company_size": "1000+",
        "consent": {"email": True},
        "attribution": {"source": "referral", "campaign": "bench"},
    }


async def send(session: aiohttp.ClientSession, url: str, body: dict, due: float, results: list) -> None:
    try:
        async with session.post(url, json=body) as response:
            status = response.status
            lead_id = (await response.json()).get("lead_id") if status == 202 else None
    except (aiohttp.ClientError, TimeoutError) as error:
        status, lead_id = type(error).__name__, None
    results.append({"due": due, "latency": time.time() - due, "status": status, "lead_id": lead_id})


def session(connections: int) -> aiohttp.ClientSession:
    # aiohttp rather than httpx: with hundreds of requests in flight the client must stay cheap,
    # or the benchmark measures its own load generator.
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections), timeout=aiohttp.ClientTimeout(total=120)
    )


async def saturate(url: str, seconds: float, concurrency: int, run: str) -> list:
    results: list = []
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds
    async with session(concurrency) as client:

        async def worker() -> None:
            while time.monotonic() < deadline:
                await send(client, url, lead_body(run, next(counter)), time.time(), results)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


async def fixed_rate(url: str, seconds: float, rate: float, run: str) -> list:
    results: list = []
    tasks = []
    async with session(256) as client:
        start = time.time()
        for number in range(int(seconds * rate)):
            due = start + number / rate
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(client, url, lead_body(run, number), due, results)))
        await asyncio.gather(*tasks)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int)
    parser.add_argument("--rate", type=float)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    started = time.time()
    if args.rate:
        results = asyncio.run(fixed_rate(args.url, args.seconds, args.rate, run))
    else:
        results = asyncio.run(saturate(args.url, args.seconds, args.concurrency or 32, run))
    print(json.dumps({"started": started, "elapsed": time.time() - started, "results": results}))


if __name__ == "__main__":
    main()
