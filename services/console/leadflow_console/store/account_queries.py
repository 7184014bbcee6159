"""The read side of B2B accounts: view models for the account pages, scoped to the viewer in SQL
(a rep reads an account's people only as far as each lead is theirs, as on the lead page)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_param
from leadflow_common.driver import Prepared
from leadflow_console.store.account_tables import account_views, lead_accounts
from leadflow_console.store.read_queries import ERASED, display_name
from leadflow_console.store.read_tables import lead_timeline, lead_views

TIMELINE_SHOWN = 100
LISTED = 50


@dataclass(frozen=True)
class AccountView:
    account_id: uuid.UUID
    name: str | None
    domains: list
    people: int
    merged_into: uuid.UUID | None
    score: float | None
    temperature: str | None
    reasons: list | None
    hot_at: datetime | None
    owner_id: uuid.UUID | None
    owner_name: str | None

    @property
    def display_name(self) -> str:
        return self.name or (self.domains[0] if self.domains else "(an account not described yet)")


@dataclass(frozen=True)
class Person:
    lead_id: uuid.UUID
    profile: dict | None
    score: float | None
    temperature: str | None
    rep_id: uuid.UUID | None
    rep_name: str | None
    assignment_status: str | None
    method: str | None
    confidence: float | None
    erased_at: datetime | None

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return ERASED
        return display_name(self.profile) or "(not captured yet)"

    @property
    def job_title(self) -> str:
        return (self.profile or {}).get("job_title") or ""


@dataclass(frozen=True)
class AccountEntry:
    lead_id: uuid.UUID
    at: datetime
    kind: str
    title: str
    details: dict


ACCOUNT_COLUMNS = [account_views.c[name] for name in AccountView.__dataclass_fields__]


async def account(connection: AsyncConnection, account_id: uuid.UUID) -> AccountView | None:
    row = (
        await connection.execute(select(*ACCOUNT_COLUMNS).where(account_views.c.account_id == account_id))
    ).first()
    return AccountView(**row._mapping) if row else None


async def people(
    connection: AsyncConnection, account_id: uuid.UUID, only_rep: uuid.UUID | None
) -> list[Person]:
    """The account's people, best score first; for a rep, only the leads offered to them."""
    query = (
        select(
            lead_views.c.lead_id,
            lead_views.c.profile,
            lead_views.c.score,
            lead_views.c.temperature,
            lead_views.c.rep_id,
            lead_views.c.rep_name,
            lead_views.c.assignment_status,
            lead_accounts.c.method,
            lead_accounts.c.confidence,
            lead_views.c.erased_at,
        )
        .join(lead_views, lead_views.c.lead_id == lead_accounts.c.lead_id)
        .where(lead_accounts.c.account_id == account_id, lead_views.c.merged_into.is_(None))
        .order_by(lead_views.c.score.desc().nulls_last(), lead_views.c.lead_id)
    )
    if only_rep is not None:
        query = query.where(lead_views.c.rep_id == only_rep)
    return [Person(**row._mapping) for row in await connection.execute(query)]


async def timeline(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> list[AccountEntry]:
    """What happened to these people, newest first, across all of them."""
    if not lead_ids:
        return []
    rows = await connection.execute(
        select(
            lead_timeline.c.lead_id,
            lead_timeline.c.at,
            lead_timeline.c.kind,
            lead_timeline.c.title,
            lead_timeline.c.details,
        )
        .where(lead_timeline.c.lead_id.in_(lead_ids))
        .order_by(lead_timeline.c.at.desc(), lead_timeline.c.id.desc())
        .limit(TIMELINE_SHOWN)
    )
    return [AccountEntry(**row._mapping) for row in rows]


async def turned_hot_since(connection: AsyncConnection, since: datetime) -> list[AccountView]:
    """Accounts that turned hot since then and are hot still, latest first."""
    rows = await connection.execute(
        select(*ACCOUNT_COLUMNS)
        .where(account_views.c.hot_at >= since, account_views.c.temperature == "hot")
        .order_by(account_views.c.hot_at.desc())
        .limit(LISTED)
    )
    return [AccountView(**row._mapping) for row in rows]


async def search(connection: AsyncConnection, words: str) -> list[AccountView]:
    """Accounts whose name or a domain holds the words (case-insensitive), best scored first."""
    pattern = "%" + words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await connection.execute(
        select(*ACCOUNT_COLUMNS)
        .where(
            account_views.c.merged_into.is_(None),
            or_(
                account_views.c.search_name.like(pattern), cast(account_views.c.domains, String).like(pattern)
            ),
        )
        .order_by(account_views.c.score.desc().nulls_last(), account_views.c.account_id)
        .limit(LISTED)
    )
    return [AccountView(**row._mapping) for row in rows]


async def account_of_lead(connection: AsyncConnection, lead_id: uuid.UUID) -> AccountView | None:
    found = await connection.scalar(
        select(lead_accounts.c.account_id).where(lead_accounts.c.lead_id == lead_id)
    )
    return await account(connection, found) if found else None


async def count_people(connection: AsyncConnection, account_id: uuid.UUID) -> int:
    return await connection.scalar(
        select(func.count()).select_from(lead_accounts).where(lead_accounts.c.account_id == account_id)
    )


_ACCOUNTS_OF_LEADS = Prepared(
    select(lead_accounts.c.account_id).where(any_param(lead_accounts.c.lead_id, "ids")).distinct()
)


async def accounts_of_leads(connection: AsyncConnection, lead_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The accounts these leads belong to (one statement; none asked, none run)."""
    if not lead_ids:
        return set()
    rows = await _ACCOUNTS_OF_LEADS.fetch(connection, {"ids": list(lead_ids)})
    return {row.account_id for row in rows}
