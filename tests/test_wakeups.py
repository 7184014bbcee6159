"""Consumers that stop fetching while nothing is published, and are woken by the relays'
announcements (PostgreSQL NOTIFY), on the real broker and database: an idle consumer asks the
broker next to nothing, an event published through a relay is read at once all the same, and
one published without an announcement is read by the next idle look."""

import asyncio
import time
import uuid
from datetime import UTC, datetime

import pytest
from harness import eventually, kafka_producer
from sqlalchemy import text

from leadflow_common.consumer import EventConsumer
from leadflow_common.db import create_engine
from leadflow_common.events import CloudEvent, LeadActivity, new_event
from leadflow_common.kafka import EventProducer
from leadflow_common.listener import Listener
from leadflow_common.outbox import OutboxRelay, enqueue_rows, outbox_rows
from leadflow_common.wakeups import Wakeups
from leadflow_scoring.store.tables import outbox as scoring_outbox

pytestmark = pytest.mark.integration


def activity() -> CloudEvent:
    lead_id = uuid.uuid4()
    data = LeadActivity(
        activity_id=uuid.uuid4(), lead_id=lead_id, type="page_view", occurred_at=datetime.now(UTC)
    )
    return new_event(data, source="test", subject=lead_id)


class CountingConsumer(EventConsumer):
    """Counts the fetch calls its client makes (each asks the broker for records)."""

    fetches = 0

    def _new_consumer(self):
        client = super()._new_consumer()
        getmany = client.getmany

        async def counted(*args, **kwargs):
            self.fetches += 1
            return await getmany(*args, **kwargs)

        client.getmany = counted
        return client


def idle_reader(kind, bootstrap, topics, handler, producer, engine, listener, idle_look_seconds):
    """A consumer of the activities topic, in a group of its own, woken by `listener`."""
    return kind(
        bootstrap_servers=bootstrap,
        group_id=f"test-wakeups-{uuid.uuid4().hex[:8]}",
        topics=[topics.activities],
        handler=handler,
        producer=producer,
        engine=engine,
        wakeups=Wakeups(listener),
        idle_look_seconds=idle_look_seconds,
    )


@pytest.fixture
async def listening(database_url):
    listener = Listener(database_url, application_name="test-listener")
    task = asyncio.create_task(listener.run())
    await eventually(lambda: listener.connected, timeout=10)
    yield listener
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_the_listener_hears_channels_added_while_connected_and_after_a_lost_connection(
    database_url, listening
):
    heard: list[tuple[str, str]] = []
    reconnected: list[bool] = []
    # Two registered at once on a live connection: each must get its own LISTEN.
    listening.on(
        "test_a", lambda payload: heard.append(("a", payload)), on_connect=lambda: reconnected.append(True)
    )
    listening.on("test_b", lambda payload: heard.append(("b", payload)))
    engine = create_engine(database_url, application_name="test")
    try:

        async def notify(payload: str) -> None:
            async with engine.begin() as connection:
                await connection.execute(
                    text(f"SELECT pg_notify('test_a', '{payload}'), pg_notify('test_b', '{payload}')")
                )

        await asyncio.sleep(0.3)
        await notify("1")
        await eventually(lambda: sorted(heard) == [("a", "1"), ("b", "1")], timeout=5)

        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'test-listener'"
                )
            )
        await eventually(lambda: reconnected and listening.connected, timeout=15)
        await notify("2")
        await eventually(lambda: ("a", "2") in heard and ("b", "2") in heard, timeout=5)
    finally:
        await engine.dispose()


async def test_an_idle_consumer_stops_fetching_and_a_relay_wakes_it_at_once(
    kafka_bootstrap, database_url, topics, listening
):
    engine = create_engine(database_url, application_name="test")
    producer = EventProducer(kafka_bootstrap, client_id="test-relay")
    handled: dict[str, float] = {}

    async def handler(events: list[CloudEvent]) -> None:
        for event in events:
            handled[event.id] = time.monotonic()

    consumer = idle_reader(
        CountingConsumer, kafka_bootstrap, topics, handler, producer, engine, listening, 30
    )
    relay = OutboxRelay(engine, scoring_outbox, producer, poll_seconds=30)
    running = [asyncio.create_task(consumer.run()), asyncio.create_task(relay.run())]
    try:
        first = activity()
        async with engine.begin() as connection:
            await enqueue_rows(
                connection, scoring_outbox, outbox_rows(topics.activities, [first], [first.model_dump_json()])
            )
        relay.wake()
        await eventually(lambda: first.id in handled, timeout=30)

        # Idle: over 4 s, a consumer polling every 200 ms would fetch about 14 times.
        await asyncio.sleep(1.0)
        fetches_before = consumer.fetches
        await asyncio.sleep(4.0)
        idle_fetches = consumer.fetches - fetches_before
        print(f"fetches in 4 s idle: {idle_fetches}")
        assert idle_fetches <= 1

        # Published through the relay, which announces it: read at once, not after the 30 s look.
        second = activity()
        async with engine.begin() as connection:
            await enqueue_rows(
                connection,
                scoring_outbox,
                outbox_rows(topics.activities, [second], [second.model_dump_json()]),
            )
        started = time.monotonic()
        relay.wake()
        await eventually(lambda: second.id in handled, timeout=10)
        print(f"announced event handled after {handled[second.id] - started:.3f} s")
        assert handled[second.id] - started < 2.0
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await producer.stop()
        await engine.dispose()


async def test_an_event_nobody_announced_is_read_by_the_next_idle_look(
    kafka_bootstrap, database_url, topics, listening
):
    engine = create_engine(database_url, application_name="test")
    producer = EventProducer(kafka_bootstrap, client_id="test-direct")
    handled: set[str] = set()

    async def handler(events: list[CloudEvent]) -> None:
        handled.update(event.id for event in events)

    consumer = idle_reader(EventConsumer, kafka_bootstrap, topics, handler, producer, engine, listening, 1.0)
    running = asyncio.create_task(consumer.run())
    try:
        await asyncio.sleep(3.0)  # joined and idle
        event = activity()
        async with kafka_producer(kafka_bootstrap) as direct:
            await direct.send_and_wait(
                topics.activities, event.model_dump_json().encode(), key=event.subject.encode()
            )
        await eventually(lambda: event.id in handled, timeout=10)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()
        await engine.dispose()
