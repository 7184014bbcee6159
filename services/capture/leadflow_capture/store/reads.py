"""Reading leads: the golden record of one, and finding them by email, phone or name. SQL here,
rows out as typed records; the use cases are in `reading.py`."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.store.tables import lead_reps, leads, submissions
from leadflow_common.lead_access import leads_of_rep

MAX_MERGE_HOPS = 10  # a chain of merges is short; a loop (which merging never makes) must not spin
SEARCHED = ("first_name", "last_name", "company", "email")


@dataclass(frozen=True)
class LeadRow:
    id: uuid.UUID
    profile: dict[str, Any]
    merged_into: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class SubmissionRow:
    id: uuid.UUID
    channel: str
    received_at: datetime
    payload: dict[str, Any]


async def survivor_of(connection: AsyncConnection, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The live lead this id is, or was merged into; None for an unknown id."""
    current = lead_id
    for _ in range(MAX_MERGE_HOPS):
        merged_into = await connection.scalar(select(leads.c.merged_into).where(leads.c.id == current))
        if merged_into is None:
            exists = await connection.scalar(select(leads.c.id).where(leads.c.id == current))
            return exists
        current = merged_into
    return current


async def lead(connection: AsyncConnection, lead_id: uuid.UUID) -> LeadRow | None:
    query = select(leads.c.id, leads.c.profile, leads.c.merged_into, leads.c.created_at, leads.c.updated_at)
    row = (await connection.execute(query.where(leads.c.id == lead_id))).first()
    return LeadRow(**row._mapping) if row else None


async def submissions_of(
    connection: AsyncConnection, lead_ids: list[uuid.UUID], limit: int
) -> list[SubmissionRow]:
    query = (
        select(submissions.c.id, submissions.c.channel, submissions.c.received_at, submissions.c.payload)
        .where(submissions.c.lead_id.in_(lead_ids))
        .order_by(submissions.c.received_at.desc(), submissions.c.id.desc())
        .limit(limit)
    )
    return [SubmissionRow(**row._mapping) for row in await connection.execute(query)]


async def count_submissions(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> int:
    query = select(func.count()).select_from(submissions).where(submissions.c.lead_id.in_(lead_ids))
    return await connection.scalar(query) or 0


async def absorbed_by(connection: AsyncConnection, lead_id: uuid.UUID) -> list[uuid.UUID]:
    """Every lead merged into this one, directly or through another merged one."""
    found: list[uuid.UUID] = []
    frontier = [lead_id]
    for _ in range(MAX_MERGE_HOPS):
        rows = await connection.scalars(select(leads.c.id).where(leads.c.merged_into.in_(frontier)))
        frontier = list(rows)
        if not frontier:
            break
        found.extend(frontier)
    return found


async def find(
    connection: AsyncConnection,
    *,
    email: str | None,
    phone: str | None,
    text: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    rep_id: uuid.UUID | None,
    limit: int,
) -> list[LeadRow]:
    """Live leads, oldest first, after the cursor; a rep's search sees only their leads."""
    conditions: list[ColumnElement[bool]] = [leads.c.merged_into.is_(None)]
    if email:
        conditions.append(leads.c.email == email)
    if phone:
        conditions.append(leads.c.phone == phone)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(leads.c.profile[field].astext.ilike(pattern) for field in SEARCHED)))
    if after is not None:
        conditions.append(tuple_(leads.c.created_at, leads.c.id) > tuple_(*after))
    if rep_id is not None:
        conditions.append(leads.c.id.in_(leads_of_rep(lead_reps, rep_id)))
    query = (
        select(leads.c.id, leads.c.profile, leads.c.merged_into, leads.c.created_at, leads.c.updated_at)
        .where(and_(*conditions))
        .order_by(leads.c.created_at, leads.c.id)
        .limit(limit)
    )
    return [LeadRow(**row._mapping) for row in await connection.execute(query)]
