"""Reading accounts: one with its people, and finding them by domain or name. A rep's reads are
scoped in SQL to the leads offered to them now (lead_access), as GET /v1/leads is."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, and_, exists, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.store.account_tables import account_suggestions, accounts, company_names, lead_accounts
from leadflow_capture.store.tables import lead_reps, leads
from leadflow_common.lead_access import leads_of_rep


@dataclass(frozen=True)
class AccountRow:
    id: uuid.UUID
    revision: int
    name: str
    domains: list[str]
    people: int
    company_size: str | None
    industry: str | None
    country: str | None
    merged_into: uuid.UUID | None
    owner: dict[str, Any] | None
    score: float | None
    temperature: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PersonRow:
    lead_id: uuid.UUID
    method: str
    confidence: float
    linked_by: str
    at: datetime
    profile: dict[str, Any]


# An account reads as the company name its people give most (their words, erased with them),
# else its domain's label (what its events carry).
_GIVEN_NAME = (
    select(company_names.c.typed_name)
    .where(company_names.c.account_id == accounts.c.id)
    .group_by(company_names.c.typed_name)
    .order_by(func.count().desc(), func.length(company_names.c.typed_name).desc(), company_names.c.typed_name)
    .limit(1)
    .scalar_subquery()
)
_COLUMNS = [
    func.coalesce(_GIVEN_NAME, accounts.c.name).label("name") if name == "name" else accounts.c[name]
    for name in AccountRow.__dataclass_fields__
]


def _of_rep(rep_id: uuid.UUID) -> Exists:
    """The accounts with at least one person offered to this rep now."""
    return exists(
        select(lead_accounts.c.lead_id).where(
            lead_accounts.c.account_id == accounts.c.id,
            lead_accounts.c.lead_id.in_(leads_of_rep(lead_reps, rep_id)),
        )
    )


async def account(
    connection: AsyncConnection, account_id: uuid.UUID, rep_id: uuid.UUID | None
) -> AccountRow | None:
    query = select(*_COLUMNS).where(accounts.c.id == account_id)
    if rep_id is not None:
        query = query.where(_of_rep(rep_id))
    row = (await connection.execute(query)).first()
    return AccountRow(**row._mapping) if row else None


async def people(
    connection: AsyncConnection, account_id: uuid.UUID, rep_id: uuid.UUID | None, *, suggested: bool = False
) -> list[PersonRow]:
    """The account's people (or the leads suggested for it), earliest linked first; a rep's, only
    those offered to them."""
    table = account_suggestions if suggested else lead_accounts
    by = table.c.method.label("linked_by") if suggested else lead_accounts.c.linked_by
    query = (
        select(table.c.lead_id, table.c.method, table.c.confidence, by, table.c.at, leads.c.profile)
        .join(leads, leads.c.id == table.c.lead_id)
        .where(table.c.account_id == account_id, leads.c.merged_into.is_(None), leads.c.erased_at.is_(None))
        .order_by(table.c.at, table.c.lead_id)
    )
    if rep_id is not None:
        query = query.where(table.c.lead_id.in_(leads_of_rep(lead_reps, rep_id)))
    if suggested:
        query = query.where(account_suggestions.c.dismissed_at.is_(None))
    rows = await connection.execute(query)
    return [PersonRow(**row._mapping) for row in rows]


async def find(
    connection: AsyncConnection,
    *,
    domain: str | None,
    text: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    rep_id: uuid.UUID | None,
    limit: int,
) -> list[AccountRow]:
    """Live accounts, oldest first, after the cursor: by one of their domains, or a part of their
    name or a domain; a rep's, only those with one of their people."""
    conditions: list[ColumnElement[bool]] = [accounts.c.merged_into.is_(None)]
    if domain:
        conditions.append(accounts.c.domains.contains([domain]))  # @>: the GIN index
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        domains = func.array_to_string(accounts.c.domains, " ")
        given = select(company_names.c.account_id).where(company_names.c.typed_name.ilike(pattern))
        conditions.append(
            or_(accounts.c.name.ilike(pattern), domains.ilike(pattern), accounts.c.id.in_(given))
        )
    if after is not None:
        conditions.append(tuple_(accounts.c.created_at, accounts.c.id) > tuple_(*after))
    if rep_id is not None:
        conditions.append(_of_rep(rep_id))
    query = (
        select(*_COLUMNS).where(and_(*conditions)).order_by(accounts.c.created_at, accounts.c.id).limit(limit)
    )
    return [AccountRow(**row._mapping) for row in await connection.execute(query)]
