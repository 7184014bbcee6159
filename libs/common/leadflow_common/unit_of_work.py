"""One way to change state: a unit of work (cosmicpython's pattern, on SQLAlchemy Core).

Every state change of every service, whether an HTTP route or a Kafka handler asked for it, runs
as one unit of work: one transaction that owns the connection, records the event ids it claims
(so a redelivered event changes nothing), takes advisory locks, and publishes events through the
service's outbox, stamped with the service as their source. The unit's events are written to the
outbox together, in the order published, just before it commits (one statement for them all).
Leaving it commits everything together, or nothing; after a commit that published, it wakes the
outbox relay, so no caller can forget to and no event waits for the relay's next poll. Opened by
a consumer's handler, a unit joins the batch's transaction instead (`batch.py`): the batch
commits every unit of it, and its outbox rows, together.

    async with runtime.unit_of_work(consumer="scoring") as uow:
        for event in await uow.first_seen(events):  # claimed in one statement, each once
            ...  # repository calls with uow.connection
            await uow.publish(topics.scored, LeadScored(...), subject=lead_id)
"""

import uuid
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadflow_common import keyring
from leadflow_common.access import Principal
from leadflow_common.batch import BatchTransaction, joinable_batch
from leadflow_common.db import lock_keys, try_lock_key
from leadflow_common.driver import Prepared
from leadflow_common.event_base import Outgoing as Outgoing  # pure: the domain plans with it
from leadflow_common.events import AuditRecorded, CloudEvent, EventData, new_event
from leadflow_common.idempotency import claim_events
from leadflow_common.outbox import OutboxRelay, enqueue_rows, outbox_rows
from leadflow_common.sealing import is_sealable
from leadflow_common.wire import wire_payload

T = TypeVar("T")


def _event_id(event: CloudEvent) -> str:
    return event.id


class UnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        outbox: Table,
        relay: OutboxRelay,
        source: str,
        processed_events: Table | None = None,
        consumer: str | None = None,
        audit_topic: str | None = None,
    ):
        self._engine = engine
        self._outbox = outbox
        self._relay = relay
        self.source = source
        self._processed_events = processed_events
        self._consumer = consumer
        self._audit_topic = audit_topic
        self._transaction = None
        self._batch: BatchTransaction | None = None  # the consumer's batch this unit joined
        self._outgoing: list[dict] = []  # outbox rows, written just before the commit
        self._committed: list[Callable[[], None]] = []  # told once what the unit did is committed
        self._deferred: dict[Prepared, list[dict]] = {}  # rows written together, in order
        self._keys: keyring.Keys = {}  # the leads' keys read so far, to seal what is published
        self._keys_looked_up: set[uuid.UUID] = set()  # found or not (an erased lead has none)
        self.connection: AsyncConnection

    async def __aenter__(self) -> "UnitOfWork":
        # Inside a consumer's batch the unit is part of the batch's transaction (`batch.py`).
        self._batch = joinable_batch()
        if self._batch is not None:
            self.connection = await self._batch.connection()
        else:
            self._transaction = self._engine.begin()
            self.connection = await self._transaction.__aenter__()
        self._outgoing, self._deferred, self._committed = [], {}, []
        self._keys, self._keys_looked_up = {}, set()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None and self._deferred:
            try:
                await self.flush_deferred()
            except BaseException as failed:  # nothing of the unit is kept
                await self.__aexit__(type(failed), failed, failed.__traceback__)
                raise
        if self._batch is not None:
            if kind is None:
                self._batch.add_outgoing(self._outbox, self._outgoing, self._relay)
                self._batch.after_commit(self._committed)
            else:
                self._batch.fail(error)
            return
        published = bool(self._outgoing) and kind is None
        if published:
            try:
                await enqueue_rows(self.connection, self._outbox, self._outgoing)
            except BaseException as failed:  # nothing of the unit is kept
                await self._transaction.__aexit__(type(failed), failed, failed.__traceback__)
                raise
        await self._transaction.__aexit__(kind, error, trace)  # commits, or rolls back on error
        if published:
            self._relay.wake()
        if kind is None:
            for callback in self._committed:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """`callback` called once what this unit did is committed (inside a consumer's batch:
        once the batch is), never if it rolls back: a wake-up for a loop that reads what the
        unit wrote from another connection, which before the commit finds nothing."""
        self._committed.append(callback)

    async def first_seen(self, items: list[T], key: Callable[[T], str] = _event_id) -> list[T]:
        """Of these events (or items holding one, `key` giving its id), in order, those this
        consumer sees for the first time, each once however often the batch repeats it. They
        are recorded as seen with the effect, in one statement: the caller applies exactly
        these."""
        if self._processed_events is None or self._consumer is None:
            raise RuntimeError("this unit of work was opened without a consumer")
        new = await claim_events(
            self.connection,
            self._processed_events,
            consumer=self._consumer,
            event_ids=[key(item) for item in items],
        )
        fresh = []
        for item in items:
            if key(item) in new:
                new.discard(key(item))
                fresh.append(item)
        return fresh

    def defer(self, statement: Prepared, row: dict) -> None:
        """A row nothing in the unit reads back (a trail entry, say): written with the others
        of its statement in one statement, in order, at `flush_deferred` or the unit's end."""
        self._deferred.setdefault(statement, []).append(row)

    async def flush_deferred(self) -> None:
        """The deferred rows written now: before the unit reads what they are part of."""
        deferred, self._deferred = self._deferred, {}
        for statement, rows in deferred.items():
            await statement.execute_many(self.connection, rows)

    async def lock(self, keys: Iterable[str]) -> None:
        """Advisory locks on these keys until the unit ends (sorted: no deadlock between units)."""
        await lock_keys(self.connection, keys)

    async def try_lock(self, key: str) -> bool:
        return await try_lock_key(self.connection, key)

    async def publish(self, topic: str, data: EventData, *, subject: object) -> CloudEvent:
        """An event about `subject` (a lead id), published once the unit commits."""
        [event] = await self.publish_all(topic, [Outgoing(data, subject)])
        return event

    async def audit(
        self,
        actor: Principal | str,
        action: str,
        target: tuple[str, object] | None = None,
        *,
        outcome: str = "succeeded",
        **details: str | int | float | bool | None,
    ) -> None:
        """Records who did what with the change itself: an audit entry exists exactly when the
        change was committed (ids only in `details`, never personal data or secrets)."""
        if self._audit_topic is None:
            raise RuntimeError("this unit of work was opened without an audit topic")
        target_type, target_id = (target[0], str(target[1])) if target else (None, None)
        actor_name = actor.actor if isinstance(actor, Principal) else actor
        entry = AuditRecorded(
            actor=actor_name,
            action=action,
            target_type=target_type,
            target_id=target_id,
            service=self.source.removeprefix("leadflow/"),
            outcome=outcome,
            details=details,
        )
        await self.publish(self._audit_topic, entry, subject=target_id or actor_name)

    async def load_keys(self, lead_ids: Iterable[uuid.UUID]) -> None:
        """Reads these leads' keys in one statement for what the unit will publish about them: a
        unit publishing about many leads one at a time reads them once, not once each."""
        if missing := set(lead_ids) - self._keys_looked_up:
            self._keys |= await keyring.read(self.connection, missing)
            self._keys_looked_up |= missing

    def know_keys(self, keys: keyring.Keys) -> None:
        """Keys this unit created (capture's new leads): nothing to read back."""
        self._keys |= keys
        self._keys_looked_up |= keys.keys()

    async def publish_all(self, topic: str, outgoing: list[Outgoing]) -> list[CloudEvent]:
        """A batch's events, in order (written to the outbox with the unit's others at its end)."""
        events = [new_event(item.data, source=self.source, subject=str(item.subject)) for item in outgoing]
        await self.load_keys(uuid.UUID(event.subject) for event in events if is_sealable(event.type))
        payloads = [wire_payload(event, self._keys.get(_lead_of(event))) for event in events]
        self._outgoing += outbox_rows(topic, events, payloads)
        return events


def _lead_of(event: CloudEvent) -> uuid.UUID | None:
    return uuid.UUID(event.subject) if is_sealable(event.type) else None
