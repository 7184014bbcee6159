"""aiokafka at the edges: a producer, topic creation and a consumer loop with manual commits,
bounded retries and a dead-letter topic.

Delivery is at least once: offsets are committed only after the handler's transaction has
committed, and handlers drop event ids they have already applied. Neither the idempotent
producer nor transactions are used (tansu, the local broker, does not support them).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from leadflow_common import metrics
from leadflow_common.events import CloudEvent, decode_event
from leadflow_common.failures import is_transient
from leadflow_common.topics import dead_letter_topic

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = TopicAlreadyExistsError.errno
UNASSIGNED_REJOIN_SECONDS = 60


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


class EventProducer:
    """One aiokafka producer per process, started lazily so a service comes up (and keeps its
    outbox filling) while the broker is away."""

    def __init__(self, bootstrap_servers: str, *, client_id: str, request_timeout_ms: int = 10_000):
        self._bootstrap_servers = bootstrap_servers
        self._client_id = client_id
        self._request_timeout_ms = request_timeout_ms
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._bootstrap_servers,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=False,
                    request_timeout_ms=self._request_timeout_ms,
                    linger_ms=1,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def send_all(self, messages: Iterable[OutgoingMessage]) -> None:
        """Send every message and wait until the broker has acknowledged all of them."""
        producer = await self._started()
        pending = []
        for message in messages:
            headers = [(name, value.encode()) for name, value in message.headers.items()]
            pending.append(
                (
                    message.topic,
                    await producer.send(
                        message.topic, message.value, key=message.key.encode(), headers=headers
                    ),
                )
            )
        # Every delivery is awaited, so none of their errors goes unretrieved when one fails.
        outcomes = await asyncio.gather(*(delivery for _, delivery in pending), return_exceptions=True)
        for (topic, _), outcome in zip(pending, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome
            metrics.EVENTS_PRODUCED.labels(topic=topic).inc()

    async def stop(self) -> None:
        async with self._lock:
            if self._producer is not None:
                await self._producer.stop()
                self._producer = None


async def create_topics(
    bootstrap_servers: str, topics: Iterable[str], *, partitions: int = 6, replication: int = 1
) -> None:
    """Create the topics that do not exist yet (the local broker creates none by itself)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(name, partitions, replication) for name in topics])
        for name, code, message in response.topic_errors:
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise KafkaError(f"creating topic {name} failed: {code} {message}")
    finally:
        await admin.close()


async def broker_answers(bootstrap_servers: str, *, wait_seconds: float = 3.0) -> None:
    """Raise unless a broker answers a metadata request in time."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=int(wait_seconds * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), wait_seconds)
        await asyncio.wait_for(admin.list_topics(), wait_seconds)
    finally:
        await admin.close()


# Applies events in order, all or none (one transaction); a batch it fails is retried event by
# event, so one poison event cannot hold back the others.
EventHandler = Callable[[list[CloudEvent]], Awaitable[None]]
BATCH_SIZE = 100


class _LoggingRebalanceListener(ConsumerRebalanceListener):
    def __init__(self, group_id: str):
        self._group_id = group_id

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Offsets are committed right after each partition's batch, inside the fetch loop,
        # so by the time a rebalance runs there is nothing processed and uncommitted.
        log.info(
            "partitions revoked", extra={"group": self._group_id, "partitions": sorted(map(str, revoked))}
        )

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info(
            "partitions assigned", extra={"group": self._group_id, "partitions": sorted(map(str, assigned))}
        )


class EventConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: list[str],
        handler: EventHandler,
        producer: EventProducer,
        max_attempts: int = 3,
        retry_backoff: float = 0.2,
        fetch_wait_ms: int = 50,
    ):
        self._bootstrap_servers = bootstrap_servers
        self._group_id = group_id
        self._topics = topics
        self._handler = handler
        self._producer = producer
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._fetch_wait_ms = fetch_wait_ms

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap_servers,
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=500,
            fetch_max_wait_ms=self._fetch_wait_ms,
        )

    async def run(self) -> None:
        """Consume until cancelled, surviving broker outages."""
        backoff = 0.5
        while True:
            consumer = self._new_consumer()
            try:
                await consumer.start()
                consumer.subscribe(self._topics, listener=_LoggingRebalanceListener(self._group_id))
                backoff = 0.5
                await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Whatever breaks the client (the broker gone, a garbled response while it
                # restarts), the consumer starts over; a dead consumer task would leave the
                # service up and idle.
                log.warning(
                    "consumer restarting",
                    extra={"group": self._group_id, "error": f"{type(error).__name__}: {error}"},
                )
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        loop = asyncio.get_running_loop()
        unassigned_since = loop.time()
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            if consumer.assignment():
                unassigned_since = loop.time()
            elif loop.time() - unassigned_since > UNASSIGNED_REJOIN_SECONDS:
                # Replicas never outnumber partitions, so a member without any is stuck in a
                # group the broker lost track of (seen after broker restarts): rejoin.
                raise RuntimeError(f"no partitions assigned for {UNASSIGNED_REJOIN_SECONDS} s")
            # Partitions are applied side by side (their waits on the database overlap), each
            # in order, so a lead's events (one key, one partition) keep their order.
            done = await asyncio.gather(
                *(
                    self._process_partition(consumer, partition, records)
                    for partition, records in batches.items()
                )
            )
            offsets = {
                partition: last + 1 for partition, last in zip(batches, done, strict=True) if last is not None
            }
            if offsets:
                with contextlib.suppress(KafkaError):
                    # A failed commit (the group rebalanced) means redelivery, which the
                    # handlers' idempotency absorbs.
                    await consumer.commit(offsets)
            for partition, records in batches.items():
                self._record_lag(consumer, partition, records)

    async def _process_partition(
        self, consumer: AIOKafkaConsumer, partition: TopicPartition, records: list[ConsumerRecord]
    ) -> int | None:
        """Apply records in order, a batch per transaction; return the offset of the last one
        finished with."""
        last_done = None
        for start in range(0, len(records), BATCH_SIZE):
            chunk = records[start : start + BATCH_SIZE]
            try:
                await self._apply_batch(chunk)
            except Exception:
                # Infrastructure is down: rewind so these records come again, and back off.
                log.exception("consumer paused on a transient failure", extra=self._log_context(chunk[0]))
                consumer.seek(partition, chunk[0].offset)
                await asyncio.sleep(1.0)
                break
            last_done = chunk[-1].offset
        return last_done

    async def _apply_batch(self, records: list[ConsumerRecord]) -> None:
        """The records in one call of the handler; one by one when any is undecodable or the
        batch fails for a reason other than infrastructure."""
        try:
            events = [decode_event(record.value) for record in records]
        except ValueError:
            events = None
        if events is not None and len(events) > 1:
            try:
                await self._handler(events)
                for record in records:
                    metrics.EVENTS_CONSUMED.labels(topic=record.topic, outcome="ok").inc()
                return
            except Exception as error:
                if is_transient(error):
                    raise
                log.warning(
                    "batch failed, applying its events one by one",
                    extra={**self._log_context(records[0]), "error": type(error).__name__},
                )
        for record in records:
            await self._apply(record)

    async def _apply(self, record: ConsumerRecord) -> None:
        try:
            event = decode_event(record.value)
        except ValueError as error:
            await self._dead_letter(record, error, attempts=0)
            return
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handler([event])
                metrics.EVENTS_CONSUMED.labels(topic=record.topic, outcome="ok").inc()
                return
            except Exception as error:
                if is_transient(error):
                    raise
                if attempt >= self._max_attempts:
                    log.exception("event failed, dead-lettering", extra=self._log_context(record, event))
                    await self._dead_letter(record, error, attempts=attempt)
                    return
                await asyncio.sleep(self._retry_backoff * attempt)

    async def _dead_letter(self, record: ConsumerRecord, error: BaseException, *, attempts: int) -> None:
        headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
        headers.update(
            {
                "dlq_error": f"{type(error).__name__}: {error}"[:2000],
                "dlq_source_topic": record.topic,
                "dlq_source_partition": str(record.partition),
                "dlq_source_offset": str(record.offset),
                "dlq_consumer_group": self._group_id,
                "dlq_attempts": str(attempts),
            }
        )
        await self._producer.send_all(
            [
                OutgoingMessage(
                    topic=dead_letter_topic(record.topic),
                    key=(record.key or b"").decode(errors="replace"),
                    value=record.value or b"",
                    headers=headers,
                )
            ]
        )
        metrics.EVENTS_CONSUMED.labels(topic=record.topic, outcome="dead_lettered").inc()
        metrics.DEAD_LETTERED.labels(topic=record.topic).inc()

    def _record_lag(self, consumer: AIOKafkaConsumer, partition: TopicPartition, records) -> None:
        highwater = consumer.highwater(partition)
        if highwater is not None and records:
            metrics.CONSUMER_LAG.labels(
                group=self._group_id, topic=partition.topic, partition=str(partition.partition)
            ).set(max(highwater - records[-1].offset - 1, 0))

    def _log_context(self, record: ConsumerRecord, event: CloudEvent | None = None) -> dict:
        context = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        if event is not None:
            context.update(event_id=event.id, lead_id=event.subject)
        return context
