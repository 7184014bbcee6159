"""Capture's SQL."""

import uuid
from datetime import datetime

from sqlalchemy import bindparam, case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.domain.people import Accepted, BatchPlan, StoredLead
from leadflow_capture.store.tables import consent_changes, leads, refused_keys, submissions, suppressions
from leadflow_common.db import any_of, any_param, upsert_replacing
from leadflow_common.driver import Prepared
from leadflow_common.events import LeadProfile


async def find_submissions(connection: AsyncConnection, idempotency_keys: list[str]) -> dict[str, Accepted]:
    if not idempotency_keys:
        return {}
    stored = select(
        submissions.c.idempotency_key,
        submissions.c.id,
        submissions.c.lead_id,
        submissions.c.request_hash,
        literal(False).label("refused"),
    ).where(any_of(submissions.c.idempotency_key, idempotency_keys))
    refused = select(
        refused_keys.c.idempotency_key,
        refused_keys.c.submission_id,
        refused_keys.c.lead_id,
        refused_keys.c.request_hash,
        literal(True),
    ).where(any_of(refused_keys.c.idempotency_key, idempotency_keys))
    rows = await connection.execute(stored.union_all(refused))
    return {
        row.idempotency_key: Accepted(
            row.lead_id, row.id, request_hash=row.request_hash, suppressed=row.refused
        )
        for row in rows
    }


def _find_people_statement() -> Prepared:
    matched = (
        select(leads.c.id, leads.c.merged_into)
        .where(or_(any_param(leads.c.email, "emails"), any_param(leads.c.phone, "phones")))
        .cte("matched")
    )
    absorbing = select(matched.c.merged_into).where(matched.c.merged_into.is_not(None))
    wanted = select(matched.c.id).union(absorbing)
    columns = (leads.c.id, leads.c.email, leads.c.phone, leads.c.merged_into, leads.c.profile)
    return Prepared(select(*columns).where(leads.c.id.in_(wanted)))


_FIND_PEOPLE = _find_people_statement()
_SUPPRESSED = Prepared(select(suppressions.c.digest).where(any_param(suppressions.c.digest, "digests")))


async def find_people(connection: AsyncConnection, emails: list[str], phones: list[str]) -> list[StoredLead]:
    """The leads holding any of these emails or phones, and the live leads that absorbed them."""
    if not emails and not phones:
        return []
    rows = await _FIND_PEOPLE.fetch(connection, {"emails": emails, "phones": phones})
    return [
        StoredLead(
            lead_id=row.id,
            email=row.email,
            phone=row.phone,
            merged_into=row.merged_into,
            profile=None if row.merged_into else LeadProfile.model_validate(row.profile),
        )
        for row in rows
    ]


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


# Built once (leadflow_common.db.upsert_replacing): every intake batch writes its leads with it.
_LEAD_UPSERT = Prepared(
    upsert_replacing(leads, "id", ("revision", "email", "phone", "profile", "merged_into", "updated_at"))
)
_SUBMISSIONS = Prepared(insert(submissions))
_CONSENTS = Prepared(insert(consent_changes))


async def write_plan(connection: AsyncConnection, plan: BatchPlan) -> None:
    """A batch's absorptions first (freeing the keys of the leads absorbed), then its leads as
    they end and its submissions, each kind in one statement."""
    if plan.refused_keys:
        await connection.execute(insert(refused_keys).on_conflict_do_nothing(), plan.refused_keys)
    if plan.absorptions:
        await connection.execute(
            update(leads)
            .where(or_(leads.c.id == bindparam("absorbed"), leads.c.merged_into == bindparam("absorbed")))
            .values(
                merged_into=bindparam("into"),
                updated_at=case(
                    (leads.c.id == bindparam("absorbed"), bindparam("at")), else_=leads.c.updated_at
                ),
            ),
            [{"absorbed": absorbed, "into": into, "at": at} for absorbed, into, at in plan.absorptions],
        )
    if plan.leads:
        await _LEAD_UPSERT.execute_many(
            connection,
            [
                {
                    "id": profile.lead_id,
                    "revision": profile.revision,
                    "email": profile.email,
                    "phone": profile.phone,
                    "profile": profile.model_dump(mode="json"),
                    "merged_into": merged_into,
                    "created_at": profile.created_at,
                    "updated_at": profile.updated_at,
                }
                for profile, merged_into in plan.leads.values()
            ],
        )
    if plan.submissions:
        await _SUBMISSIONS.execute_many(connection, plan.submissions)
    if plan.consents:
        await _CONSENTS.execute_many(connection, plan.consents)


async def lead_exists(connection: AsyncConnection, lead_id: uuid.UUID) -> uuid.UUID | None:
    """The live lead an id names (following merges), or None."""
    row = (
        await connection.execute(select(leads.c.id, leads.c.merged_into).where(leads.c.id == lead_id))
    ).first()
    if row is None:
        return None
    live: uuid.UUID = row.merged_into or row.id
    return live


async def suppressed(connection: AsyncConnection, digests: list[str]) -> set[str]:
    """Which of these digests are on the do-not-contact list."""
    if not digests:
        return set()
    rows = await _SUPPRESSED.fetch(connection, {"digests": digests})
    return {row.digest for row in rows}


async def add_suppressions(connection: AsyncConnection, rows: list[dict[str, str]]) -> None:
    await connection.execute(insert(suppressions).on_conflict_do_nothing(), rows)


async def remove_suppressions(connection: AsyncConnection, digests: list[str]) -> set[str]:
    """Takes these digests off the list; those that were on it."""
    rows = await connection.execute(
        delete(suppressions).where(any_of(suppressions.c.digest, digests)).returning(suppressions.c.digest)
    )
    return {row.digest for row in rows}


async def mark_active(connection: AsyncConnection, lead_ids: set[uuid.UUID], now: datetime) -> None:
    """These leads did something (an activity, an outcome) now."""
    if lead_ids:
        await connection.execute(update(leads).where(any_of(leads.c.id, lead_ids)).values(active_at=now))
