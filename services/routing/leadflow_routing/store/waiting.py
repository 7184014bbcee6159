"""Routing's SQL for what waits: leads waiting for a rep (the queue, oldest per temperature) and
offers running out (the sweeper's work). Rows out as typed tuples."""

import uuid
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import constant
from leadflow_routing.domain.policy import Assignment, AssignmentStatus
from leadflow_routing.store.repository import as_assignment
from leadflow_routing.store.tables import assignments, reps


class OverdueOffer(NamedTuple):
    id: uuid.UUID
    lead_id: uuid.UUID


class WaitingLead(NamedTuple):
    id: uuid.UUID
    lead_id: uuid.UUID
    temperature: str
    score: float
    created_at: datetime


async def oldest_waiting(connection: AsyncConnection) -> dict[str, datetime]:
    """When the longest-waiting lead of each temperature began waiting."""
    rows = await connection.execute(
        select(assignments.c.temperature, func.min(assignments.c.created_at))
        .where(assignments.c.status == constant(AssignmentStatus.waiting))
        .group_by(assignments.c.temperature)
    )
    return {temperature: since for temperature, since in rows}


async def waiting_queue(connection: AsyncConnection, limit: int) -> list[Assignment]:
    """Leads waiting for a rep in the order they are served (`policy.waiting_order`): hottest
    first, then by score, then first come."""
    hottest_first = case({"hot": 0, "warm": 1}, value=assignments.c.temperature, else_=2)
    query = (
        select(assignments)
        .where(assignments.c.status == constant(AssignmentStatus.waiting))
        .order_by(hottest_first, assignments.c.score.desc(), assignments.c.created_at)
        .limit(limit)
    )
    return [as_assignment(row) for row in await connection.execute(query)]


async def overdue_offers(connection: AsyncConnection, now: datetime, limit: int) -> list[OverdueOffer]:
    rows = await connection.execute(
        select(assignments.c.id, assignments.c.lead_id)
        .where(assignments.c.status == constant(AssignmentStatus.offered), assignments.c.sla_deadline < now)
        .order_by(assignments.c.sla_deadline)
        .limit(limit)
    )
    return [OverdueOffer(*row) for row in rows]


class StrandedOffer(NamedTuple):
    id: uuid.UUID
    lead_id: uuid.UUID
    rep_id: uuid.UUID
    rep_name: str


async def offers_to_inactive_reps(connection: AsyncConnection, limit: int) -> list[StrandedOffer]:
    """Open offers whose rep is inactive: made by a unit that read her active just before her
    deactivation committed, after it released her offers (nobody will accept them)."""
    rows = await connection.execute(
        select(assignments.c.id, assignments.c.lead_id, reps.c.id, reps.c.name)
        .join(reps, reps.c.id == assignments.c.rep_id)
        .where(assignments.c.status == constant(AssignmentStatus.offered), reps.c.active.is_(False))
        .limit(limit)
    )
    return [StrandedOffer(*row) for row in rows]


async def next_offer_deadline(connection: AsyncConnection, now: datetime) -> datetime | None:
    """When the first open offer not yet overdue runs out (None: there is none)."""
    deadline: datetime | None = await connection.scalar(
        select(func.min(assignments.c.sla_deadline)).where(
            assignments.c.status == constant(AssignmentStatus.offered), assignments.c.sla_deadline >= now
        )
    )
    return deadline


async def waiting_leads(connection: AsyncConnection) -> list[WaitingLead]:
    rows = await connection.execute(
        select(
            assignments.c.id,
            assignments.c.lead_id,
            assignments.c.temperature,
            assignments.c.score,
            assignments.c.created_at,
        ).where(assignments.c.status == constant(AssignmentStatus.waiting))
    )
    return [WaitingLead(*row) for row in rows]
