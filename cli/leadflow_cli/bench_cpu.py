"""CPU per lead, by process: what each process of the system spent (user + system time) while a
fixed rate of leads went through it end to end, divided by the leads; and the idle CPU before.

    python -m leadflow_cli.bench_cpu --rate 50 --seconds 20

PostgreSQL counts its postmaster, its live backends, and the backends that ended (the
postmaster's reaped children), so short-lived connections are not lost from the sum.
"""

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

import httpx
import psutil

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


def idle_share(before: dict, after: dict, seconds: float) -> dict[str, float]:
    """Percent of one core each process used while nothing was sent."""
    shares = {name: (after[name] - before[name]) * 100 / seconds for name in before}
    shares["total"] = sum(shares.values())
    return {name: round(value, 2) for name, value in shares.items()}


async def measure_cpu(
    processes, probe, client, urls, rep_ids, load, rate: float, seconds: float, routed=None
) -> dict:
    """Idle CPU for a while, then `rate` leads/s for `seconds` with the hand-off on (webhook and
    mail), counted until every lead reached the receiver and the rep's mail."""
    from leadflow_cli.bench import percentiles
    from leadflow_cli.bench_handoff import prepare_handoff, wait_handed_off

    before = snapshot(processes)
    await asyncio.sleep(IDLE_SECONDS)
    idle = idle_share(before, snapshot(processes), IDLE_SECONDS)
    async with prepare_handoff(probe, client, urls, rep_ids):
        before = snapshot(processes)
        run = await asyncio.to_thread(
            load, f"{urls['capture']}/v1/leads/landing-page", "--seconds", str(seconds), "--rate", str(rate)
        )
        posted = {r["lead_id"]: r["due"] for r in run["results"] if r["status"] == 202}
        await wait_handed_off(probe, posted)
        after = snapshot(processes)
    return {
        "rate": rate,
        "leads": len(posted),
        "idle_percent_of_a_core": idle,
        "cpu_ms_per_lead": per_lead(before, after, len(posted)),
        "post_to_routed": percentiles([routed.seen[k] - t for k, t in posted.items() if k in routed.seen])
        if routed
        else None,
        "post_to_webhook": percentiles(
            [probe.delivered[k] - t for k, t in posted.items() if k in probe.delivered]
        ),
        "post_to_mail": percentiles([probe.mailed[k] - t for k, t in posted.items() if k in probe.mailed]),
    }


def main() -> int:
    from leadflow_cli.bench import load, system_processes
    from leadflow_cli.bench_handoff import HandoffProbe
    from leadflow_cli.infra import LocalSystem

    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    probe = HandoffProbe()
    probe.start_smtp()
    with tempfile.TemporaryDirectory(prefix="leadflow-cpu-") as scratch:
        env = {"CAPTURE_RATE_LIMIT": "0", "LOG_LEVEL": "WARNING", "LEADFLOW_TRUSTED_PROXIES": "127.0.0.1/32"}
        system = LocalSystem(Path(scratch) / "data", {**env, **probe.system_env}).start()
        try:
            processes = system_processes(system)

            async def run() -> dict:
                from leadflow_cli.bench import Arrivals, create_reps
                from leadflow_common.topics import Topics

                urls = {name: system.url(name) for name in ("capture", "routing", "webhooks")}
                auth = {"Authorization": f"Bearer {system.api_key}"}
                routed = Arrivals(system.bootstrap_servers, Topics().routed, "lead.routed")
                ready = asyncio.Event()
                reader = asyncio.create_task(routed.run(ready))
                await ready.wait()
                try:
                    async with httpx.AsyncClient(headers=auth, timeout=30) as client:
                        rep_ids = await create_reps(client, urls["routing"])
                        return await measure_cpu(
                            processes, probe, client, urls, rep_ids, load, args.rate, args.seconds, routed
                        )
                finally:
                    reader.cancel()

            report = asyncio.run(run())
        finally:
            system.stop()
            probe.stop_smtp()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
