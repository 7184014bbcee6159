"""The transactional outbox: state changes and the events describing them commit together,
and a relay publishes the events afterwards.

Order per lead holds because one relay at a time publishes (a transaction-scoped advisory lock
elects it, so two processes of a service are safe), rows go out in id order, and a row's
deletion commits only after the broker acknowledged it. A batch that failed because the broker
is away is retried whole: events can be published twice, never lost, and consumers drop the
repeats by event id. An event the broker refuses for good (too large, say) must not hold back
every event behind it: it is moved to `outbox_failed` with the broker's error, counted, and the
rest go on.
"""

import asyncio
import contextlib
import functools
import logging
import time
import zlib
from typing import NamedTuple

from aiokafka.errors import (
    InvalidMessageError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from asyncpg import Record
from sqlalchemy import BigInteger, Table, bindparam, delete, func, insert, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadflow_common import metrics, wakeups
from leadflow_common.db import set_aside_table
from leadflow_common.driver import Prepared
from leadflow_common.events import CloudEvent
from leadflow_common.kafka import EventProducer, OutgoingMessage
from leadflow_common.pacing import Spacing

log = logging.getLogger(__name__)

BACKLOG_SAMPLE_SECONDS = 1.0
# Another process of the service holds the relay's lock: look again this soon, not at the next
# poll, so the rows this process just enqueued wait for the other's batch, not for a poll.
ELECTION_RETRY_SECONDS = 0.05
# The largest event the outbox takes, well under the producer's 1 MiB request limit: whatever a
# service enqueues can be published. A service bounds its events far below this (capture's
# leads are bounded in count and bytes); this is the backstop that turns a bug into one error.
MAX_EVENT_BYTES = 512 * 1024
# What the broker (or the producer before it) answers for one event that no retry will fix.
REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    InvalidMessageError,
    InvalidTopicError,
)


class EventTooLarge(ValueError):
    pass


def outbox_rows(topic: str, events: list[CloudEvent], payloads: list[str]) -> list[dict]:
    """Events as outbox rows (each as published: `payloads`, serialized once); refuses one larger
    than the broker takes."""
    rows = []
    for event, payload in zip(events, payloads, strict=True):
        if len(payload) > MAX_EVENT_BYTES // 4 and len(payload.encode()) > MAX_EVENT_BYTES:
            raise EventTooLarge(f"{event.type} event {event.id} exceeds {MAX_EVENT_BYTES} bytes")
        rows.append(
            {
                "event_id": event.id,
                "topic": topic,
                "key": event.subject,
                "payload": payload,
                "headers": {"ce_id": event.id, "ce_type": event.type},
            }
        )
    return rows


ROW_COLUMNS = ["event_id", "topic", "key", "payload", "headers"]
TAKEN_COLUMNS = ["id", *ROW_COLUMNS]


class _Statements(NamedTuple):
    """An outbox's statements: its rows added, and a relay's pass taken in one round trip."""

    enqueue: Prepared
    take: Prepared


def _take(outbox: Table) -> Prepared:
    """A relay's pass in one statement: the election (the advisory lock, if free), the oldest
    `limit` rows deleted and returned, and the wake-up naming their topics. All of it is the
    caller's transaction's: if the broker does not take the rows, the rollback puts them back
    and no wake-up is heard. Always one row for the election (`won`); the taken rows' columns
    are empty on it when none were taken."""
    elected = select(func.pg_try_advisory_xact_lock(bindparam("key", type_=BigInteger)).label("won")).cte(
        "elected"
    )
    oldest = (
        select(outbox.c.id)
        .where(select(elected.c.won).scalar_subquery())
        .order_by(outbox.c.id)
        .limit(bindparam("limit"))
    )
    taken = (
        delete(outbox)
        .where(outbox.c.id.in_(oldest))
        .returning(*[outbox.c[name] for name in TAKEN_COLUMNS])
        .cte("taken")
    )
    # Aggregated over no row it would still notify (an empty list): HAVING keeps it silent.
    announced = (
        select(
            func.count().label("events"),
            func.pg_notify(literal(wakeups.CHANNEL), func.string_agg(taken.c.topic.distinct(), literal(","))),
        )
        .select_from(taken)
        .having(func.count() > 0)
        .cte("announced")
    )
    # Read from, so PostgreSQL runs it (a CTE nothing reads is skipped).
    return Prepared(
        select(elected.c.won, announced.c.events, *[taken.c[name] for name in TAKEN_COLUMNS])
        .select_from(elected.outerjoin(taken, true()).outerjoin(announced, true()))
        .order_by(taken.c.id)
    )


@functools.cache
def _statements(outbox: Table) -> _Statements:
    """Built once per outbox."""
    return _Statements(enqueue=Prepared(insert(outbox), keys=ROW_COLUMNS), take=_take(outbox))


async def enqueue_rows(connection: AsyncConnection, outbox: Table, rows: list[dict]) -> None:
    """Add outbox rows inside the caller's transaction, in one statement, in order."""
    await _statements(outbox).enqueue.execute_many(connection, rows)


def _message(row: Record) -> OutgoingMessage:
    payload: str = row["payload"]
    return OutgoingMessage(topic=row["topic"], key=row["key"], value=payload.encode(), headers=row["headers"])


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        producer: EventProducer,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        pass_gap_seconds: float = 0.0,
    ):
        self._engine = engine
        self._outbox = outbox
        self._failed = set_aside_table(outbox)
        self._producer = producer
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        # Under load, a pass a gap after the last (pacing.py): one transaction for what the
        # commits of the gap enqueued, not one for each.
        self._spacing = Spacing(pass_gap_seconds)
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
            if not draining and (wait := self._spacing.wait()) > 0:
                await asyncio.sleep(wait)
            began = self._spacing.now()
            try:
                published = await self.publish_batch()
                if published:
                    # Only a pass that published counts: one that found nothing (another pass
                    # took the rows it was woken for) must not hold back the next lone event.
                    self._spacing.started(at=began)
                backoff = 0.2
                if published is None:
                    if draining:
                        return  # the elected process publishes what is left
                    await self._sleep(ELECTION_RETRY_SECONDS)
                    continue
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

    async def publish_batch(self) -> int | None:
        """Publishes the oldest rows; how many, or None when another process is publishing."""
        async with self._engine.begin() as connection:
            taken = await _statements(self._outbox).take.fetch(
                connection, {"key": self._lock_key, "limit": self._batch_size}
            )
            if not taken[0].won:
                return None
            await self._sample_backlog(connection)  # what waits behind this pass
            rows = [row for row in taken if row.id is not None]
            if not rows:
                return 0
            try:
                await self._producer.send_all(_message(row) for row in rows)
            except REFUSED_FOR_GOOD:
                # Some event of the batch will never go: find it, set it aside, send the rest.
                await self._send_one_by_one(connection, rows)
        return len(rows)

    async def _send_one_by_one(self, connection: AsyncConnection, rows: list[Record]) -> None:
        """Sends the rows in order (taken from the outbox by the caller's transaction); one the
        broker refuses for good is written to outbox_failed with the error."""
        for row in rows:
            try:
                await self._producer.send_all([_message(row)])
            except REFUSED_FOR_GOOD as error:
                reason = f"{type(error).__name__}: {error}"[:2000]
                kept = {name: row[name] for name in ROW_COLUMNS}
                await connection.execute(insert(self._failed).values(**kept, error=reason))
                metrics.OUTBOX_SET_ASIDE.labels(topic=row["topic"]).inc()
                log.error(
                    "event refused by the broker for good; set aside in outbox_failed",
                    extra={"event_id": row["headers"].get("ce_id"), "topic": row["topic"], "error": reason},
                )

    async def _sample_backlog(self, connection: AsyncConnection) -> None:
        now = time.monotonic()
        if now - self._last_sample < BACKLOG_SAMPLE_SECONDS:
            return
        self._last_sample = now
        health = await outbox_health(connection, self._outbox)
        metrics.OUTBOX_BACKLOG.set(health["backlog"])
        metrics.OUTBOX_OLDEST_AGE.set(health["oldest_age_seconds"])
        metrics.OUTBOX_FAILED.set(health["set_aside"])


async def outbox_health(connection: AsyncConnection, outbox: Table) -> dict:
    """Events waiting, the age of the oldest, and events set aside for an operator."""
    count, oldest_age = (
        await connection.execute(
            select(
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0),
            ).select_from(outbox)
        )
    ).one()
    failed = set_aside_table(outbox)
    set_aside = await connection.scalar(select(func.count()).select_from(failed))
    return {"backlog": count, "oldest_age_seconds": round(float(oldest_age), 1), "set_aside": set_aside}
