"""`make bench`: throughput, latency and memory of the whole system on this machine.

Starts a system of its own (`leadflow run` on free ports, rate limit off), or uses the one the
environment names (see GivenSystem), and, in the same run, two yardsticks (`leadflow_cli.bare`):
a bare FastAPI endpoint with the same body model and server settings, and a naive durable one
that also INSERTs each submission with a commit per request. Load comes from separate processes
(`leadflow_cli.loadgen`). Measures: capture throughput at saturation, alone and with the
pipeline running, as a ratio to each yardstick (`bench_saturation.py`); capture latency at 100
and 500 leads/s; POST → `lead.routed` latency (read from the topic); the knee (the highest rate
whose POST → `lead.routed` p99 stays ≤ 1 s); activity → `lead.scored` latency; POST → signed
webhook and POST → the rep's mail at 50 and 100 leads/s; CPU per lead by process and idle CPU;
the peak RSS of every process. Writes reports/bench.json, reports/bench.md and
reports/bench-latency.png.
"""

import asyncio
import functools
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from leadflow_cli.bare import start_yardstick, system_database
from leadflow_cli.bench_cpu import idle_cpu, measure_cpu
from leadflow_cli.bench_handoff import HandoffProbe, measure_handoff, set_mail
from leadflow_cli.bench_parts import (
    Arrivals,
    PeakMemory,
    create_reps,
    load,
    percentiles,
    system_processes,
    wait_for,
)
from leadflow_cli.bench_report import markdown, plot
from leadflow_cli.bench_saturation import measure_capture_alone, measure_saturation
from leadflow_cli.infra import LocalSystem, port_open, wait_until
from leadflow_cli.reaper import Reaper
from leadflow_cli.run import stop_with_parent
from leadflow_common.topics import Topics

RATES = (100, 500)
KNEE_RATES, KNEE_P99_MS = (100, 150, 200, 250, 300, 400, 500), 1000
RATE_SECONDS = 10
ACTIVITY_SAMPLES = 300
CPU_RATE, CPU_SECONDS = 50, 30  # CPU per lead by process, with the whole hand-off on
TARGETS = {
    "capture_ratio": 0.6,
    "capture_to_naive_durable": 1.0,
    "capture_p99_ms_at_500": 20,
    "routed_p50_ms_at_500": 100,
    "routed_p99_ms_at_500": 500,
    "scored_p99_ms": 300,
    "rss_mb": 150,
}


async def find_knee(capture: str, routed: Arrivals) -> dict:
    """The highest offered rate whose POST → lead.routed p99 stays within KNEE_P99_MS: rates
    rising, RATE_SECONDS each, every lead drained before the next; stops at the first above."""
    steps, knee = {}, None
    for rate in KNEE_RATES:
        run = await asyncio.to_thread(
            load, f"{capture}/v1/leads/landing-page", "--seconds", str(RATE_SECONDS), "--rate", str(rate)
        )
        ok = [r for r in run["results"] if r["status"] == 202]
        await wait_for(routed, {r["lead_id"] for r in ok}, timeout=300)
        steps[str(rate)] = percentiles(
            [routed.seen[r["lead_id"]] - r["due"] for r in ok if r["lead_id"] in routed.seen]
        )
        if len(ok) < len(run["results"]) or steps[str(rate)].get("p99_ms", KNEE_P99_MS + 1) > KNEE_P99_MS:
            break
        knee = rate
    return {"rate": knee, "steps": steps}


async def latency_at_rates(capture: str, routed: Arrivals) -> tuple[dict, list[str]]:
    """Capture's latency and POST → lead.routed at each of RATES; and the last rate's lead ids."""
    rates: dict = {}
    last_batch: list[str] = []
    for rate in RATES:
        run = await asyncio.to_thread(
            load, f"{capture}/v1/leads/landing-page", "--seconds", str(RATE_SECONDS), "--rate", str(rate)
        )
        ok = [r for r in run["results"] if r["status"] == 202]
        await wait_for(routed, {r["lead_id"] for r in ok}, timeout=300)
        to_routed = [routed.seen[r["lead_id"]] - r["due"] for r in ok if r["lead_id"] in routed.seen]
        rates[str(rate)] = {
            "achieved_per_second": round(len(ok) / run["elapsed"], 1),
            "errors": len(run["results"]) - len(ok),
            "capture": percentiles([r["latency"] for r in ok]),
            "post_to_routed": percentiles(to_routed),
            "routed": len(to_routed),
        }
        last_batch = [r["lead_id"] for r in ok]
    return rates, last_batch


async def activity_to_scored(
    capture: str, auth: dict[str, str], scored: Arrivals, samples: list[str]
) -> dict:
    """An activity → its `lead.scored`, for leads scored once already, 50 activities a second."""
    for lead_id in samples:  # their first score was seen already; the next one counts
        scored.seen.pop(lead_id, None)
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
        for lead_id in samples:
            started = time.time()
            response = await client.post(
                f"{capture}/v1/activities", json={"lead_id": lead_id, "type": "demo_requested"}
            )
            if response.status_code == 202:
                sent[lead_id] = started
            await asyncio.sleep(max(0.0, 0.02 - (time.time() - started)))
    await wait_for(scored, set(sent), timeout=120)
    return percentiles([scored.seen[k] - t for k, t in sent.items() if k in scored.seen])


async def measure(
    system: "LocalSystem | GivenSystem",
    yardsticks: dict[str, str],
    probe: HandoffProbe | None,
    processes: dict,
) -> dict:
    """`yardsticks`: the bare endpoint's URL and, when a database was given, the naive durable one's."""
    capture, routing = system.url("capture"), system.url("routing")
    auth = {"Authorization": f"Bearer {system.api_key}"}
    topics = Topics(prefix=os.environ.get("LEADFLOW_TOPIC_PREFIX", ""))
    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
        rep_ids = await create_reps(client, routing)
        if probe:  # no mail until the hand-off phase: the earlier figures stay comparable
            await set_mail(client, system.url("webhooks"), rep_ids, on=False)
    routed = Arrivals(system.bootstrap_servers, topics.routed, "lead.routed")
    scored = Arrivals(system.bootstrap_servers, topics.scored, "lead.scored")
    ready = [asyncio.Event(), asyncio.Event()]
    readers = [asyncio.create_task(routed.run(ready[0])), asyncio.create_task(scored.run(ready[1]))]
    await asyncio.gather(*(event.wait() for event in ready))
    report: dict = {}
    try:
        drained = functools.partial(wait_for, routed, timeout=300)
        report["saturation"] = await measure_saturation(load, percentiles, yardsticks, capture, drained)

        report["rates"], last_batch = await latency_at_rates(capture, routed)
        report["activity_to_scored"] = await activity_to_scored(
            capture, auth, scored, last_batch[:ACTIVITY_SAMPLES]
        )
        report["knee"] = await find_knee(capture, routed)
        if probe:
            async with httpx.AsyncClient(headers=auth, timeout=30) as client:
                urls = {"capture": capture, "webhooks": system.url("webhooks")}
                report["handoff"] = await measure_handoff(probe, client, urls, rep_ids, load, percentiles)
                counted = {**urls, **{name: system.url(name) for name in ("scoring", "routing", "console")}}
                report["cpu"] = await measure_cpu(
                    processes, probe, client, counted, rep_ids, load, CPU_RATE, CPU_SECONDS, routed
                )
        await measure_capture_alone(
            load, percentiles, report["saturation"], yardsticks, capture, drained, processes
        )
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return report


@dataclass(frozen=True)
class GivenSystem:
    """A running system named by the environment (docker compose, say): BENCH_CAPTURE_URL,
    BENCH_ROUTING_URL, KAFKA_BOOTSTRAP_SERVERS and LEADFLOW_API_KEY. Its capture must run with
    CAPTURE_RATE_LIMIT=0. Its memory is not measured: its processes are not the bench's."""

    capture_url: str
    routing_url: str
    bootstrap_servers: str
    api_key: str

    def url(self, service: str) -> str:
        return {"capture": self.capture_url, "routing": self.routing_url}[service]

    @staticmethod
    def from_environment() -> "GivenSystem | None":
        if not os.environ.get("BENCH_CAPTURE_URL"):
            return None
        return GivenSystem(
            os.environ["BENCH_CAPTURE_URL"].rstrip("/"),
            os.environ["BENCH_ROUTING_URL"].rstrip("/"),
            os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            os.environ["LEADFLOW_API_KEY"],
        )


def main(output_dir: Path) -> int:
    # SIGTERM unwinds like Ctrl-C, so what was started is stopped; a SIGKILL of this process
    # leaves it to the reaper, and one of its parent (make) is a SIGTERM here.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    stop_with_parent()
    reaper = Reaper()
    output_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as scratch:
            reaper.watch_scratch(Path(scratch))
            report = _measure(Path(scratch), reaper)
    finally:
        reaper.release()
    report["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    report["machine"] = f"{psutil.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB"
    report["targets"] = TARGETS
    (output_dir / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (output_dir / "bench.md").write_text(markdown(report))
    plot(report, output_dir / "bench-latency.png")
    print(markdown(report))
    print(f"reports: {output_dir}/bench.json, bench.md, bench-latency.png")
    return 0


def _measure(scratch: Path, reaper: Reaper) -> dict:
    """The system given by the environment, or one started here, measured beside the yardsticks."""
    given = GivenSystem.from_environment()
    probe = None if given else HandoffProbe()
    if probe:
        probe.start_smtp()
    system = (
        given
        or LocalSystem(
            scratch / "data",
            # The load generator stands for many visitors arriving through a proxy: trusted
            # as production trusts its ingress, so the per-client socket cap does not apply.
            {
                "CAPTURE_RATE_LIMIT": "0",
                "LOG_LEVEL": "WARNING",
                "LEADFLOW_TRUSTED_PROXIES": "127.0.0.1/32",
                **probe.system_env,
            },
        ).start()
    )
    if isinstance(system, LocalSystem) and system.process:
        reaper.watch_service(system.process.pid)  # `leadflow run` then stops what it started
    database = os.environ.get("BENCH_DATABASE_URL") if given else system_database(system)
    yardsticks = {"bare": start_yardstick()}
    if database:
        yardsticks["naive durable"] = start_yardstick("--database", database)
    for process, _ in yardsticks.values():
        reaper.watch_service(process.pid)
    try:
        for name, (_, url) in yardsticks.items():
            port = int(url.rsplit(":", 1)[1])
            wait_until(
                lambda port=port: port_open("127.0.0.1", port), timeout=30, what=f"the {name} endpoint"
            )
        processes = {} if given else system_processes(system)
        # Before the bench's own topic readers start: their polls are not the system's.
        idle = {} if given else idle_cpu(processes)
        endpoints = {
            f"{name} endpoint": psutil.Process(process.pid) for name, (process, _) in yardsticks.items()
        }
        with PeakMemory({**processes, **endpoints}) as memory:
            urls = {name: url for name, (_, url) in yardsticks.items()}
            report = asyncio.run(measure(system, urls, probe, processes))
        if idle:
            report["idle_percent_of_a_core"] = idle
        report["peak_rss_mb"] = {name: round(peak / 2**20, 1) for name, peak in memory.peaks.items()}
        report["system"] = "given by the environment" if given else "started by the bench"
    finally:
        for process, _ in yardsticks.values():
            process.terminate()
        if not given:
            system.stop()
            probe.stop_smtp()
    return report
