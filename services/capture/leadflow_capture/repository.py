"""Capture's SQL."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.tables import leads, submissions
from leadflow_common.events import LeadProfile


async def lock(connection: AsyncConnection, keys: list[str]) -> None:
    """Serialise transactions that touch the same person or idempotency key. Sorted, so two
    transactions wanting the same keys cannot deadlock."""
    for key in sorted(set(keys)):
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


async def find_submission(connection: AsyncConnection, idempotency_key: str) -> Any | None:
    result = await connection.execute(
        select(submissions.c.id, submissions.c.lead_id).where(
            submissions.c.idempotency_key == idempotency_key
        )
    )
    return result.first()


async def find_leads_of_person(
    connection: AsyncConnection, email: str | None, phone: str | None
) -> list[LeadProfile]:
    """The live leads an email or phone belongs to, oldest first. An absorbed lead's keys still
    lead to the lead that absorbed it."""
    conditions = []
    if email:
        conditions.append(leads.c.email == email)
    if phone:
        conditions.append(leads.c.phone == phone)
    if not conditions:
        return []
    matched = select(leads.c.id, leads.c.merged_into).where(or_(*conditions)).subquery()
    live_ids = (
        select(matched.c.merged_into)
        .where(matched.c.merged_into.is_not(None))
        .union(select(matched.c.id).where(matched.c.merged_into.is_(None)))
    )
    rows = await connection.execute(
        select(leads.c.profile)
        .where(leads.c.id.in_(live_ids), leads.c.merged_into.is_(None))
        .order_by(leads.c.created_at, leads.c.id)
    )
    return [LeadProfile.model_validate(row.profile) for row in rows]


async def save_lead(connection: AsyncConnection, profile: LeadProfile) -> None:
    values = {
        "revision": profile.revision,
        "email": profile.email,
        "phone": profile.phone,
        "profile": profile.model_dump(mode="json"),
        "updated_at": profile.updated_at,
    }
    await connection.execute(
        insert(leads)
        .values(id=profile.lead_id, created_at=profile.created_at, **values)
        .on_conflict_do_update(index_elements=[leads.c.id], set_=values)
    )


async def mark_absorbed(
    connection: AsyncConnection, absorbed: uuid.UUID, into: uuid.UUID, now: datetime
) -> None:
    await connection.execute(
        update(leads).where(leads.c.id == absorbed).values(merged_into=into, updated_at=now)
    )
    await connection.execute(update(leads).where(leads.c.merged_into == absorbed).values(merged_into=into))


async def record_submission(
    connection: AsyncConnection,
    *,
    submission_id: uuid.UUID,
    lead_id: uuid.UUID,
    channel: str,
    idempotency_key: str | None,
    payload: dict[str, Any],
    received_at: datetime,
) -> None:
    await connection.execute(
        insert(submissions).values(
            id=submission_id,
            lead_id=lead_id,
            channel=channel,
            idempotency_key=idempotency_key,
            payload=payload,
            received_at=received_at,
        )
    )


async def lead_exists(connection: AsyncConnection, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The live lead an id names (following merges), or None."""
    row = (
        await connection.execute(select(leads.c.id, leads.c.merged_into).where(leads.c.id == lead_id))
    ).first()
    if row is None:
        return None
    return row.merged_into or row.id
