"""The outbox relay's pass, one statement in one transaction (the election, the oldest rows taken,
the wake-up): rows leave the outbox only with the broker's acknowledgement, only the elected
process publishes, and the wake-up is heard only for rows that went out."""

import asyncio
import socket
import uuid
import zlib
from datetime import UTC, datetime

import asyncpg
import pytest
from harness import read_to_end
from sqlalchemy import func, select, text

from leadflow_common import wakeups
from leadflow_common.db import create_engine
from leadflow_common.events import CloudEvent, LeadActivity, new_event
from leadflow_common.kafka import EventProducer
from leadflow_common.outbox import OutboxRelay, enqueue_rows, outbox_rows
from leadflow_scoring.store.tables import outbox as scoring_outbox

pytestmark = pytest.mark.integration


def activity(lead_id: uuid.UUID) -> CloudEvent:
    data = LeadActivity(
        activity_id=uuid.uuid4(), lead_id=lead_id, type="page_view", occurred_at=datetime.now(UTC)
    )
    return new_event(data, source="test", subject=lead_id)


def closed_port() -> int:
    """A local port nothing listens on: a broker that is away."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_rows_leave_only_with_the_brokers_ack_only_for_the_elected_and_wake_only_when_sent(
    kafka_bootstrap, database_url, topics
):
    engine = create_engine(database_url, application_name="test")
    away = EventProducer(f"127.0.0.1:{closed_port()}", client_id="test-away", request_timeout_ms=1000)
    producer = EventProducer(kafka_bootstrap, client_id="test-relay")
    heard: list[str] = []
    listening = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    await listening.add_listener(wakeups.CHANNEL, lambda *args: heard.append(args[3]))
    lead_id = uuid.uuid4()
    events = [activity(lead_id) for _ in range(3)]

    async def waiting() -> int:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(scoring_outbox)))

    try:
        async with engine.begin() as connection:
            payloads = [event.model_dump_json() for event in events]
            await enqueue_rows(connection, scoring_outbox, outbox_rows(topics.activities, events, payloads))

        with pytest.raises(Exception):  # noqa: B017 - whatever the producer raises for a broker away
            await OutboxRelay(engine, scoring_outbox, away).publish_batch()
        assert await waiting() == 3, "a pass the broker did not take left its rows"

        relay = OutboxRelay(engine, scoring_outbox, producer)
        key = zlib.crc32(f"outbox:{scoring_outbox.fullname}".encode())
        async with engine.begin() as other_process:
            await other_process.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            assert await relay.publish_batch() is None, "a pass while another process is elected"
        assert await waiting() == 3

        assert await relay.publish_batch() == 3
        assert await waiting() == 0
        assert await relay.publish_batch() == 0, "an empty outbox: an elected pass that took nothing"
        await asyncio.sleep(0.5)  # notifications arrive after the commit, asynchronously
        published = [event["id"] for event in await read_to_end(kafka_bootstrap, topics.activities)]
    finally:
        await listening.close()
        await away.stop()
        await producer.stop()
        await engine.dispose()
    assert published == [event.id for event in events], "published once each, in order"
    assert heard == [topics.activities], "one wake-up, for the pass that sent, none for the others"
