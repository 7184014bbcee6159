"""Capture's SQL for the backfill (app/account_backfill.py): its one progress row, and the leads
stored before it started, in id order (the primary key's index: no sort of the whole table)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.store.account_tables import account_backfill, lead_accounts
from leadflow_capture.store.tables import leads
from leadflow_common.db import any_of

ROW = 1


@dataclass(frozen=True)
class Progress:
    started_at: datetime
    last_lead_id: uuid.UUID | None
    looked_at: int
    matched: int
    finished_at: datetime | None


@dataclass(frozen=True)
class StoredLead:
    lead_id: uuid.UUID
    email: str | None
    phone: str | None
    profile: dict[str, Any]


async def progress(connection: AsyncConnection, now: datetime) -> Progress:
    """The progress row, locked until the transaction ends (two capture processes take turns);
    made at the first look, so `started_at` is when this code first ran."""
    await connection.execute(
        insert(account_backfill)
        .values(id=ROW, started_at=now, looked_at=0, matched=0)
        .on_conflict_do_nothing(index_elements=[account_backfill.c.id])
    )
    row = (
        await connection.execute(
            select(account_backfill).where(account_backfill.c.id == ROW).with_for_update()
        )
    ).one()
    return Progress(row.started_at, row.last_lead_id, row.looked_at, row.matched, row.finished_at)


async def leads_after(
    connection: AsyncConnection, after: uuid.UUID | None, before: datetime, limit: int
) -> list[uuid.UUID]:
    """The ids of up to `limit` leads stored before `before`, after `after` in id order."""
    query = select(leads.c.id).where(leads.c.created_at < before).order_by(leads.c.id).limit(limit)
    if after is not None:
        query = query.where(leads.c.id > after)
    return list((await connection.scalars(query)).all())


async def unlinked(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> list[StoredLead]:
    """Of these leads, the live ones (neither erased nor merged into another) with no account
    link (a link, even one a person removed, is never matched again automatically)."""
    if not lead_ids:
        return []
    linked = select(lead_accounts.c.lead_id).where(lead_accounts.c.lead_id == leads.c.id).exists()
    rows = await connection.execute(
        select(leads.c.id, leads.c.email, leads.c.phone, leads.c.profile)
        .where(
            any_of(leads.c.id, lead_ids), leads.c.erased_at.is_(None), leads.c.merged_into.is_(None), ~linked
        )
        .order_by(leads.c.id)
    )
    return [StoredLead(row.id, row.email, row.phone, row.profile) for row in rows]


async def advance(
    connection: AsyncConnection, last: uuid.UUID | None, looked: int, matched: int, finished: datetime | None
) -> None:
    await connection.execute(
        account_backfill.update()
        .where(account_backfill.c.id == ROW)
        .values(
            last_lead_id=last,
            looked_at=account_backfill.c.looked_at + looked,
            matched=account_backfill.c.matched + matched,
            finished_at=finished,
        )
    )
