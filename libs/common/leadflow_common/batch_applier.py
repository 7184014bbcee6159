"""Hands a consumer's records to its handler: a batch in one call and one transaction; event by
event, with bounded retries and then the dead-letter topic, when a batch fails for a reason
other than infrastructure (`consumer.py` runs the loop around it)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine

from leadflow_common import keyring, metrics
from leadflow_common.batch import batch_transaction
from leadflow_common.dead_letters import DeadLetters, log_context
from leadflow_common.events import CloudEvent
from leadflow_common.failures import is_transient
from leadflow_common.offsets import OffsetKeeper, Offsets
from leadflow_common.sealing import is_sealable
from leadflow_common.wire import (
    EventTypes,
    RawEvent,
    current_types,
    decode_unopened,
    read_event,
    record_type,
    typed_event,
)

log = logging.getLogger(__name__)

# Applies events in order, all or none (one unit of work).
EventHandler = Callable[[list[CloudEvent[Any]]], Awaitable[None]]


class Undecodable(ValueError):
    """A record that is no event of the contract (or whose sealed parts do not open)."""


class BatchApplier:
    """Records to the handler: a batch in one call; one by one, with retries and then the
    dead-letter topic, when any is undecodable or the batch fails for a reason other than
    infrastructure. Infrastructure failures propagate: the caller rewinds and waits.

    Sealed personal data (`sealing.py`) is opened with the leads' keys, held until the handler
    is done with the events (`keyring.holding`): an erasure of one of these people waits for it.
    Only the event types in `opens` are opened (None: every type); the others reach the handler
    without their personal parts, and cost no key read. A record whose type is not in `handles`
    (None: every type) is skipped before it is decoded: its offset goes by, nothing else.

    The batch runs in one transaction (`batch.py`): the keys' locks, and every unit of work the
    handler opens, commit together."""

    def __init__(
        self,
        handler: EventHandler,
        dead_letters: DeadLetters,
        engine: AsyncEngine,
        *,
        max_attempts: int,
        retry_backoff: float,
        opens: EventTypes = None,
        handles: EventTypes = None,
        offsets: OffsetKeeper,
    ):
        self._offsets = offsets
        self._handler = handler
        self._dead_letters = dead_letters
        self._engine = engine
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._opens = opens
        self._handles = handles

    @contextlib.asynccontextmanager
    async def _opened(
        self, items: list["CloudEvent[Any] | RawEvent"], opens: frozenset[str] | None, finished: Offsets
    ) -> AsyncIterator[list[CloudEvent[Any]]]:
        to_open = [
            item.sealed_lead()
            if isinstance(item, RawEvent) and (opens is None or item.type in opens)
            else None
            for item in items
        ]
        async with batch_transaction(self._engine) as batch:
            self._offsets.keep_with(batch, finished)
            leads = {lead for lead in to_open if lead is not None}
            keys = await keyring.hold(await batch.connection(), leads) if leads else {}
            try:
                events = [
                    typed_event(item, None if lead is None else keys.get(lead))
                    if isinstance(item, RawEvent)
                    else item
                    for item, lead in zip(items, to_open, strict=True)
                ]
            except ValueError as error:
                raise Undecodable(str(error)) from error
            yield events

    async def _handled(self, records: list[ConsumerRecord]) -> list[ConsumerRecord]:
        handles = await current_types(self._handles)
        if handles is None:
            return records
        kept: list[ConsumerRecord] = []
        skipped: list[ConsumerRecord] = []
        for record in records:
            kind = record_type(record)
            (kept if kind is None or kind in handles else skipped).append(record)
        metrics.count_consumed(skipped, "skipped")
        return kept

    async def apply(self, records: list[ConsumerRecord]) -> None:
        finished = {TopicPartition(record.topic, record.partition): record.offset for record in records}
        records = await self._handled(records)
        if not records:
            return
        opens = await current_types(self._opens)
        try:
            items = [_read(record, opens) for record in records]
        except ValueError:
            items = None
        if items is not None and len(items) > 1:
            try:
                async with self._opened(items, opens, finished) as events:
                    await self._handler(events)
                metrics.count_consumed(records, "ok")
                return
            except Exception as error:
                if is_transient(error):
                    raise
                log.warning(
                    "batch failed, applying its events one by one",
                    extra={**log_context(records[0]), "error": type(error).__name__},
                )
        for record in records:
            await self._apply_one(record, opens)

    async def _apply_one(self, record: ConsumerRecord, opens: frozenset[str] | None) -> None:
        try:
            item = _read(record, opens)
        except ValueError as error:
            await self._dead_letters.send(record, error, attempts=0)
            return
        for attempt in range(1, self._max_attempts + 1):
            try:
                finished = {TopicPartition(record.topic, record.partition): record.offset}
                async with self._opened([item], opens, finished) as events:
                    await self._handler(events)
                metrics.EVENTS_CONSUMED.labels(topic=record.topic, outcome="ok").inc()
                return
            except Undecodable as error:
                await self._dead_letters.send(record, error, attempts=0)
                return
            except Exception as error:
                if is_transient(error):
                    raise
                if attempt == self._max_attempts:
                    log.exception("event failed, dead-lettering", extra=log_context(record))
                    await self._dead_letters.send(record, error, attempts=attempt)
                    return
                await asyncio.sleep(self._retry_backoff * attempt)


def _read(record: ConsumerRecord, opens: frozenset[str] | None) -> "CloudEvent[Any] | RawEvent":
    """A record typed in one pass when its header says nothing in it is to be opened (most
    deliveries; decoding was about a sixth of the console's and webhooks' CPU, and one pass
    costs 8 µs an event against 20); otherwise its envelope, to be opened with its lead's key
    under the batch's lock (`_opened`). Raises ValueError."""
    kind = record_type(record)
    if kind is not None and (not is_sealable(kind) or (opens is not None and kind not in opens)):
        return decode_unopened(record.value, kind)
    return read_event(record.value)
