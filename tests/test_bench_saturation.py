"""The bench's saturation phases: the consumers held still only while capture is measured alone,
let go even when the measurement fails, and what each capture phase accepted drained."""

import asyncio
import subprocess
import sys

import psutil
import pytest

from leadflow_cli.bench_parts import percentiles
from leadflow_cli.bench_saturation import held_still, measure_capture_alone, measure_saturation


@pytest.fixture
def sleepers():
    started = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) for _ in range(2)]
    yield [psutil.Process(process.pid) for process in started]
    for process in started:
        process.kill()
        process.wait()


def stopped(process: psutil.Process) -> bool:
    return process.status() == psutil.STATUS_STOPPED


def test_held_still_stops_and_lets_go_even_on_error(sleepers):
    with pytest.raises(RuntimeError), held_still(sleepers):
        assert all(stopped(process) for process in sleepers)
        raise RuntimeError("the load generator failed")
    assert not any(stopped(process) for process in sleepers)


def test_capture_is_measured_with_the_pipeline_and_alone(sleepers):
    scoring, routing = sleepers
    processes = {"scoring": scoring, "routing": routing}
    served = {"http://bare": 400, "http://naive": 200, "http://capture": 100}
    calls, drained = [], []

    def load(url: str, *args: str) -> dict:
        base = url.removesuffix("/v1/leads/landing-page")
        calls.append((base, stopped(scoring) and stopped(routing)))
        count = served[base] * (2 if calls.count((base, True)) else 1)  # alone: twice as fast
        results = [
            {"status": 202, "latency": 0.01, "lead_id": f"{base}-{len(calls)}-{n}"} for n in range(count)
        ]
        return {"elapsed": 1.0, "results": results}

    async def drain(lead_ids: set[str]) -> None:
        drained.append(len(lead_ids))

    yardsticks = {"bare": "http://bare", "naive durable": "http://naive"}

    async def bench() -> dict:
        saturation = await measure_saturation(load, percentiles, yardsticks, "http://capture", drain)
        await measure_capture_alone(
            load, percentiles, saturation, yardsticks, "http://capture", drain, processes
        )
        return saturation

    saturation = asyncio.run(bench())
    assert calls == [
        ("http://bare", False),
        ("http://naive", False),
        ("http://capture", False),
        ("http://capture", True),
    ]
    assert drained == [100, 200]
    assert saturation["capture"]["ratio to naive durable"] == 0.5
    assert saturation["capture alone"]["ratio to naive durable"] == 1.0
    assert saturation["capture alone"]["ratio to bare"] == 0.5
    assert not stopped(scoring) and not stopped(routing)
