"""What matching leads to accounts costs capture, in statements and transactions per lead,
beside the same traffic with matching switched off (the real database and broker, the app
in-process). Leads arrive twenty at a time, so the writer commits them in batches as it does
under load. Printed; the test holds the cost under a bound."""

import asyncio
import time

import pytest
from harness import AUTH, capture_in_process
from sqlalchemy import event

from leadflow_capture.app import intake

pytestmark = pytest.mark.integration
LEADS, AT_ONCE = 200, 20


def b2b(n: int) -> dict:
    return {"email": f"p{n}@company{n % 20}.example", "company": f"Company {n % 20}", "country": "GB"}


def free_mail(n: int) -> dict:
    return {"email": f"p{n}@gmail.com", "first_name": "Pat"}


async def measure(settings, make) -> dict[str, float]:
    async with capture_in_process(settings) as (client, app):
        counts = {"statements": 0, "transactions": 0}
        engine = app.state.runtime.engine.sync_engine

        def statement(*_):
            counts["statements"] += 1

        def commit(_):
            counts["transactions"] += 1

        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
        began = time.process_time()
        for wave in range(0, LEADS, AT_ONCE):
            answers = await asyncio.gather(
                *(client.post("/v1/leads", json=make(n), headers=AUTH) for n in range(wave, wave + AT_ONCE))
            )
            assert all(answer.status_code == 202 for answer in answers), [
                (a.status_code, a.text[:300]) for a in answers if a.status_code != 202
            ][:3]
        cpu = time.process_time() - began
        await asyncio.sleep(1)  # the consumers' share of the same traffic (capture's own account events)
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    return {name: value / LEADS for name, value in counts.items()} | {"cpu_ms": cpu / LEADS * 1000}


async def no_matching(uow, plan, known, topics, now):
    """match_batch switched off: the code before accounts."""


@pytest.mark.long
@pytest.mark.parametrize("traffic", [b2b, free_mail], ids=["b2b", "free-mail"])
async def test_matching_costs_a_few_statements_per_batch_not_per_lead(settings, topics, monkeypatch, traffic):
    """Two runs of each, alternating, the lower of each kept (the first run of a process pays
    for its warming up); each run's people are new to it."""
    runs: dict[str, list[dict[str, float]]] = {"before": [], "matching": []}
    for round_ in range(2):
        for name in ("before", "matching"):
            people = lambda n, tag=f"{name}{round_}": {**traffic(n), "email": tag + traffic(n)["email"]}  # noqa: E731
            with monkeypatch.context() as patch:
                if name == "before":
                    patch.setattr(intake, "match_batch", no_matching)
                runs[name].append(await measure(settings, people))
    before, after = ({k: min(run[k] for run in runs[name]) for k in runs[name][0]} for name in runs)
    print(
        f"\n{traffic.__name__}: per lead, statements {before['statements']:.2f} → {after['statements']:.2f},"
        f" transactions {before['transactions']:.2f} → {after['transactions']:.2f},"
        f" capture's process CPU (with the test's client) {before['cpu_ms']:.2f} → {after['cpu_ms']:.2f} ms"
    )
    assert after["statements"] - before["statements"] <= 0.5
