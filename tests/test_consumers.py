"""The consumer loop on the real broker: poison events go to the dead-letter topic with their
error and the consumer keeps going; a redelivered event changes nothing."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from harness import eventually, kafka_producer, read_records_to_end, read_to_end
from sqlalchemy import func, select

from leadflow_common.events import Channel, LeadCaptured, LeadProfile, SubmissionSummary, new_event
from leadflow_scoring.main import create_app
from leadflow_scoring.tables import score_history, scores

pytestmark = pytest.mark.integration


def captured_event(lead_id: uuid.UUID):
    now = datetime.now(UTC)
    profile = LeadProfile(
        lead_id=lead_id,
        revision=1,
        email="a@acme.example",
        job_title="CTO",
        company="Acme",
        created_at=now,
        updated_at=now,
    )
    submission = SubmissionSummary(submission_id=uuid.uuid4(), channel=Channel.api, received_at=now)
    return new_event(
        LeadCaptured(lead=profile, channel=Channel.api, submission=submission), source="test", subject=lead_id
    )


async def count(app, table) -> int:
    async with app.state.runtime.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(table))


async def test_poison_events_are_dead_lettered_and_redeliveries_change_nothing(settings, topics):
    app = create_app(settings)
    lead_id = uuid.uuid4()
    event = captured_event(lead_id)
    wire = json.loads(event.model_dump_json())
    poison = [
        b"{not json",
        json.dumps({**wire, "type": "lead.exploded"}).encode(),
        json.dumps({**wire, "data": {"lead": "missing fields"}}).encode(),
    ]
    async with app.router.lifespan_context(app), kafka_producer(settings.kafka_bootstrap_servers) as producer:
        key = str(lead_id).encode()
        for value in poison:
            await producer.send_and_wait(topics.captured, value, key=key)
        for _ in range(3):  # the same event delivered three times
            await producer.send_and_wait(topics.captured, event.model_dump_json().encode(), key=key)
        await producer.send_and_wait(topics.captured, b"[]", key=key)  # a last poison: the loop kept going

        async def dead_lettered():
            records = await read_records_to_end(settings.kafka_bootstrap_servers, f"{topics.captured}.dlq")
            return records if len(records) >= 4 else None

        dead = await eventually(dead_lettered, timeout=20, interval=0.3)
        assert [record.value for record in dead] == [*poison, b"[]"]
        errors = [dict(record.headers)["dlq_error"].decode() for record in dead]
        assert "lead.exploded" in errors[1]
        assert all(dict(record.headers)["dlq_source_topic"] == topics.captured.encode() for record in dead)

        assert await eventually(lambda: count(app, scores)) == 1
        assert await count(app, score_history) == 1
    scored = await read_to_end(settings.kafka_bootstrap_servers, topics.scored)
    assert [event["subject"] for event in scored] == [str(lead_id)]
