"""Scoring's SQL for B2B accounts: which account each lead belongs to, the people of an account
as the account score reads them, and the accounts' current scores."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of
from leadflow_common.driver import Prepared
from leadflow_common.events import Temperature
from leadflow_scoring.domain.account_score import Person
from leadflow_scoring.store.tables import account_scores, activity_counts, lead_accounts, leads, scores


async def link(
    connection: AsyncConnection, lead_id: uuid.UUID, account_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The lead now belongs to `account_id` (None: to no account); the account it left, if any."""
    previous = await connection.scalar(
        select(lead_accounts.c.account_id).where(lead_accounts.c.lead_id == lead_id)
    )
    if account_id is None:
        await connection.execute(delete(lead_accounts).where(lead_accounts.c.lead_id == lead_id))
    else:
        statement = insert(lead_accounts).values(lead_id=lead_id, account_id=account_id)
        await connection.execute(
            statement.on_conflict_do_update(
                index_elements=[lead_accounts.c.lead_id], set_={"account_id": account_id}
            )
        )
    return previous if previous != account_id else None


class Relinked(NamedTuple):
    """What a batch of links changed: the accounts leads left, and those leads joined (a lead
    named again with the account it already has changes nothing)."""

    left: set[uuid.UUID]
    joined: set[uuid.UUID]


async def link_many(
    connection: AsyncConnection, links: Sequence[tuple[uuid.UUID, uuid.UUID | None]]
) -> Relinked:
    """Each lead now belongs to its account (None: to no account), in order (a lead named twice
    ends in the last), in one statement."""
    if not links:
        return Relinked(set(), set())
    final = dict(links)
    joined = {lead: account for lead, account in final.items() if account is not None}
    values = {
        "leads": list(final),
        "unlinked": [lead for lead, account in final.items() if account is None],
        "joined": list(joined),
        "accounts": list(joined.values()),
    }
    before = {row.lead_id: row.account_id for row in await LINK_MANY.fetch(connection, values)}
    left = {account for lead, account in before.items() if account != final[lead]}
    passed = {account for lead, account in links if account is not None and account != final[lead]}
    new = {account for lead, account in joined.items() if before.get(lead) != account}
    return Relinked(left | passed, new)


# The links as they were (the CTEs all read the snapshot from before the statement), the
# unlinked deleted and the others upserted. A link that says what is stored writes nothing (each
# new lead comes twice: on lead.captured and on lead.matched; 7 indexes a row version). A person
# not scored yet counts for nothing, which the new row's empty part says already: it is stored
# read (`refreshed`), so the account's score does not read her again, nor write her row twice.
LINK_MANY = Prepared(
    text(
        "WITH before AS (SELECT lead_id, account_id FROM scoring.lead_accounts"
        "   WHERE lead_id = ANY(CAST(:leads AS uuid[]))),"
        " unlinked AS (DELETE FROM scoring.lead_accounts WHERE lead_id = ANY(CAST(:unlinked AS uuid[]))),"
        " linked AS (INSERT INTO scoring.lead_accounts (lead_id, account_id, refreshed)"
        "   SELECT j.lead_id, j.account_id,"
        "     NOT EXISTS (SELECT 1 FROM scoring.scores s WHERE s.lead_id = j.lead_id)"
        "   FROM unnest(CAST(:joined AS uuid[]), CAST(:accounts AS uuid[])) AS j(lead_id, account_id)"
        "   ON CONFLICT (lead_id) DO UPDATE SET account_id = excluded.account_id"
        "   WHERE scoring.lead_accounts.account_id IS DISTINCT FROM excluded.account_id)"
        " SELECT lead_id, account_id FROM before"
    )
)


async def accounts_of(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await connection.execute(
        select(lead_accounts.c.lead_id, lead_accounts.c.account_id).where(
            any_of(lead_accounts.c.lead_id, lead_ids)
        )
    )
    return {row.lead_id: row.account_id for row in rows}


async def people_of(
    connection: AsyncConnection, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Person]]:
    """Each account's live, scored people: their score, job title and when they were last
    active (their latest activity, else when their profile last changed)."""
    last_activity = (
        select(func.max(activity_counts.c.last_at))
        .where(activity_counts.c.lead_id == lead_accounts.c.lead_id)
        .scalar_subquery()
    )
    rows = await connection.execute(
        select(
            lead_accounts.c.account_id,
            lead_accounts.c.lead_id,
            scores.c.score,
            scores.c.temperature,
            leads.c.profile["job_title"].astext.label("job_title"),
            leads.c.profile["updated_at"].astext.label("updated_at"),
            last_activity.label("last_activity"),
        )
        .join(scores, scores.c.lead_id == lead_accounts.c.lead_id)
        .join(leads, leads.c.lead_id == lead_accounts.c.lead_id)
        .where(any_of(lead_accounts.c.account_id, account_ids), leads.c.merged_into.is_(None))
    )
    found: dict[uuid.UUID, list[Person]] = {account_id: [] for account_id in account_ids}
    for row in rows:
        found[row.account_id].append(
            Person(
                lead_id=row.lead_id,
                score=row.score,
                temperature=Temperature(row.temperature),
                job_title=row.job_title,
                last_active_at=row.last_activity or _parsed(row.updated_at),
            )
        )
    return found


def _parsed(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def save_score(connection: AsyncConnection, account_id: uuid.UUID, **values: object) -> None:
    statement = insert(account_scores).values(account_id=account_id, **values)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=[account_scores.c.account_id], set_=values)
    )


async def recent_accounts(connection: AsyncConnection, limit: int) -> list[uuid.UUID]:
    """The most recently scored accounts."""
    query = select(account_scores.c.account_id).order_by(account_scores.c.scored_at.desc()).limit(limit)
    return list(await connection.scalars(query))
