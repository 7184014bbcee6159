"""Helpers for tests that talk to the real broker and database."""

import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from leadflow_common import keyring, sealing
from leadflow_common.db import create_engine
from leadflow_common.kafka import create_topics
from leadflow_common.settings import CommonSettings
from leadflow_common.topics import Topics

API_KEY = "test-api-key"


@contextlib.asynccontextmanager
async def fresh_database(postgres_server, template_database, database_dropper):
    """A database of its own, copied from the migrated template; its URL."""
    name = f"leadflow_test_{uuid.uuid4().hex[:12]}"
    await postgres_server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield postgres_server.url_for(name)
    database_dropper(name)


async def fresh_topics(kafka_bootstrap) -> Topics:
    topics = Topics(prefix=f"t{uuid.uuid4().hex[:10]}.")
    await create_topics(kafka_bootstrap, topics.all_topics(), partitions=3)
    return topics


def settings_for(kafka_bootstrap: str, database_url: str, topics: Topics) -> CommonSettings:
    """What a test's services share: its broker, database and topics."""
    return CommonSettings(
        kafka_bootstrap_servers=kafka_bootstrap,
        database_url=database_url,
        leadflow_api_key=API_KEY,
        leadflow_topic_prefix=topics.prefix,
        consumer_max_attempts=2,
        # A new consumer group on tansu waits half of this for members: 2 s, not 5, per start.
        kafka_session_timeout_ms=4000,
        # No console unless a test starts one: only the bootstrap key is accepted then.
        leadflow_console_url="",
    )


def message_sid(number: int) -> str:
    """A message id of Twilio's shape (capture refuses any other)."""
    return f"SM{number:032x}"


AUTH = {"Authorization": f"Bearer {API_KEY}"}
# What makes a form's lead hot under the default rules (with an email or phone of its own).
HOT = {
    "job_title": "CTO",
    "company_size": "1000+",
    "consent": {"email": True},
    "attribution": {"source": "referral"},
}


async def read_events(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 20.0,
) -> list[dict[str, Any]]:
    """Every event on `topic` from the start, read until `until(events)` holds; fails at the
    deadline rather than sleeping a fixed time."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(events):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out on {topic}; read {len(events)} events: {events[-3:]}")
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    event = json.loads(record.value)
                    event["_key"] = record.key.decode() if record.key else None
                    event["_headers"] = {k: v.decode() for k, v in record.headers or ()}
                    events.append(event)
    finally:
        await consumer.stop()
    return events


async def eventually(check: Callable[[], Any], *, timeout: float = 15.0, interval: float = 0.1):
    """Await `check()` until it returns a truthy value (or raises no AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def read_records_to_end(bootstrap: str, topic: str, *, timeout: float = 20.0) -> list[ConsumerRecord]:
    """Every record on `topic` up to its current end offsets: for asserting exact counts."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()  # loads the topic's partitions
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out reading {topic} to its end")
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def read_to_end(bootstrap: str, topic: str, *, timeout: float = 20.0) -> list[dict[str, Any]]:
    return [
        json.loads(record.value) for record in await read_records_to_end(bootstrap, topic, timeout=timeout)
    ]


async def opened(database_url: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events as read from a topic, their sealed personal parts opened with the leads' keys
    where the keys still exist (as a consumer reads them)."""
    sealed = {uuid.UUID(e["subject"]) for e in events if sealing.is_sealed(e["type"], e["data"])}
    engine = create_engine(database_url, application_name="test-reader")
    try:
        async with engine.connect() as connection:
            keys = await keyring.read(connection, sealed)
    finally:
        await engine.dispose()

    def key_of(event: dict[str, Any]) -> bytes | None:
        return (
            keys.get(uuid.UUID(event["subject"])) if sealing.is_sealed(event["type"], event["data"]) else None
        )

    return [{**e, "data": sealing.unseal(e["type"], e["data"], key_of(e), e["subject"])} for e in events]


async def post_until_offered(client: httpx.AsyncClient, system, lead: dict[str, Any]) -> tuple[str, dict]:
    """A landing page's lead posted (`client` with the API key), and its first offer once routing
    made it: the lead's id and the offered assignment."""
    lead_id = (await client.post(f"{system.capture}/v1/leads/landing-page", json=lead)).json()["lead_id"]

    async def offered() -> dict | None:
        rows = (await client.get(f"{system.routing}/v1/assignments", params={"lead_id": lead_id})).json()
        return next((row for row in rows if row["status"] == "offered"), None)

    return lead_id, await eventually(offered, timeout=20)


def problem_fields(response: httpx.Response, status: int = 422) -> dict[str, str]:
    """A problem+json answer of `status`, as the fields it names (name → message)."""
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    return {field["name"]: field["message"] for field in response.json().get("fields") or []}


async def is_ready(url: str) -> bool:
    """Whether a service process answers /readyz with 200 (its database and broker reachable)."""
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.asynccontextmanager
async def in_process(app, *, headers: dict | None = None, raise_app_exceptions: bool = True):
    """The app with its lifespan running, and an HTTP client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", headers=headers
        ) as client:
            yield client


@contextlib.asynccontextmanager
async def kafka_producer(bootstrap: str):
    """A plain producer for tests that publish events themselves."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def capture_in_process(settings, **capture_settings):
    """The capture app in-process with these settings: (client, app)."""
    from leadflow_capture.main import create_app
    from leadflow_capture.settings import CaptureSettings

    app = create_app(settings, CaptureSettings(**capture_settings))
    async with in_process(app) as client:
        yield client, app


class Latencies:
    """Legitimate traffic's latency, measured beside an attack in the same run."""

    def __init__(self, label: str):
        self.label = label
        self.seconds: list[float] = []

    async def post(self, client: httpx.AsyncClient, url: str, **arguments) -> httpx.Response:
        started = time.perf_counter()
        response = await client.post(url, **arguments)
        self.seconds.append(time.perf_counter() - started)
        return response

    def p95(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    def report(self) -> str:
        return f"{self.label}: {len(self.seconds)} posts, p95 {self.p95() * 1000:.0f} ms"


async def legitimate_posts(base: str, latencies: Latencies, count: int, *, tag: str) -> None:
    """`count` ordinary landing-page leads, one after another, each timed."""
    async with httpx.AsyncClient(timeout=30) as client:
        for n in range(count):
            body = {"email": f"{tag}{n}@example.com", "first_name": "Real", "job_title": "CTO"}
            response = await latencies.post(client, f"{base}/v1/leads/landing-page", json=body)
            assert response.status_code == 202, response.text


class IdleRelay:
    """An outbox relay for a unit of work under test whose events nobody publishes."""

    def wake(self) -> None:
        pass


def service_environment(settings: CommonSettings, **extra: str) -> dict[str, str]:
    """The environment a service process needs to join this test's broker, database, topics."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "DATABASE_URL": settings.database_url,
        "LEADFLOW_API_KEY": settings.leadflow_api_key,
        "LEADFLOW_TOPIC_PREFIX": settings.leadflow_topic_prefix,
        "OUTBOX_POLL_SECONDS": str(settings.outbox_poll_seconds),
        "KAFKA_SESSION_TIMEOUT_MS": str(settings.kafka_session_timeout_ms),
        "LEADFLOW_CONSOLE_URL": settings.leadflow_console_url,
        **extra,
    }
