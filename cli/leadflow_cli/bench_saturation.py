"""The bench's saturation phase: capture's throughput against the yardsticks (`bare.py`), as fast
as 32 connections allow, SATURATION_SECONDS each, in one run.

Capture is measured twice. With the pipeline running, its throughput is what the whole system
takes in while scoring, routing, the console and the webhooks work through the same leads on the
same cores — the yardsticks have nothing behind them. Alone (last in the bench), the consumers
are held still (SIGSTOP) while capture takes the load, then let go (SIGCONT) and drained:
capture's own ceiling, with its relay and the broker, as the naive durable endpoint's is its
own. The broker drops the held services from their groups; they rejoin when let go, and
redeliveries are dropped by event id.
"""

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable, Iterator

import psutil

SATURATION_SECONDS = 10
CONCURRENCY = 32
# Everything but capture that takes the leads capture publishes.
CONSUMERS = ("scoring", "routing", "console", "webhooks")


@contextlib.contextmanager
def held_still(processes: list[psutil.Process]) -> Iterator[None]:
    """These processes stopped (not one instruction run) inside the block, and let go after it."""
    try:
        for process in processes:
            process.send_signal(signal.SIGSTOP)
        # A signal is delivered when the kernel next schedules the process: the load starts after.
        deadline = time.monotonic() + 5
        while any(process.status() != psutil.STATUS_STOPPED for process in processes):
            if time.monotonic() > deadline:
                raise RuntimeError("the consumers did not stop")
            time.sleep(0.01)
        yield
    finally:
        for process in processes:
            with contextlib.suppress(psutil.Error):
                process.send_signal(signal.SIGCONT)


def _saturate(
    load: Callable[..., dict], percentiles: Callable[[list[float]], dict], url: str
) -> tuple[dict, set[str]]:
    """`url` as fast as CONCURRENCY connections allow: its figures, and the leads it accepted."""
    run = load(
        f"{url}/v1/leads/landing-page",
        "--seconds",
        str(SATURATION_SECONDS),
        "--concurrency",
        str(CONCURRENCY),
    )
    ok = [r for r in run["results"] if r["status"] == 202]
    figures = {
        "requests_per_second": round(len(ok) / run["elapsed"], 1),
        "errors": len(run["results"]) - len(ok),
        **percentiles([r["latency"] for r in ok]),
    }
    return figures, {r["lead_id"] for r in ok}


def _with_ratios(figures: dict, saturation: dict, yardsticks: dict[str, str]) -> dict:
    for yardstick in yardsticks:
        ratio = figures["requests_per_second"] / saturation[yardstick]["requests_per_second"]
        figures[f"ratio to {yardstick}"] = round(ratio, 3)
    return figures


async def measure_saturation(
    load: Callable[..., dict],
    percentiles: Callable[[list[float]], dict],
    yardsticks: dict[str, str],
    capture: str,
    drained: Callable[[set[str]], Awaitable[None]],
) -> dict:
    """Each yardstick, then capture with the pipeline running, and capture's ratios to them.
    `drained(lead_ids)` waits until these leads were routed."""
    saturation = {}
    for name, url in yardsticks.items():
        saturation[name], _ = await asyncio.to_thread(_saturate, load, percentiles, url)
    figures, accepted = await asyncio.to_thread(_saturate, load, percentiles, capture)
    saturation["capture"] = _with_ratios(figures, saturation, yardsticks)
    await drained(accepted)
    return saturation


async def measure_capture_alone(
    load: Callable[..., dict],
    percentiles: Callable[[list[float]], dict],
    saturation: dict,
    yardsticks: dict[str, str],
    capture: str,
    drained: Callable[[set[str]], Awaitable[None]],
    processes: dict[str, psutil.Process],
) -> None:
    """Capture with the consumers held still, into `saturation` with its ratios to the yardsticks
    measured before. Last in the bench: the leads it takes in are drained afterwards, a backlog
    that no other phase should run behind."""
    consumers = [processes[name] for name in CONSUMERS if name in processes]
    if not consumers:
        return  # a system the bench did not start: its processes are not the bench's to stop
    with held_still(consumers):
        figures, accepted = await asyncio.to_thread(_saturate, load, percentiles, capture)
    saturation["capture alone"] = _with_ratios(figures, saturation, yardsticks)
    await drained(accepted)


def saturation_lines(saturation: dict) -> list[str]:
    """The bench report's rows: capture alone and with the pipeline, against each yardstick."""
    lines = []
    for name, label in (
        ("capture alone", "capture alone at saturation (the consumers held still)"),
        ("capture", "capture at saturation, the pipeline working on the same cores"),
    ):
        if name not in saturation:
            continue
        ratios = " · ".join(
            f"**{saturation[name][f'ratio to {yardstick}']}** of the {yardstick} endpoint "
            f"({saturation[yardstick]['requests_per_second']}/s)"
            for yardstick in ("naive durable", "bare")
            if yardstick in saturation
        )
        lines.append(
            f"| {label} | {saturation[name]['requests_per_second']}/s = {ratios} "
            "| ≥ 1.0 of the naive durable one; ≥ 0.6 of the bare one |"
        )
    return lines
