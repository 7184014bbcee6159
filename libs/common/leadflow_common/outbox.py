"""The transactional outbox: state changes and the events describing them commit together,
and a relay publishes the events afterwards.

Order per lead holds because one relay at a time publishes (a transaction-scoped advisory lock
elects it, so two processes of a service are safe), rows go out in id order, and a row is
deleted only after the broker acknowledged it. A failed batch is retried whole: events can be
published twice, never lost, and consumers drop the repeats by event id.
"""

import asyncio
import contextlib
import logging
import time
import zlib

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadflow_common import metrics
from leadflow_common.events import CloudEvent
from leadflow_common.kafka import EventProducer, OutgoingMessage

log = logging.getLogger(__name__)

BACKLOG_SAMPLE_SECONDS = 1.0


async def enqueue(connection: AsyncConnection, outbox: Table, topic: str, event: CloudEvent) -> None:
    """Add an event to the outbox inside the caller's transaction."""
    await enqueue_many(connection, outbox, topic, [event])


async def enqueue_many(
    connection: AsyncConnection, outbox: Table, topic: str, events: list[CloudEvent]
) -> None:
    """Add events to the outbox inside the caller's transaction, in one statement, in order."""
    if not events:
        return
    await connection.execute(
        insert(outbox),
        [
            {
                "event_id": event.id,
                "topic": topic,
                "key": event.subject,
                "payload": event.model_dump_json(),
                "headers": {"ce_id": event.id, "ce_type": event.type},
            }
            for event in events
        ],
    )


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        producer: EventProducer,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
    ):
        self._engine = engine
        self._outbox = outbox
        self._producer = producer
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._lock_key = zlib.crc32(f"outbox:{outbox.fullname}".encode())
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._last_sample = 0.0

    def wake(self) -> None:
        """Publish now rather than at the next poll (called after a commit that enqueued)."""
        self._wakeup.set()

    async def run(self) -> None:
        """Publish until stopped; on stop, drain what is left unless the broker is away (then
        the rows wait in the outbox for the next start)."""
        backoff = 0.2
        while True:
            # Only a pass that began after stop() was asked for can prove the outbox drained.
            draining = self._stopping
            try:
                published = await self.publish_batch()
                backoff = 0.2
            except Exception as error:
                if self._stopping:
                    return
                log.warning(
                    "outbox relay cannot publish yet, retrying",
                    extra={"error": str(error), "retry_in": backoff},
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published < self._batch_size:
                if draining:
                    return
                if not self._stopping:
                    await self._sleep(self._poll_seconds)

    async def stop(self) -> None:
        """Ask the relay to drain and return (used on SIGTERM)."""
        self._stopping = True
        self.wake()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        self._wakeup.clear()

    async def publish_batch(self) -> int:
        outbox = self._outbox
        async with self._engine.begin() as connection:
            elected = await connection.scalar(select(func.pg_try_advisory_xact_lock(self._lock_key)))
            if not elected:
                return 0
            await self._sample_backlog(connection)
            rows = (
                await connection.execute(
                    select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.payload, outbox.c.headers)
                    .order_by(outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            if not rows:
                return 0
            await self._producer.send_all(
                OutgoingMessage(topic=row.topic, key=row.key, value=row.payload.encode(), headers=row.headers)
                for row in rows
            )
            # By id, not by range: a transaction that took a smaller id may commit after this read.
            await connection.execute(delete(outbox).where(outbox.c.id.in_([row.id for row in rows])))
        return len(rows)

    async def _sample_backlog(self, connection: AsyncConnection) -> None:
        now = time.monotonic()
        if now - self._last_sample < BACKLOG_SAMPLE_SECONDS:
            return
        self._last_sample = now
        count, oldest_age = (
            await connection.execute(
                select(
                    func.count(),
                    func.coalesce(func.extract("epoch", func.now() - func.min(self._outbox.c.created_at)), 0),
                ).select_from(self._outbox)
            )
        ).one()
        metrics.OUTBOX_BACKLOG.set(count)
        metrics.OUTBOX_OLDEST_AGE.set(float(oldest_age))
