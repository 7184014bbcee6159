"""The outbox relay under load: passes begin a gap apart, so the events that several commits
enqueue within the gap go out in one pass (one transaction, one request to the broker); after a
quiet stretch, or a pass that found nothing, an event goes at once."""

import asyncio
import itertools
import time
import uuid
from datetime import UTC, datetime

import pytest
from harness import eventually, read_to_end

from leadflow_common.db import create_engine
from leadflow_common.events import CloudEvent, LeadActivity, new_event
from leadflow_common.kafka import EventProducer
from leadflow_common.outbox import OutboxRelay, enqueue_rows, outbox_rows
from leadflow_scoring.store.tables import outbox as scoring_outbox

pytestmark = pytest.mark.integration
# Long enough that the three commits below, 0.1 s apart, land inside it on a loaded machine too
# (a fresh-clone run under six workers saw them spread over more than a 1 s gap).
GAP = 3.0


class CountingRelay(OutboxRelay):
    """The relay, with when each pass that published began and how many events it published,
    and how many passes found nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passes: list[tuple[float, int]] = []
        self.empty_passes = 0

    async def publish_batch(self) -> int | None:
        began = time.monotonic()
        published = await super().publish_batch()
        if published:
            self.passes.append((began, published))
        else:
            self.empty_passes += 1
        return published


def activity() -> CloudEvent:
    lead_id = uuid.uuid4()
    data = LeadActivity(
        activity_id=uuid.uuid4(), lead_id=lead_id, type="page_view", occurred_at=datetime.now(UTC)
    )
    return new_event(data, source="test", subject=lead_id)


async def test_commits_within_the_gap_go_out_in_one_pass_and_a_lone_event_at_once(
    kafka_bootstrap, database_url, topics
):
    engine = create_engine(database_url, application_name="test")
    producer = EventProducer(kafka_bootstrap, client_id="test-relay")
    relay = CountingRelay(engine, scoring_outbox, producer, poll_seconds=30, pass_gap_seconds=GAP)

    async def commit(event: CloudEvent) -> None:
        async with engine.begin() as connection:
            rows = outbox_rows(topics.activities, [event], [event.model_dump_json()])
            await enqueue_rows(connection, scoring_outbox, rows)
        relay.wake()

    running = asyncio.create_task(relay.run())
    try:
        lone, behind = activity(), [activity() for _ in range(3)]
        # The relay's first pass finds nothing: it must not hold back the lone event that follows
        # (it did, a whole gap, when a pass that found nothing counted as one begun).
        await eventually(lambda: relay.empty_passes >= 1, timeout=10)
        committed = time.monotonic()
        await commit(lone)
        await eventually(lambda: len(relay.passes) == 1, timeout=10)
        lone_after = relay.passes[0][0] - committed
        committed_at = []
        for event in behind:  # three commits, each waking the relay, within the gap
            await commit(event)
            committed_at.append(time.monotonic())
            await asyncio.sleep(0.1)
        await eventually(lambda: sum(count for _, count in relay.passes) == 4, timeout=15)
        published = {event["id"] for event in await read_to_end(kafka_bootstrap, topics.activities)}
    finally:
        await relay.stop()
        await asyncio.wait_for(running, 10)
        await producer.stop()
        await engine.dispose()
    assert lone_after < 0.5, f"the lone event waited {lone_after:.2f} s for its pass"
    began = [at for at, _ in relay.passes]
    assert all(later - earlier >= GAP * 0.95 for earlier, later in itertools.pairwise(began))
    if committed_at[-1] < began[0] + GAP * 0.9:  # all three committed before the next pass may begin
        assert [count for _, count in relay.passes] == [1, 3], "the three went out in one pass"
    else:  # a slow disk spread the commits past the gap: each pass took all committed before it
        for at, count in relay.passes[1:]:
            committed_before = sum(1 for done in committed_at if done < at)
            already = sum(n for when, n in relay.passes[1:] if when < at)
            assert count >= committed_before - already, f"passes (began, published): {relay.passes}"
    assert {lone.id, *(event.id for event in behind)} <= published
