"""Offsets stored with the effect (`leadflow_common.offsets`) on the real broker and database: a
restarted consumer starts after what it applied (the table) or after what it finished without a
transaction (the broker's offset, when that is further), so it neither applies nor sets aside
anything twice."""

import asyncio
import uuid

import pytest
from harness import eventually, read_records_to_end
from sqlalchemy import select, text
from test_consumers import captured_event

from leadflow_common import metrics
from leadflow_common.batch import joinable_batch
from leadflow_common.consumer import EventConsumer
from leadflow_common.kafka import EventProducer, OutgoingMessage
from leadflow_scoring.main import create_app
from leadflow_scoring.store.tables import metadata as scoring_metadata

pytestmark = pytest.mark.integration
consumer_offsets = scoring_metadata.tables["scoring.consumer_offsets"]


def recording(applied: list[str]):
    """A handler with an effect in the batch's transaction (the offsets are stored with it),
    noting the ids it applied."""

    async def handler(batch):
        connection = await joinable_batch().connection()
        await connection.execute(text("SELECT 1"))
        applied.extend(event.id for event in batch)

    return handler


def offsets_consumer(settings, topics, group: str, applied: list[str], producer, engine) -> EventConsumer:
    return EventConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group,
        topics=[topics.captured],
        handler=recording(applied),
        producer=producer,
        engine=engine,
        max_attempts=1,
        offsets_table=consumer_offsets,
    )


async def test_a_restarted_consumer_applies_nothing_again_and_dead_letters_nothing_again(settings, topics):
    good = [captured_event(uuid.uuid4()) for _ in range(2)]
    group = f"{topics.prefix}offsets-test"
    applied: list[str] = []
    app = create_app(settings)  # its start migrates scoring's schema, where the table is
    async with app.router.lifespan_context(app):
        engine = app.state.runtime.engine
        producer = EventProducer(settings.kafka_bootstrap_servers, client_id="test")

        def consumer() -> EventConsumer:
            return offsets_consumer(settings, topics, group, applied, producer, engine)

        # One partition: the two events, then a record no event of the contract (dead-lettered,
        # finished without a transaction: its offset reaches the broker only).
        messages = [
            OutgoingMessage(topic=topics.captured, key="one", value=e.model_dump_json().encode())
            for e in good
        ]
        await producer.send_all([*messages, OutgoingMessage(topic=topics.captured, key="one", value=b"{")])
        first = asyncio.create_task(consumer().run())
        try:
            await eventually(lambda: ours_dead_lettered(settings, topics, group), timeout=60, interval=0.5)
            await eventually(lambda: len(applied) == 2, timeout=30)
            await asyncio.sleep(1)  # its first broker commit is made at once
        finally:
            first.cancel()
            await asyncio.gather(first, return_exceptions=True)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(select(consumer_offsets).where(consumer_offsets.c.group_id == group))
            ).all()
        assert [(row.topic, row.applied_offset) for row in rows] == [(topics.captured, 1)], "the last applied"

        marker = captured_event(uuid.uuid4())
        await producer.send_all(
            [OutgoingMessage(topic=topics.captured, key="one", value=marker.model_dump_json().encode())]
        )
        second = asyncio.create_task(consumer().run())
        try:
            await eventually(lambda: len(applied) == 3, timeout=60)
        finally:
            second.cancel()
            await asyncio.gather(second, return_exceptions=True)
            await producer.stop()
        dead = await ours_dead_lettered(settings, topics, group)
    assert applied == [*(event.id for event in good), marker.id], "nothing applied twice"
    assert len(dead) == 1, "nothing dead-lettered twice"


async def ours_dead_lettered(settings, topics, group: str) -> list:
    """The group's dead letters (scoring's own consumers, running beside, set the record aside
    too, as their group)."""
    dead = await read_records_to_end(settings.kafka_bootstrap_servers, f"{topics.captured}.dlq")
    return [record for record in dead if dict(record.headers)["dlq_consumer_group"] == group.encode()]


async def test_a_stored_offset_past_the_log_end_reads_the_new_log_from_its_start(settings, topics):
    """The broker lost its topics while the database kept the offsets (a local broker keeps
    topics in memory; in production, a topic made again): the log is shorter than what the group
    applied. A probe found every lead captured after a restart left unscored, /readyz ready:
    the consumer now reads the new log from its start, says so, and takes the stored offset back."""
    events = [captured_event(uuid.uuid4()) for _ in range(2)]
    group = f"{topics.prefix}offsets-past-log"
    applied: list[str] = []
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        engine = app.state.runtime.engine
        async with engine.begin() as connection:  # the broker's earlier life: 500 records applied
            await connection.execute(
                consumer_offsets.insert(),
                [
                    {"group_id": group, "topic": topics.captured, "partition": p, "applied_offset": 499}
                    for p in range(3)
                ],
            )
        producer = EventProducer(settings.kafka_bootstrap_servers, client_id="test")
        await producer.send_all(
            [OutgoingMessage(topics.captured, key="one", value=e.model_dump_json().encode()) for e in events]
        )
        past_log = metrics.OFFSETS_PAST_LOG.labels(group=group, topic=topics.captured)
        consumer = offsets_consumer(settings, topics, group, applied, producer, engine)
        running = asyncio.create_task(consumer.run())
        try:
            await eventually(lambda: len(applied) == 2, timeout=60)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await producer.stop()
        async with engine.connect() as connection:
            rows = (
                await connection.execute(select(consumer_offsets).where(consumer_offsets.c.group_id == group))
            ).all()
    assert applied == [event.id for event in events]
    assert past_log._value.get() == 3  # every partition was past its (new, shorter) log
    # The partition the events went to holds its new last offset; the others start over.
    assert sorted(row.applied_offset for row in rows) == [-1, -1, 1]
