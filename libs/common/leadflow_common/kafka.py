"""aiokafka at the edges: a producer, topic creation and a broker check (the consumer loop is
`consumer.py`). Neither the idempotent producer nor transactions are used (tansu, the local
broker, does not support them)."""

import asyncio
import collections
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from leadflow_common import metrics

log = logging.getLogger(__name__)
# What consumers do is logged under the consumer's name, wherever the code lives.
consumer_log = logging.getLogger("leadflow_common.consumer")

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
        # Counted per topic (a labelled series looked up per topic, not per event), up to the
        # first failure, which is raised as before.
        produced: collections.Counter[str] = collections.Counter()
        failed = next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None)
        for (topic, _), outcome in zip(pending, outcomes, strict=True):
            if failed is not None and outcome is failed:
                break
            produced[topic] += 1
        for topic, count in produced.items():
            metrics.EVENTS_PRODUCED.labels(topic=topic).inc(count)
        if failed is not None:
            raise failed

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


class LoggingRebalanceListener(ConsumerRebalanceListener):
    def __init__(self, group_id: str):
        self._group_id = group_id

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        # Offsets are stored with each batch's effects (`offsets.py`): the next holder of a
        # partition starts after them, whatever the broker was told.
        consumer_log.info(
            "partitions revoked", extra={"group": self._group_id, "partitions": sorted(map(str, revoked))}
        )

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer_log.info(
            "partitions assigned", extra={"group": self._group_id, "partitions": sorted(map(str, assigned))}
        )
