"""Routing's SQL for reps as people manage them (the API's reps): rows out as `RepRecord`, with
each rep's open leads counted. Routing decisions read reps as the policy's `Rep`
(`repository.lock_capacity_and_load_reps`)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Row, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import Tier
from leadflow_routing.store.repository import open_leads_of_rep
from leadflow_routing.store.tables import reps


class RepFields(TypedDict, total=False):
    """A rep's columns a person sets (all of them to create one, some to change one)."""

    name: str
    email: str
    tier: Tier
    capacity: int
    territories: list[str]
    languages: list[str]
    segments: list[str]
    active: bool
    available: bool
    working_hours: dict[str, object] | None


@dataclass(frozen=True)
class RepRecord:
    id: uuid.UUID
    name: str
    email: str
    tier: Tier
    capacity: int
    territories: list[str]
    languages: list[str]
    segments: list[str]
    active: bool
    available: bool
    last_assigned_at: datetime | None
    working_hours: dict[str, Any] | None  # the document `WorkingHours.from_document` reads
    created_at: datetime
    updated_at: datetime
    open_leads: int


def as_record(row: Row[Any]) -> RepRecord:
    return RepRecord(**{**row._asdict(), "tier": Tier(row.tier)})


async def create_rep(connection: AsyncConnection, rep_id: uuid.UUID, fields: RepFields) -> RepRecord:
    query = insert(reps).values(id=rep_id, **fields).returning(reps, literal(0).label("open_leads"))
    return as_record((await connection.execute(query)).one())


async def list_reps(connection: AsyncConnection, *, only: uuid.UUID | None = None) -> list[RepRecord]:
    """Every rep, oldest first; `only`: that rep alone (a rep reading the list sees themselves)."""
    query = select(reps, open_leads_of_rep().label("open_leads")).order_by(reps.c.created_at, reps.c.id)
    if only is not None:
        query = query.where(reps.c.id == only)
    return [as_record(row) for row in await connection.execute(query)]


async def get_rep(connection: AsyncConnection, rep_id: uuid.UUID) -> RepRecord | None:
    query = select(reps, open_leads_of_rep().label("open_leads")).where(reps.c.id == rep_id)
    row = (await connection.execute(query)).first()
    return as_record(row) if row else None


async def update_rep(connection: AsyncConnection, rep_id: uuid.UUID, fields: RepFields) -> RepRecord | None:
    await connection.execute(update(reps).where(reps.c.id == rep_id).values(**fields, updated_at=func.now()))
    return await get_rep(connection, rep_id)
