"""A service stops in bounded time: background work that does not end when cancelled (a broker
client stuck mid-rebalance, seen once as a test that never ended) is given up on, said in the
log, and the rest of the shutdown (the relay's last batch, the producer, the pool) goes on."""

import asyncio
import logging
import time

import pytest
from harness import capture_in_process

from leadflow_common import runtime as runtime_module

pytestmark = pytest.mark.integration


async def test_a_task_that_ignores_its_cancellation_does_not_hold_the_service_open(
    settings, monkeypatch, caplog
):
    monkeypatch.setattr(runtime_module, "SHUTDOWN_GRACE_SECONDS", 1.0)
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                continue  # swallowed: this task never ends by itself

    # The service's logging may not reach the root logger: the handler goes on the runtime's.
    monkeypatch.setattr(logging.getLogger("leadflow_common.runtime"), "handlers", [caplog.handler])
    async with capture_in_process(settings) as (client, app):
        app.state.runtime.background(stubborn(), name="stubborn")
        await asyncio.sleep(0.1)  # started: a task cancelled before its first step just ends
        assert (await client.get("/healthz")).status_code == 200
        started = time.monotonic()
    took = time.monotonic() - started
    released.set()
    assert took < 1.0 + 10.0 + 5.0, f"the shutdown took {took:.1f} s"
    stuck = [r for r in caplog.records if r.getMessage() == "background work did not stop in time"]
    assert stuck and "stubborn" in stuck[0].tasks
