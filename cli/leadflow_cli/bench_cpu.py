"""CPU per lead, by process: what each process of the system spent (user + system time) while a
fixed rate of leads went through it end to end, divided by the leads; and the idle CPU before.

    python -m leadflow_cli.bench_cpu --rate 50 --seconds 20

PostgreSQL counts its postmaster, its live backends, and the backends that ended (the
postmaster's reaped children), so short-lived connections are not lost from the sum.
"""

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from leadflow_cli.bench_parts import Arrivals, create_reps, load, percentiles, system_processes

IDLE_SECONDS = 10


def cpu_seconds(process: psutil.Process, with_children: bool = False) -> float:
    try:
        times = process.cpu_times()
        total = times.user + times.system
        if with_children:
            total += times.children_user + times.children_system
            total += sum(cpu_seconds(child) for child in process.children())
        return total
    except psutil.Error:
        return 0.0


def snapshot(processes: dict[str, psutil.Process]) -> dict[str, float]:
    return {name: cpu_seconds(p, name.startswith("postgresql")) for name, p in processes.items()}


def per_lead(before: dict, after: dict, leads: int) -> dict[str, float]:
    spent = {name: (after[name] - before[name]) * 1000 / max(leads, 1) for name in before}
    spent["total"] = sum(spent.values())
    return {name: round(ms, 2) for name, ms in spent.items()}


def idle_cpu(processes: dict[str, psutil.Process], settle: float = 5, seconds: float = IDLE_SECONDS) -> dict:
    """Percent of one core each process uses while nothing is sent (after `settle` seconds for
    the start-up's own work to end)."""
    time.sleep(settle)
    before = snapshot(processes)
    time.sleep(seconds)
    after = snapshot(processes)
    shares = {name: (after[name] - before[name]) * 100 / seconds for name in before}
    shares["total"] = sum(shares.values())
    return {name: round(value, 2) for name, value in shares.items()}


COUNTERS = {"statements": "leadflow_db_statements_total", "transactions": "leadflow_db_transactions_total"}


async def round_trips(client: httpx.AsyncClient, services: dict[str, str]) -> dict[str, dict[str, float]]:
    """Each service's SQL statements and committed transactions so far (its `/metrics`)."""
    found = {}
    for name, url in services.items():
        text = (await client.get(f"{url}/metrics")).text
        values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
        found[name] = {kind: float(values.get(metric, 0)) for kind, metric in COUNTERS.items()}
    return found


def per_lead_trips(before: dict, after: dict, leads: int) -> dict[str, dict[str, float]]:
    spent = {
        kind: {name: round((after[name][kind] - before[name][kind]) / max(leads, 1), 2) for name in before}
        for kind in COUNTERS
    }
    for counts in spent.values():
        counts["total"] = round(sum(counts.values()), 2)
    return spent


@contextlib.asynccontextmanager
async def _no_handoff(*_):
    yield


async def measure_cpu(
    processes, probe, client, urls, rep_ids, load, rate: float, seconds: float, routed=None, handoff=True
) -> dict:
    """`rate` leads/s for `seconds` with the hand-off on (webhook and mail), counted until every
    lead reached the receiver and the rep's mail; without it (`handoff` False, the issue's first
    target), until every lead's `lead.routed` was read."""
    from leadflow_cli.bench_handoff import prepare_handoff, wait_handed_off
    from leadflow_cli.bench_parts import wait_for

    services = {name: url for name, url in urls.items()}
    async with (prepare_handoff if handoff else _no_handoff)(probe, client, urls, rep_ids):
        trips_before = await round_trips(client, services)
        before = snapshot(processes)
        run = await asyncio.to_thread(
            load, f"{urls['capture']}/v1/leads/landing-page", "--seconds", str(seconds), "--rate", str(rate)
        )
        posted = {r["lead_id"]: r["due"] for r in run["results"] if r["status"] == 202}
        if handoff:
            await wait_handed_off(probe, posted)
        else:
            await wait_for(routed, set(posted), 120)
        after = snapshot(processes)
        trips_after = await round_trips(client, services)
    return {
        "rate": rate,
        "handoff": handoff,
        "leads": len(posted),
        "cpu_ms_per_lead": per_lead(before, after, len(posted)),
        **{
            f"{kind}_per_lead": spent
            for kind, spent in per_lead_trips(trips_before, trips_after, len(posted)).items()
        },
        "post_to_routed": percentiles([routed.seen[k] - t for k, t in posted.items() if k in routed.seen])
        if routed
        else None,
        "post_to_webhook": percentiles(
            [probe.delivered[k] - t for k, t in posted.items() if k in probe.delivered]
        ),
        "post_to_mail": percentiles([probe.mailed[k] - t for k, t in posted.items() if k in probe.mailed]),
    }


def cpu_lines(cpu: dict, idle: dict) -> list[str]:
    """The bench report's rows: CPU per lead by process, idle CPU, and the latencies beside."""
    spent = " · ".join(f"{name} {ms}" for name, ms in cpu["cpu_ms_per_lead"].items() if name != "total")
    idle_by = " · ".join(f"{name} {share}" for name, share in idle.items() if name != "total")
    latency = " · ".join(
        f"{label} p50 {cpu[key]['p50_ms']} / p99 {cpu[key]['p99_ms']} ms"
        for key, label in (
            ("post_to_routed", "routed"),
            ("post_to_webhook", "webhook"),
            ("post_to_mail", "mail"),
        )
        if cpu.get(key)
    )
    return [
        f"| CPU per lead at {cpu['rate']:g}/s, hand-off on ({cpu['leads']} leads) "
        f"| **{cpu['cpu_ms_per_lead']['total']} ms**: {spent} | ≤ 8 ms at 50/s |",
        f"| idle CPU, % of one core | **{idle['total']}**: {idle_by} | ≤ 2% |",
        f"| in that run: POST → | {latency} | p99 ≤ 2 s (hand-off) |",
    ]


def main() -> int:
    from leadflow_cli.bench_handoff import HandoffProbe
    from leadflow_cli.infra import LocalSystem

    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--no-handoff", action="store_true", help="no webhook endpoint, no mail")
    args = parser.parse_args()
    probe = HandoffProbe()
    probe.start_smtp()
    with tempfile.TemporaryDirectory(prefix="leadflow-cpu-") as scratch:
        env = {"CAPTURE_RATE_LIMIT": "0", "LOG_LEVEL": "WARNING", "LEADFLOW_TRUSTED_PROXIES": "127.0.0.1/32"}
        # Without the hand-off, no mail server either: reps' mail is on by default.
        mail = {} if args.no_handoff else probe.system_env
        system = LocalSystem(Path(scratch) / "data", {**env, **mail}).start()
        try:
            processes = system_processes(system)
            idle = idle_cpu(processes)

            async def run() -> dict:
                from leadflow_common.topics import Topics

                urls = {
                    name: system.url(name)
                    for name in ("capture", "scoring", "routing", "webhooks", "console")
                }
                auth = {"Authorization": f"Bearer {system.api_key}"}
                routed = Arrivals(system.bootstrap_servers, Topics().routed, "lead.routed")
                ready = asyncio.Event()
                reader = asyncio.create_task(routed.run(ready))
                await ready.wait()
                try:
                    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
                        rep_ids = await create_reps(client, urls["routing"])
                        return await measure_cpu(
                            processes,
                            probe,
                            client,
                            urls,
                            rep_ids,
                            load,
                            args.rate,
                            args.seconds,
                            routed,
                            handoff=not args.no_handoff,
                        )
                finally:
                    reader.cancel()

            report = {"idle_percent_of_a_core": idle, **asyncio.run(run())}
        finally:
            system.stop()
            probe.stop_smtp()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
