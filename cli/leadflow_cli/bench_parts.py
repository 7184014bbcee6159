"""The pieces every bench shares: latency percentiles, the load generator run as a process, the
system's processes and their peak memory, arrivals read off a topic, and the reps leads go to.
`bench.py` and the benches beside it import from here, never from each other."""

import asyncio
import json
import subprocess
import sys
import threading
import time

import httpx
import psutil
from aiokafka import AIOKafkaConsumer

from leadflow_cli.infra import LocalSystem


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1)

    return {
        "count": len(ordered),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def load(url: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "leadflow_cli.loadgen", url, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


class PeakMemory:
    """Samples the resident memory of every process of the system, keeping each one's peak."""

    def __init__(self, processes: dict[str, psutil.Process]):
        self.processes, self.peaks = processes, dict.fromkeys(processes, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            for name, process in self.processes.items():
                try:
                    self.peaks[name] = max(self.peaks[name], process.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def system_processes(system: LocalSystem) -> dict[str, psutil.Process]:
    found = {}
    for child in psutil.Process(system.process.pid).children(recursive=True):
        command = " ".join(child.cmdline())
        for name in ("capture", "scoring", "routing", "console", "webhooks"):
            if f"leadflow-{name} serve" in command:
                found[name] = child
        if "tansu" in command:
            found["broker (tansu)"] = child
    postmaster = int((system.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    found["postgresql (postmaster)"] = psutil.Process(postmaster)
    return found


class Arrivals:
    """First arrival time (wall clock) of each lead's event on a topic, read as it happens."""

    def __init__(self, bootstrap: str, topic: str, event_type: str):
        self.bootstrap, self.topic, self.event_type = bootstrap, topic, event_type
        self.seen: dict[str, float] = {}

    async def run(self, ready: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="latest",
            enable_auto_commit=False,
            # Short, so the reader adds little to what it measures (tansu looks every ~50 ms).
            fetch_max_wait_ms=50,
        )
        await consumer.start()
        try:
            await consumer.seek_to_end()
            ready.set()
            while True:
                for records in (await consumer.getmany(timeout_ms=100)).values():
                    now = time.time()
                    for record in records:
                        event = json.loads(record.value)
                        if event["type"] == self.event_type:
                            self.seen.setdefault(event["subject"], now)
        finally:
            await consumer.stop()


async def wait_for(arrivals: Arrivals, lead_ids: set, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    # Polling: the readers fill plain dicts, and a benchmark's waits need no finer wake-up.
    while not lead_ids <= arrivals.seen.keys() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def create_reps(client: httpx.AsyncClient, routing: str) -> list[str]:
    """Twenty reps, senior and mid, with room for every lead the bench sends."""
    rep_ids = []
    for index in range(20):
        tier = "mid" if index % 2 else "senior"
        rep = {"name": f"{tier} {index}", "email": f"rep{index}@bench.example", "tier": tier}
        rep["capacity"] = 10_000
        created = await client.post(f"{routing}/v1/reps", json=rep)
        created.raise_for_status()
        rep_ids.append(created.json()["id"])
    return rep_ids
