"""Capture's SQL for erasures: whose leads, what capture erases of them, the requests and how
far each service got."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ARRAY, Text, func, literal, or_, select, text, union, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.store.tables import consent_changes, erasure_progress, erasures, leads, submissions
from leadflow_common.db import any_of
from leadflow_common.erasure import PERSONAL_PROFILE_FIELDS


@dataclass(frozen=True)
class Erasure:
    id: uuid.UUID
    lead_ids: list[uuid.UUID]
    requested_at: datetime
    suppressed: bool
    applied: dict[str, tuple[int, datetime]]  # per service: leads erased, the latest answer


async def leads_of_person(
    connection: AsyncConnection,
    email: str | None,
    phone: str | None,
    lead_id: uuid.UUID | None,
    *,
    erased_too: bool = False,
) -> list[uuid.UUID]:
    """Every lead of the person (the one holding the email or phone, or this lead; the lead it
    was merged into; the leads merged into that one), not yet erased unless `erased_too`."""
    conditions = []
    if email:
        conditions.append(leads.c.email == email)
    if phone:
        conditions.append(leads.c.phone == phone)
    if lead_id:
        conditions.append(leads.c.id == lead_id)
    matched = select(func.coalesce(leads.c.merged_into, leads.c.id).label("id")).where(or_(*conditions))
    survivors = matched.cte("survivors")
    everyone = union(
        select(survivors.c.id), select(leads.c.id).where(leads.c.merged_into.in_(select(survivors.c.id)))
    ).subquery()
    query = select(leads.c.id).where(leads.c.id.in_(select(everyone.c.id))).order_by(leads.c.id)
    if not erased_too:
        query = query.where(leads.c.erased_at.is_(None))
    rows = await connection.execute(query)
    return [row.id for row in rows]


async def identifiers_held(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> set[tuple[str, str]]:
    """Every (kind, normalized value) these leads hold: the emails and phones of the leads the
    person's survivor absorbed too, which keep their own."""
    if not lead_ids:
        return set()
    rows = await connection.execute(select(leads.c.email, leads.c.phone).where(any_of(leads.c.id, lead_ids)))
    held = set()
    for row in rows:
        held |= {(kind, value) for kind, value in (("email", row.email), ("phone", row.phone)) if value}
    return held


async def erase_leads(connection: AsyncConnection, lead_ids: list[uuid.UUID], now: datetime) -> None:
    """The leads keep their ids, revisions, channels, consent and times; the submissions their
    ids, channels and times: the raw bodies and every field that says who it was go."""
    await connection.execute(
        update(leads)
        .where(any_of(leads.c.id, lead_ids))
        .values(
            email=None,
            phone=None,
            profile=leads.c.profile.op("-")(literal(PERSONAL_PROFILE_FIELDS, ARRAY(Text))),
            erased_at=now,
        )
    )
    await connection.execute(
        update(submissions).where(any_of(submissions.c.lead_id, lead_ids)).values(payload=text("'{}'::jsonb"))
    )
    # Consent changes stay (what was agreed, when, on which channel); where, a page address, goes.
    await connection.execute(
        update(consent_changes).where(any_of(consent_changes.c.lead_id, lead_ids)).values(source=None)
    )


async def add_erasure(connection: AsyncConnection, **values: object) -> None:
    await connection.execute(insert(erasures).values(**values))


async def add_progress(connection: AsyncConnection, rows: list[dict[str, object]]) -> None:
    """Services' answers (each once: an answer redelivered changes nothing)."""
    if rows:
        await connection.execute(insert(erasure_progress).on_conflict_do_nothing(), rows)


async def find_erasure(connection: AsyncConnection, erasure_id: uuid.UUID) -> Erasure | None:
    row = (await connection.execute(select(erasures).where(erasures.c.id == erasure_id))).first()
    if row is None:
        return None
    answers = await connection.execute(
        select(
            erasure_progress.c.service,
            func.count().label("leads"),
            func.max(erasure_progress.c.applied_at).label("latest"),
        )
        .where(erasure_progress.c.erasure_id == erasure_id)
        .group_by(erasure_progress.c.service)
    )
    return Erasure(
        id=row.id,
        lead_ids=list(row.lead_ids),
        requested_at=row.requested_at,
        suppressed=row.suppressed,
        applied={answer.service: (answer.leads, answer.latest) for answer in answers},
    )


async def inactive_leads(connection: AsyncConnection, before: datetime, limit: int) -> list[uuid.UUID]:
    """Live leads with no submission, activity or outcome since `before`, oldest first."""
    last_seen = func.greatest(leads.c.updated_at, func.coalesce(leads.c.active_at, leads.c.updated_at))
    rows = await connection.execute(
        select(leads.c.id)
        .where(leads.c.merged_into.is_(None), leads.c.erased_at.is_(None), last_seen < before)
        .order_by(last_seen)
        .limit(limit)
    )
    return [row.id for row in rows]


async def drop_raw_bodies(connection: AsyncConnection, before: datetime, limit: int) -> int:
    """Up to `limit` submissions received before `before` lose their raw body; how many did."""
    older = (
        select(submissions.c.id)
        .where(submissions.c.received_at < before, submissions.c.payload != text("'{}'::jsonb"))
        .limit(limit)
    )
    result = await connection.execute(
        update(submissions).where(submissions.c.id.in_(older)).values(payload=text("'{}'::jsonb"))
    )
    return result.rowcount
