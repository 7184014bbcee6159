"""The consumer loops on the real broker: poison on every consumed topic goes to the dead-letter
topic with its error and the consumer keeps going; a redelivered event changes nothing."""

import asyncio
import importlib
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError
from harness import eventually, kafka_producer, read_records_to_end, read_to_end
from sqlalchemy import func, select

from leadflow_common import metrics, offsets
from leadflow_common.access import BOOTSTRAP
from leadflow_common.batch_applier import BatchApplier
from leadflow_common.consumer import EventConsumer
from leadflow_common.db import create_engine
from leadflow_common.events import (
    AuditRecorded,
    Channel,
    ErasureApplied,
    LeadActivity,
    LeadCaptured,
    LeadErased,
    LeadMerged,
    LeadOutcome,
    LeadProfile,
    LeadRouted,
    LeadScored,
    ModelRef,
    RepRef,
    SubmissionSummary,
    Temperature,
    Tier,
    new_event,
)
from leadflow_common.kafka import EventProducer, OutgoingMessage
from leadflow_scoring.main import create_app
from leadflow_scoring.store.tables import metadata as scoring_metadata
from leadflow_scoring.store.tables import score_history, scores

pytestmark = pytest.mark.integration
consumer_offsets = scoring_metadata.tables["scoring.consumer_offsets"]


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


def captured_consumer(settings, topics, group: str, handler, **options):
    """A consumer of `leads.captured` with its producer (for dead letters) and engine."""
    producer = EventProducer(settings.kafka_bootstrap_servers, client_id="test")
    engine = create_engine(settings.database_url, application_name="test")
    consumer = EventConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"{topics.prefix}{group}",
        topics=[topics.captured],
        handler=handler,
        producer=producer,
        engine=engine,
        **options,
    )
    return producer, engine, consumer


def valid_event(kind: str, lead_id: uuid.UUID):
    now = datetime.now(UTC)
    profile = LeadProfile(lead_id=lead_id, revision=1, email="a@acme.example", created_at=now, updated_at=now)
    data = {
        "captured": lambda: captured_event(lead_id).data,
        "activity": lambda: LeadActivity(
            activity_id=uuid.uuid4(), lead_id=lead_id, type="demo_requested", occurred_at=now
        ),
        "outcome": lambda: LeadOutcome(
            outcome_id=uuid.uuid4(), lead_id=lead_id, outcome="won", occurred_at=now
        ),
        "scored": lambda: LeadScored(
            lead_id=lead_id,
            revision=1,
            score=50,
            temperature=Temperature.warm,
            reasons=[],
            model=ModelRef(kind="rules", version=0),
            scored_at=now,
        ),
        "merged": lambda: LeadMerged(surviving_lead_id=lead_id, absorbed_lead_id=uuid.uuid4(), lead=profile),
        "routed": lambda: LeadRouted(
            assignment_id=uuid.uuid4(),
            lead_id=lead_id,
            rep=RepRef(id=uuid.uuid4(), name="R", email="r@sales.example", tier=Tier.senior),
            temperature=Temperature.hot,
            score=90,
            reason="test",
        ),
        "audit": lambda: AuditRecorded(actor="bootstrap", action="test.done", service="test"),
        "erased": lambda: LeadErased(erasure_id=uuid.uuid4(), lead_id=lead_id, requested_at=now),
        "erasure_applied": lambda: ErasureApplied(
            erasure_id=uuid.uuid4(), lead_id=lead_id, service="scoring", applied_at=now
        ),
    }[kind]()
    return new_event(data, source="test", subject=lead_id)


# Every topic each service consumes, with an event it applies from there.
CONSUMED = [
    ("scoring", "captured", "captured"),
    ("scoring", "merged", "merged"),
    ("scoring", "activities", "activity"),
    ("scoring", "outcomes", "outcome"),
    ("routing", "scored", "scored"),
    ("routing", "outcomes", "outcome"),
    ("routing", "merged", "merged"),
    ("scoring", "routed", "routed"),
    ("capture", "routed", "routed"),
    ("routing", "captured", "captured"),
    ("console", "audit", "audit"),
    ("webhooks", "routed", "routed"),
    ("webhooks", "captured", "captured"),
    ("webhooks", "captured", "erased"),
    ("capture", "erased", "erasure_applied"),
]


def applied_query(service: str, kind: str, event):
    """How to tell the event was applied: its id among the processed, or (for consumers that
    keep no processed ids because their writes are idempotent) its effect."""
    if service == "webhooks":
        from leadflow_webhooks.store.tables import deliveries

        return select(func.count()).select_from(deliveries).where(deliveries.c.event_id == event.id)
    if kind == "routed":
        lead_reps = importlib.import_module(f"leadflow_{service}.store.tables").lead_reps
        return select(func.count()).select_from(lead_reps).where(lead_reps.c.lead_id == event.data.lead_id)
    if service == "routing" and kind == "captured":
        from leadflow_routing.store.tables import lead_cards

        return (
            select(func.count())
            .select_from(lead_cards)
            .where(lead_cards.c.lead_id == event.data.lead.lead_id)
        )
    if kind == "erasure_applied":
        from leadflow_capture.store.tables import erasure_progress

        return (
            select(func.count())
            .select_from(erasure_progress)
            .where(erasure_progress.c.erasure_id == event.data.erasure_id)
        )
    if kind == "audit":
        from leadflow_console.store.tables import audit_log

        return select(func.count()).select_from(audit_log).where(audit_log.c.event_id == event.id)
    processed = importlib.import_module(f"leadflow_{service}.store.tables").processed_events
    return select(func.count()).select_from(processed).where(processed.c.event_id == event.id)


@pytest.mark.parametrize(("service", "topic_name", "kind"), CONSUMED)
async def test_poison_on_every_consumed_topic_is_dead_lettered_and_the_consumer_keeps_going(
    settings, topics, service, topic_name, kind
):
    module = importlib.import_module(f"leadflow_{service}")
    app = importlib.import_module(f"{module.__name__}.main").create_app(settings)
    topic = getattr(topics, topic_name)
    lead_id = uuid.uuid4()
    event = valid_event(kind, lead_id)
    wire = json.loads(event.model_dump_json())
    poison = [
        b"{not json",
        b"",
        b"[]",
        json.dumps({**wire, "type": "lead.exploded"}).encode(),
        json.dumps({**wire, "data": {}}).encode(),
        json.dumps({key: value for key, value in wire.items() if key != "id"}).encode(),
        json.dumps({**wire, "time": "yesterday"}).encode(),
    ]
    async with app.router.lifespan_context(app), kafka_producer(settings.kafka_bootstrap_servers) as producer:
        if service == "webhooks":  # its effect is a delivery, to an endpoint subscribed to the event
            await app.state.webhooks.create(BOOTSTRAP, "https://crm.example/hook", [event.type], "", True)
        key = str(lead_id).encode()  # one partition: the valid event comes after every poison
        # Every other poison says it is the valid event's type in its `ce_type` header, as an
        # outbox's record does: read in one pass (nothing to open), it must be refused the same.
        # (Routing skips lead.captured by its header, before it is decoded: nothing to refuse.)
        header = None if (service, kind) == ("routing", "captured") else [("ce_type", event.type.encode())]
        for index, value in enumerate(poison):
            await producer.send_and_wait(topic, value, key=key, headers=header if index % 2 else None)
        await producer.send_and_wait(topic, event.model_dump_json().encode(), key=key, headers=header)

        async def dead_lettered():
            records = await read_records_to_end(settings.kafka_bootstrap_servers, f"{topic}.dlq")
            return records if len(records) >= len(poison) else None

        dead = await eventually(dead_lettered, timeout=30, interval=0.3)
        assert [record.value for record in dead] == poison
        for record in dead:
            headers = dict(record.headers)
            assert headers["dlq_source_topic"] == topic.encode() and headers["dlq_error"]
        assert "lead.exploded" in dict(dead[3].headers)["dlq_error"].decode()

        async def applied():
            async with app.state.runtime.engine.connect() as connection:
                return await connection.scalar(applied_query(service, kind, event)) == 1

        assert await eventually(applied, timeout=30)


async def test_first_seen_claims_a_batch_once_and_keeps_its_order(settings, topics):
    """The unit of work's batch claim: events already applied are left out, an event repeated
    within the batch comes once, the rest in the batch's order; rolled back, nothing is claimed."""
    app = create_app(settings)
    first, second, third = (captured_event(uuid.uuid4()) for _ in range(3))
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        async with runtime.unit_of_work(consumer="test") as uow:
            assert await uow.first_seen([first]) == [first]
        async with runtime.unit_of_work(consumer="test") as uow:
            fresh = await uow.first_seen([second, first, third, second])
        assert [event.id for event in fresh] == [second.id, third.id]
        with pytest.raises(RuntimeError):
            async with runtime.unit_of_work(consumer="test") as uow:
                new = captured_event(uuid.uuid4())
                assert await uow.first_seen([new]) == [new]
                raise RuntimeError("the effect failed")
        async with runtime.unit_of_work(consumer="test") as uow:
            assert await uow.first_seen([new]) == [new], "a rolled-back claim is no claim"


async def test_claimed_ids_are_deleted_past_their_retention_and_the_recent_kept(settings, topics):
    """The ids a consumer claims are kept PROCESSED_EVENTS_KEEP_DAYS (a relay's repeat comes
    while its event is in the outbox), then deleted by the service's retention, found through
    the BRIN index its migration made: the table is a window, not every id ever consumed."""
    app = create_app(settings.model_copy(update={"processed_events_prune_seconds": 0.2}))
    old, recent = [captured_event(uuid.uuid4()) for _ in range(3)], captured_event(uuid.uuid4())
    table = scoring_metadata.tables["scoring.processed_events"]
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        pruned_before = metrics.PROCESSED_EVENTS_PRUNED._value.get()
        async with runtime.unit_of_work(consumer="test") as uow:
            assert await uow.first_seen([*old, recent]) == [*old, recent]
            eight_days_ago = func.now() - timedelta(days=8)
            await uow.connection.execute(
                table.update()
                .where(table.c.event_id.in_([e.id for e in old]))
                .values(processed_at=eight_days_ago)
            )

        async def kept() -> list[str]:
            async with runtime.engine.connect() as connection:
                return list(
                    await connection.scalars(select(table.c.event_id).where(table.c.consumer == "test"))
                )

        assert await eventually(lambda: _only(kept, [recent.id]), timeout=10)
        assert metrics.PROCESSED_EVENTS_PRUNED._value.get() - pruned_before == len(old)
        async with runtime.unit_of_work(consumer="test") as uow:
            assert await uow.first_seen([recent]) == [], "a recent id still keeps its repeat out"
        async with runtime.engine.connect() as connection:
            index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'processed_events_age'"
            index += " AND schemaname = 'scoring'"
            assert "brin" in (await connection.exec_driver_sql(index)).scalar_one().lower()


async def _only(read, expected: list[str]) -> bool:
    return sorted(await read()) == sorted(expected)


async def test_redelivered_events_change_nothing(settings, topics):
    app = create_app(settings)
    lead_id = uuid.uuid4()
    event = captured_event(lead_id)
    marker = captured_event(uuid.uuid4())
    key = str(lead_id).encode()
    async with app.router.lifespan_context(app), kafka_producer(settings.kafka_bootstrap_servers) as producer:
        for _ in range(3):  # the same event delivered three times
            await producer.send_and_wait(topics.captured, event.model_dump_json().encode(), key=key)
        # On the same partition after the repeats: once it is applied, so have they been.
        await producer.send_and_wait(topics.captured, marker.model_dump_json().encode(), key=key)

        async def both_scored():
            return await count(app, scores) == 2

        assert await eventually(both_scored)
        assert await count(app, score_history) == 2
    scored = await read_to_end(settings.kafka_bootstrap_servers, topics.scored)
    assert sorted(event["subject"] for event in scored) == sorted([str(lead_id), marker.subject])


async def test_a_batch_the_handler_fails_is_applied_event_by_event_and_only_the_culprit_dead_lettered(
    settings, topics
):
    """Events arrive in batches (one transaction each); a handler failure that is not the
    infrastructure's sends the batch through one event at a time."""
    events = [captured_event(uuid.uuid4()) for _ in range(6)]
    culprit = events[3].id
    calls: list[list[str]] = []
    applied: list[str] = []

    async def handler(batch):
        calls.append([event.id for event in batch])
        if culprit in calls[-1]:
            raise ValueError("this event cannot be applied")
        applied.extend(calls[-1])

    producer, engine, consumer = captured_consumer(
        settings, topics, "batch-test", handler, max_attempts=2, retry_backoff=0.01
    )
    # All on one partition, published before the consumer starts: they come as one batch.
    await producer.send_all(
        [
            OutgoingMessage(topic=topics.captured, key="one", value=e.model_dump_json().encode())
            for e in events
        ]
    )
    task = asyncio.create_task(consumer.run())
    try:

        async def dead_lettered():
            return await read_records_to_end(settings.kafka_bootstrap_servers, f"{topics.captured}.dlq")

        dead = await eventually(dead_lettered, timeout=60, interval=0.5)
        await eventually(lambda: len(applied) == 5, timeout=30)
    finally:
        task.cancel()
        await producer.stop()
        await engine.dispose()
    assert calls[0] == [event.id for event in events], "the first call was the whole batch"
    assert applied == [event.id for event in events if event.id != culprit], "the others in order"
    assert [json.loads(record.value)["id"] for record in dead] == [culprit]
    assert "this event cannot be applied" in dict(dead[0].headers)["dlq_error"].decode()


async def test_a_batch_replayed_after_a_crash_between_commit_and_offset_changes_nothing(
    settings, topics, monkeypatch
):
    """At least once, effects once: a batch applied and committed in the database whose offsets
    never reached the broker is not even delivered again, because its offsets were stored with
    its effects and the partitions start after them (no second score, no second `lead.scored`)."""
    leads = [captured_event(uuid.uuid4()) for _ in range(8)]
    marker = captured_event(uuid.uuid4())
    bootstrap = settings.kafka_bootstrap_servers
    app = create_app(settings)

    async def crashed_before_the_offset(*_args, **_kwargs):
        raise CommitFailedError("the process died after its database commit")

    # The first life of the service never gets its offsets to the broker.
    monkeypatch.setattr(AIOKafkaConsumer, "commit", crashed_before_the_offset)
    async with app.router.lifespan_context(app), kafka_producer(bootstrap) as producer:
        for event in leads:
            await producer.send_and_wait(
                topics.captured, event.model_dump_json().encode(), key=event.subject.encode()
            )
        assert await eventually(lambda: count_is(app, scores, len(leads)), timeout=60)
    monkeypatch.undo()
    first_life = await stored_offsets_of(settings, topics.captured)
    handed: list[tuple[int, int, str]] = []  # what the second life's applier is given
    apply = BatchApplier.apply

    async def recording(self, records):
        handed.extend((r.partition, r.offset, json.loads(r.value)["id"]) for r in records)
        await apply(self, records)

    monkeypatch.setattr(BatchApplier, "apply", recording)
    read_offsets = offsets.read_offsets

    async def slow_read(*args):  # as on a loaded machine: the fetcher starts before the seek
        await asyncio.sleep(1.5)
        return await read_offsets(*args)

    monkeypatch.setattr(offsets, "read_offsets", slow_read)
    app = create_app(settings)
    async with app.router.lifespan_context(app), kafka_producer(bootstrap) as producer:
        # After the replayed batch on its partition: once it is applied, so has the replay been.
        await producer.send_and_wait(
            topics.captured, marker.model_dump_json().encode(), key=leads[0].subject.encode()
        )
        assert await eventually(lambda: count_is(app, scores, len(leads) + 1), timeout=60)
        assert await count(app, score_history) == len(leads) + 1
        stored = await stored_offsets(app, topics.captured)
    # Judged by offsets, not by how many were applied: a record the broker holds twice (a
    # producer's retry; tansu has no idempotent producer) is a new offset, for the ids to absorb.
    replayed = [(p, o, i) for p, o, i in handed if o <= first_life.get(p, -1)]
    assert not replayed, f"the batch came again: {replayed} (first life stored {first_life})"
    assert marker.id in {i for _, _, i in handed}
    published = await read_to_end(bootstrap, topics.scored)
    assert sorted(event["subject"] for event in published) == sorted(e.subject for e in [*leads, marker])
    on_topic = await read_records_to_end(bootstrap, topics.captured)
    last = {r.partition: max(x.offset for x in on_topic if x.partition == r.partition) for r in on_topic}
    assert stored == last, "every record's offset stored"


async def stored_offsets_of(settings, topic: str) -> dict[int, int]:
    engine = create_engine(settings.database_url, application_name="test-reader")
    try:
        async with engine.connect() as connection:
            return await read_stored(connection, topic)
    finally:
        await engine.dispose()


async def stored_offsets(app, topic: str) -> dict[int, int]:
    """The offsets scoring stored for a topic, by partition (its group reads nothing else)."""
    async with app.state.runtime.engine.connect() as connection:
        return await read_stored(connection, topic)


async def read_stored(connection, topic: str) -> dict[int, int]:
    rows = await connection.execute(
        select(consumer_offsets.c.partition, consumer_offsets.c.applied_offset).where(
            consumer_offsets.c.topic == topic
        )
    )
    return {row.partition: row.applied_offset for row in rows}


async def count_is(app, table, expected: int) -> bool:
    return await count(app, table) == expected


async def test_batches_under_load_begin_a_gap_apart_and_a_record_after_a_quiet_stretch_at_once(
    settings, topics
):
    """Bounded micro-batching (`pacing.Spacing`): records fetched right after a batch began wait
    out the gap with those arriving behind them (one transaction for all); a record after a
    quiet stretch longer than the gap is applied at once, without waiting for company."""
    calls: list[list[str]] = []
    applied_at: list[float] = []
    clock = asyncio.get_running_loop().time

    async def handler(batch):
        calls.append([event.id for event in batch])
        applied_at.append(clock())

    producer, engine, consumer = captured_consumer(settings, topics, "gap-test", handler, batch_gap_ms=1500)

    async def publish(events):
        messages = [
            OutgoingMessage(topic=topics.captured, key="one", value=e.model_dump_json().encode())
            for e in events
        ]
        await producer.send_all(messages)

    task = asyncio.create_task(consumer.run())
    try:
        await publish([captured_event(uuid.uuid4())])  # the group joined and fetching
        await eventually(lambda: len(calls) == 1, timeout=60)
        first, behind = captured_event(uuid.uuid4()), [captured_event(uuid.uuid4()) for _ in range(3)]
        await publish([first])  # within the gap of the batch just begun
        await asyncio.sleep(0.4)
        await publish(behind)
        await eventually(lambda: len(calls) >= 2, timeout=10)
        await asyncio.sleep(2.0)  # quiet for longer than the gap
        lone = captured_event(uuid.uuid4())
        posted = clock()
        await publish([lone])
        await eventually(lambda: len(calls) >= 3, timeout=10)
    finally:
        task.cancel()
        await producer.stop()
        await engine.dispose()
    assert calls[1] == [event.id for event in (first, *behind)], calls
    assert applied_at[1] - applied_at[0] >= 1.4, "the second batch began a gap after the first"
    assert calls[2] == [lone.id]
    assert applied_at[2] - posted < 1.0, f"the lone record waited {applied_at[2] - posted:.2f} s"
