"""The submission writer against the real database: a batch that fails for one submission's
sake is written in halves, so only that submission fails, for a few transactions more."""

import asyncio

import pytest
from sqlalchemy import func, select

from leadflow_capture.app.intake import SubmissionWriter
from leadflow_capture.domain.leads import parse_lead
from leadflow_capture.domain.people import Submission
from leadflow_capture.store.tables import outbox, submissions
from leadflow_common.db import create_engine
from leadflow_common.errors import Unavailable
from leadflow_common.events import Channel
from leadflow_common.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration
# A writer's gap in the pacing test: wide, so a loaded machine cannot blur it (at 2 s, a lone
# write once took 3.1 s in a fresh clone's make test, six workers on two cores).
GAP = 8.0


class Relay:
    """Stands in for the outbox relay, which this test does not need: it only counts wake-ups,
    one per unit of work that committed events."""

    def __init__(self):
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


def writer_with(engine, topics, relay: Relay, *, max_waiting: int) -> SubmissionWriter:
    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(engine, outbox=outbox, relay=relay, source="test")

    return SubmissionWriter(unit_of_work, topics, max_batch=10, max_waiting=max_waiting)


def submission(email: str, payload: dict) -> Submission:
    return Submission(parse_lead({"email": email}, default_region="US"), Channel.api, payload)


async def test_one_bad_submission_fails_alone_and_the_rest_of_its_batch_is_stored(settings, topics):
    engine = create_engine(settings.database_url, application_name="test")
    relay = Relay()
    writer = writer_with(engine, topics, relay, max_waiting=100)
    try:
        good = [submission(f"g{n}@example.com", {"n": n}) for n in range(4)]
        # A NUL character: PostgreSQL's JSONB refuses it (validation refuses it before the writer;
        # made here directly, it stands for any fault one submission brings to its batch).
        bad = submission("bad@example.com", {"nul": "a\x00b"})
        # Queued before the writer starts, so all five are taken as one batch.
        pending = [asyncio.ensure_future(writer.submit(s)) for s in (*good[:2], bad, *good[2:])]
        await asyncio.sleep(0)
        task = asyncio.create_task(writer.run())
        results = await asyncio.gather(*pending, return_exceptions=True)
        task.cancel()
        assert isinstance(results[2], Exception)
        assert all(not isinstance(r, Exception) for i, r in enumerate(results) if i != 2), results
        async with engine.connect() as connection:
            assert await connection.scalar(select(func.count()).select_from(submissions)) == 4
        # [g0 g1 bad g2 g3] fails; [g0 g1] commits; [bad g2 g3] fails; [bad] fails; [g2 g3] commits.
        assert relay.wakes == 2, "the halves without the bad submission commit whole"
    finally:
        await engine.dispose()


async def test_when_too_many_submissions_wait_the_next_gets_503_at_once(settings, topics):
    engine = create_engine(settings.database_url, application_name="test")
    writer = writer_with(engine, topics, Relay(), max_waiting=2)
    try:
        waiting = [
            asyncio.ensure_future(writer.submit(submission(f"w{n}@example.com", {}))) for n in range(2)
        ]
        await asyncio.sleep(0)
        with pytest.raises(Unavailable) as refused:
            await writer.submit(submission("late@example.com", {}))
        assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "1"}
        task = asyncio.create_task(writer.run())  # the two that waited are still written
        assert all(accepted.lead_id for accepted in await asyncio.gather(*waiting))
        task.cancel()
    finally:
        await engine.dispose()


async def test_under_load_a_writer_begins_its_batches_a_gap_apart_and_a_lone_submission_at_once(
    settings, topics
):
    """A submission after a quiet stretch is written at once; those arriving while a batch has
    just begun wait out the gap and are written together, in one transaction."""
    engine = create_engine(settings.database_url, application_name="test")
    relay = Relay()

    def unit_of_work() -> UnitOfWork:
        return UnitOfWork(engine, outbox=outbox, relay=relay, source="test")

    writer = SubmissionWriter(unit_of_work, topics, max_batch=10, max_waiting=100, gap_seconds=GAP)
    clock = asyncio.get_running_loop().time
    async with engine.connect() as connection:  # the pool's first connection is not the writer's cost
        await connection.exec_driver_sql("SELECT 1")
    task = asyncio.create_task(writer.run())
    try:
        started = clock()
        await writer.submit(submission("lone@example.com", {}))
        lone_took = clock() - started
        behind = []
        for n in range(3):  # arriving over 0.2 s, right behind the first batch
            behind.append(asyncio.ensure_future(writer.submit(submission(f"b{n}@example.com", {}))))
            await asyncio.sleep(0.07)
        await asyncio.gather(*behind)
        together_took = clock() - started
    finally:
        task.cancel()
        await engine.dispose()
    assert lone_took < GAP * 0.75, f"the lone submission waited {lone_took:.2f} s"
    assert relay.wakes == 2, "the three behind it were written in one transaction"
    assert together_took >= GAP, "their batch began a gap after the first"
