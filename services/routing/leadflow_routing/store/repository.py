"""Routing's SQL."""

import uuid
from datetime import datetime

from sqlalchemy import Row, ScalarSelect, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common import driver
from leadflow_common.db import any_of, any_param, constant, lock_keys, try_lock_key
from leadflow_common.driver import Prepared
from leadflow_common.events import Temperature, Tier
from leadflow_common.routing_reasons import REASSIGNED_BY_HAND
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.domain.policy import (
    CURRENT_STATUSES,
    OPEN_STATUSES,
    PASSED_STATUSES,
    Assignment,
    AssignmentStatus,
    LeadToRoute,
    Rep,
    WorkingHours,
)
from leadflow_routing.domain.status import AssignmentStep
from leadflow_routing.store.tables import assignment_events, assignments, leads, reps, used_links

CAPACITY_LOCK = "routing:capacity"
# The statuses as constants in the statement: the partial indexes on current and open
# assignments serve only queries that name them so (`db.constant`).
CURRENT = [constant(status) for status in sorted(CURRENT_STATUSES)]
OPEN = [constant(status) for status in sorted(OPEN_STATUSES)]


def lead_lock(lead_id: uuid.UUID) -> str:
    return f"routing:{lead_id}"


async def lock_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    await lock_keys(connection, [lead_lock(lead_id) for lead_id in lead_ids])


def as_assignment(row: Row | driver.Row) -> Assignment:
    values = row._asdict()
    return Assignment(
        **{**values, "status": AssignmentStatus(row.status), "temperature": Temperature(row.temperature)}
    )


_CURRENT_ASSIGNMENTS = Prepared(
    select(assignments).where(
        any_param(assignments.c.lead_id, "ids"),
        assignments.c.status.in_(CURRENT),
    )
)


async def current_assignments(
    connection: AsyncConnection, lead_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Assignment | None]:
    """Each lead's current assignment (None: none), one statement for all."""
    found: dict[uuid.UUID, Assignment | None] = dict.fromkeys(lead_ids)
    for row in await _CURRENT_ASSIGNMENTS.fetch(connection, {"ids": lead_ids}):
        found[row.lead_id] = as_assignment(row)
    return found


async def current_assignment(connection: AsyncConnection, lead_id: uuid.UUID) -> Assignment | None:
    return (await current_assignments(connection, [lead_id]))[lead_id]


def open_leads_of_rep() -> ScalarSelect[int]:
    return (
        select(func.count())
        .where(assignments.c.rep_id == reps.c.id, assignments.c.status.in_(OPEN))
        .scalar_subquery()
    )


async def lock_capacity_and_load_reps(connection: AsyncConnection, tiers: list[Tier]) -> list[Rep]:
    """The active reps of these tiers with their open-lead counts, read under the capacity lock.

    Every decision that fills a slot holds this one transaction-scoped lock until it commits,
    so no two can fill the same slot, and one lock cannot be taken in two orders. The count is
    read by a statement that starts after the lock is held, so under READ COMMITTED it sees
    everything the previous holder committed.
    """
    await lock_keys(connection, [CAPACITY_LOCK])
    rows = await connection.execute(
        select(reps, open_leads_of_rep().label("open_leads"))
        .where(reps.c.tier.in_([tier.value for tier in tiers]), reps.c.active)
        .order_by(reps.c.id)
    )
    return [as_policy_rep(row) for row in rows]


def as_policy_rep(row: Row) -> Rep:
    return Rep(
        id=row.id,
        tier=Tier(row.tier),
        capacity=row.capacity,
        open_leads=row.open_leads,
        name=row.name,
        email=row.email,
        active=row.active,
        available=row.available,
        territories=tuple(row.territories),
        languages=tuple(row.languages),
        segments=tuple(row.segments),
        last_assigned_at=row.last_assigned_at,
        working_hours=WorkingHours.from_document(row.working_hours) if row.working_hours else None,
    )


_INSERT_ASSIGNMENT = Prepared(insert(assignments))
_INSERT_EVENT = Prepared(insert(assignment_events))


async def insert_assignment(connection: AsyncConnection, **values: object) -> None:
    await _INSERT_ASSIGNMENT.execute(connection, values)


async def insert_assignments(connection: AsyncConnection, rows: list[dict[str, object]]) -> None:
    """Assignment rows, in order, in one statement (an executemany of one prepared insert)."""
    await _INSERT_ASSIGNMENT.execute_many(connection, rows)


async def set_assignment_status(
    connection: AsyncConnection,
    assignment_id: uuid.UUID,
    status: AssignmentStatus,
    now: datetime,
    **values: object,
) -> None:
    await connection.execute(
        update(assignments)
        .where(assignments.c.id == assignment_id)
        .values(status=status, updated_at=now, **values)
    )


async def touch_reps(connection: AsyncConnection, assigned_at: dict[uuid.UUID, datetime]) -> None:
    """The reps' fairness clocks (when each was last offered a lead), one statement for all."""
    if assigned_at:
        rows = [{"rep": rep_id, "last_assigned_at": at} for rep_id, at in assigned_at.items()]
        await connection.execute(update(reps).where(reps.c.id == bindparam("rep")), rows)


async def find_assignments(
    connection: AsyncConnection,
    *,
    rep_id: uuid.UUID | None = None,
    status: AssignmentStatus | None = None,
    lead_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[Assignment]:
    query = select(assignments).order_by(assignments.c.created_at.desc()).limit(limit)
    if rep_id:
        query = query.where(assignments.c.rep_id == rep_id)
    if status:
        query = query.where(assignments.c.status == status)
    if lead_id:
        query = query.where(assignments.c.lead_id == lead_id)
    return [as_assignment(row) for row in await connection.execute(query)]


async def try_lock_lead(connection: AsyncConnection, lead_id: uuid.UUID) -> bool:
    """The lead's lock if it is free now; used where waiting for it could deadlock."""
    return await try_lock_key(connection, lead_lock(lead_id))


def record_event(
    uow: UnitOfWork,
    *,
    assignment_id: uuid.UUID,
    lead_id: uuid.UUID,
    rep_id: uuid.UUID | None,
    status: AssignmentStatus,
    reason: str,
    at: datetime,
) -> None:
    """A step of the trail, written with the unit's others in one statement (in order) before
    anything reads the trail: a batch's decisions cost one statement for their trail."""
    values = {"assignment_id": assignment_id, "lead_id": lead_id, "rep_id": rep_id}
    uow.defer(_INSERT_EVENT, {**values, "status": status, "reason": reason, "at": at})


async def get_assignment(
    connection: AsyncConnection, assignment_id: uuid.UUID, *, for_update: bool = False
) -> Assignment | None:
    query = select(assignments).where(assignments.c.id == assignment_id)
    if for_update:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    return as_assignment(row) if row else None


async def get_assignments(connection: AsyncConnection, ids: list[uuid.UUID]) -> list[Assignment]:
    rows = await connection.execute(select(assignments).where(any_of(assignments.c.id, ids)))
    return [as_assignment(row) for row in rows]


async def lead_to_route(connection: AsyncConnection, lead_id: uuid.UUID) -> LeadToRoute | None:
    row = (await connection.execute(select(leads).where(leads.c.lead_id == lead_id))).first()
    if row is None:
        return None
    return LeadToRoute(
        lead_id=row.lead_id,
        temperature=Temperature(row.temperature),
        score=row.score,
        country=row.country,
        language=row.language,
        segment=row.segment,
        account_id=row.account_id,
    )


async def reps_who_passed(
    connection: AsyncConnection, lead_id: uuid.UUID, statuses: frozenset[AssignmentStatus] = PASSED_STATUSES
) -> frozenset[uuid.UUID]:
    """Reps who rejected this lead or let its offer lapse (`statuses`), and reps it was taken
    from by hand and not given back since (a manager's decision routing does not undo, at any
    relaxation; a hand may give it back): it is not offered to them again. Reads the trail as
    committed (a unit's own trail rows are written at its end)."""
    passed = select(assignments.c.rep_id).where(
        assignments.c.lead_id == lead_id, assignments.c.status.in_(statuses)
    )
    events = assignment_events.c
    given_back = select(assignments.c.id).where(
        assignments.c.lead_id == lead_id,
        assignments.c.rep_id == events.rep_id,
        assignments.c.created_at > events.at,
    )
    taken = select(events.rep_id).where(
        events.lead_id == lead_id,
        events.status == AssignmentStatus.promoted,
        events.reason.startswith(REASSIGNED_BY_HAND, autoescape=True),
        ~given_back.exists(),
    )
    rows = await connection.execute(passed.union(taken))
    return frozenset(row.rep_id for row in rows)


async def mark_lead_absorbed(connection: AsyncConnection, absorbed: uuid.UUID, into: uuid.UUID) -> None:
    await connection.execute(update(leads).where(leads.c.lead_id == absorbed).values(merged_into=into))


async def move_assignments(connection: AsyncConnection, absorbed: uuid.UUID, into: uuid.UUID) -> None:
    for table in (assignments, assignment_events):
        await connection.execute(update(table).where(table.c.lead_id == absorbed).values(lead_id=into))


async def history_of_lead(connection: AsyncConnection, lead_id: uuid.UUID) -> list[AssignmentStep]:
    events = assignment_events.c
    rows = await connection.execute(
        select(events.assignment_id, events.rep_id, events.status, events.reason, events.at)
        .where(events.lead_id == lead_id)
        .order_by(events.id)
    )
    return [
        AssignmentStep(row.assignment_id, row.rep_id, AssignmentStatus(row.status), row.reason, row.at)
        for row in rows
    ]


async def use_link(connection: AsyncConnection, token_id: str, now: datetime) -> bool:
    """Marks an accept or reject link used; False when it was already."""
    statement = insert(used_links).values(token_id=token_id, used_at=now).on_conflict_do_nothing()
    return (await connection.execute(statement.returning(used_links.c.token_id))).first() is not None
