"""The webhooks service's SQL: rows in, typed objects out."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, Update, and_, bindparam, delete, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, FromClause
from sqlalchemy.sql.elements import Label

from leadflow_common.db import claimed_once, constant
from leadflow_webhooks.domain.status import DeliveryStatus
from leadflow_webhooks.store.tables import attempts, deliveries, endpoints

# The partial indexes on pending deliveries serve only queries naming the status as a constant.
PENDING = constant(DeliveryStatus.pending)


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    disabled_reason: str | None
    failing_since: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    def live_secrets(self, now: datetime) -> list[str]:
        overlap = self.previous_secret and self.previous_secret_until and self.previous_secret_until > now
        return [self.secret, self.previous_secret] if overlap else [self.secret]


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    seq: int
    endpoint_id: uuid.UUID
    event_id: str
    event_type: str
    lead_id: str
    payload: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    # Read only by the listings: the lead's earlier pending delivery to the same endpoint, which
    # this one goes after (per-lead order), so its own next_attempt_at is not when it will go.
    waiting_for: uuid.UUID | None = None

    def __post_init__(self) -> None:  # a row's status is its value: the member, from here on
        object.__setattr__(self, "status", DeliveryStatus(self.status))


async def insert_endpoint(connection: AsyncConnection, **values: object) -> Endpoint:
    row = (await connection.execute(insert(endpoints).values(**values).returning(*endpoints.c))).one()
    return Endpoint(**row._mapping)


async def endpoint(
    connection: AsyncConnection, endpoint_id: uuid.UUID, *, lock: bool = False
) -> Endpoint | None:
    query = select(endpoints).where(endpoints.c.id == endpoint_id)
    row = (await connection.execute(query.with_for_update() if lock else query)).one_or_none()
    return Endpoint(**row._mapping) if row else None


async def list_endpoints(connection: AsyncConnection) -> list[Endpoint]:
    rows = await connection.execute(select(endpoints).order_by(endpoints.c.created_at))
    return [Endpoint(**row._mapping) for row in rows]


async def update_endpoint(connection: AsyncConnection, endpoint_id: uuid.UUID, **values: object) -> Endpoint:
    query = update(endpoints).where(endpoints.c.id == endpoint_id).values(**values).returning(*endpoints.c)
    return Endpoint(**(await connection.execute(query)).one()._mapping)


async def delete_endpoint(connection: AsyncConnection, endpoint_id: uuid.UUID) -> bool:
    await connection.execute(delete(deliveries).where(deliveries.c.endpoint_id == endpoint_id))
    return (await connection.execute(delete(endpoints).where(endpoints.c.id == endpoint_id))).rowcount > 0


async def subscribers(connection: AsyncConnection) -> list[tuple[uuid.UUID, list[str]]]:
    rows = await connection.execute(select(endpoints.c.id, endpoints.c.events).where(endpoints.c.enabled))
    return [(row.id, row.events) for row in rows]


async def add_deliveries(connection: AsyncConnection, rows: list[dict]) -> None:
    if rows:
        # The rows as parameters of one statement (compiled once), not a VALUES list whose
        # text changes with the batch.
        statement = pg_insert(deliveries).on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
        await connection.execute(statement, rows)


def _earlier_pending(earlier: FromClause) -> tuple[ColumnElement[bool], ...]:
    """`earlier` is a pending delivery of the same endpoint and lead made before the row in
    hand: per-lead order holds the row back until it is done. One expression for the claim and
    the listing's `waiting_for`, so what the dispatcher does and what the console says agree."""
    return (
        earlier.c.endpoint_id == deliveries.c.endpoint_id,
        earlier.c.lead_id == deliveries.c.lead_id,
        earlier.c.status == PENDING,
        earlier.c.seq < deliveries.c.seq,
    )


def _claim() -> Update:
    """Due deliveries leased (built once: `now`, `lease_until` and `limit` are parameters; built
    at each claim, it cost the dispatcher about as much as running it)."""
    earlier = aliased(deliveries)
    blocked = exists().where(*_earlier_pending(earlier))
    picked = claimed_once(
        select(deliveries.c.id)
        .join(endpoints, and_(endpoints.c.id == deliveries.c.endpoint_id, endpoints.c.enabled))
        .where(deliveries.c.status == PENDING, deliveries.c.next_attempt_at <= bindparam("now"), ~blocked)
        .order_by(deliveries.c.next_attempt_at)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(of=deliveries, skip_locked=True)
    )
    return (
        update(deliveries)
        .where(deliveries.c.id == picked.c.id)
        .values(next_attempt_at=bindparam("lease_until", type_=deliveries.c.next_attempt_at.type))
    )


CLAIM = _claim().returning(*deliveries.c)
CLAIM_WITH_ENDPOINTS = (
    _claim().where(endpoints.c.id == deliveries.c.endpoint_id).returning(*deliveries.c, *endpoints.c)
)
DELIVERY_COLUMNS = tuple(deliveries.c.keys())
ENDPOINT_COLUMNS = tuple(endpoints.c.keys())


async def claim_due(
    connection: AsyncConnection, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """At most `limit` due deliveries of enabled endpoints whose lead has no earlier one pending
    at the same endpoint (per-lead order), leased so no other process takes them meanwhile."""
    if limit <= 0:
        return []  # LIMIT must not be negative; and no slot, no claim
    rows = await connection.execute(CLAIM, {"now": now, "lease_until": lease_until, "limit": limit})
    return [Delivery(**row._mapping) for row in rows]


async def claim_due_to(
    connection: AsyncConnection, now: datetime, lease_until: datetime, limit: int
) -> list[tuple[Delivery, Endpoint]]:
    """What `claim_due` claims, each with its endpoint as the same statement read it (one
    statement where the endpoints were read by a second)."""
    if limit <= 0:
        return []
    rows = await connection.execute(
        CLAIM_WITH_ENDPOINTS, {"now": now, "lease_until": lease_until, "limit": limit}
    )
    split = len(DELIVERY_COLUMNS)
    return [
        (
            Delivery(**dict(zip(DELIVERY_COLUMNS, row[:split], strict=True))),
            Endpoint(**dict(zip(ENDPOINT_COLUMNS, row[split:], strict=True))),
        )
        for row in rows
    ]


async def next_due(connection: AsyncConnection, now: datetime) -> datetime | None:
    """When the next pending delivery comes due (a retry, or a lease ending), if any is later
    than now (one due now but not claimed waits for its lead's earlier delivery, which wakes
    the dispatcher when recorded)."""
    query = select(func.min(deliveries.c.next_attempt_at)).where(
        deliveries.c.status == PENDING, deliveries.c.next_attempt_at > now
    )
    return await connection.scalar(query)


async def record_attempts(connection: AsyncConnection, rows: list[dict]) -> None:
    """Attempts made (each dict: the `attempts` row) and their deliveries' new state (each dict's
    `delivery`: `delivery_id` and the same columns to set), two statements for all."""
    await connection.execute(insert(attempts), [row["attempt"] for row in rows])
    await connection.execute(
        update(deliveries).where(deliveries.c.id == bindparam("delivery_id")),
        [row["delivery"] for row in rows],
    )


async def add_tried_delivery(connection: AsyncConnection, delivery: dict, attempt: dict) -> None:
    """A delivery made once already (a test event): its row and its attempt's."""
    await connection.execute(insert(deliveries).values(**delivery))
    await connection.execute(insert(attempts).values(**attempt))


def _waiting_for() -> Label[uuid.UUID]:
    earlier = aliased(deliveries)
    return (
        select(earlier.c.id)
        .where(deliveries.c.status == PENDING, *_earlier_pending(earlier))
        .order_by(earlier.c.seq)
        .limit(1)
        .scalar_subquery()
        .label("waiting_for")
    )


LISTED = select(deliveries, _waiting_for())


async def deliveries_of(
    connection: AsyncConnection,
    endpoint_id: uuid.UUID,
    status: DeliveryStatus | None,
    limit: int,
    before: int | None = None,
) -> list[tuple[Delivery, list]]:
    """Newest first; `before`: only those older than the delivery of that `seq` (the next page)."""
    query = LISTED.where(deliveries.c.endpoint_id == endpoint_id)
    if status:
        query = query.where(deliveries.c.status == status)
    if before is not None:
        query = query.where(deliveries.c.seq < before)
    rows = [
        Delivery(**row._mapping)
        for row in await connection.execute(query.order_by(deliveries.c.seq.desc()).limit(limit))
    ]
    tries = await connection.execute(
        select(attempts).where(attempts.c.delivery_id.in_([d.id for d in rows])).order_by(attempts.c.id)
    )
    by_delivery: dict[uuid.UUID, list] = {}
    for attempt in tries:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [(delivery, by_delivery.get(delivery.id, [])) for delivery in rows]


async def delivery_of(
    connection: AsyncConnection, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> tuple[Delivery, list] | None:
    row = (
        await connection.execute(
            LISTED.where(deliveries.c.endpoint_id == endpoint_id, deliveries.c.id == delivery_id)
        )
    ).one_or_none()
    if row is None:
        return None
    tries = await connection.execute(
        select(attempts).where(attempts.c.delivery_id == delivery_id).order_by(attempts.c.id)
    )
    return Delivery(**row._mapping), list(tries)


async def reschedule(
    connection: AsyncConnection,
    endpoint_id: uuid.UUID,
    now: datetime,
    *,
    delivery_id: uuid.UUID | None = None,
    since: datetime | None = None,
) -> int:
    """Deliveries to send again now: one, or every one created since a time."""
    condition = deliveries.c.endpoint_id == endpoint_id
    condition = (
        and_(condition, deliveries.c.id == delivery_id)
        if delivery_id
        else and_(condition, deliveries.c.created_at >= since)
    )
    again = {"status": DeliveryStatus.pending, "next_attempt_at": now, "delivered_at": None}
    query = update(deliveries).where(condition).values(**again)
    return (await connection.execute(query)).rowcount


async def backlog(connection: AsyncConnection, now: datetime) -> tuple[int, float]:
    """Pending deliveries and the age of the oldest, in seconds."""
    row = (
        await connection.execute(
            select(func.count(), func.min(deliveries.c.created_at)).where(deliveries.c.status == PENDING)
        )
    ).one()
    return row[0], (now - row[1]).total_seconds() if row[1] else 0.0
