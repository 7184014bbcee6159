"""Capture's SQL for accounts: the accounts a batch may match, each lead's link, and writing a
plan (stored accounts change by deltas, so two batches touching one account both count)."""

import json
import uuid
from datetime import datetime

from sqlalchemy import Text, all_, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.domain.account_planning import AccountPlan, AccountState, Link
from leadflow_capture.domain.account_waiting import Waiting
from leadflow_capture.domain.accounts import name_keys, normalize_name
from leadflow_capture.store import suggestions as suggestions_store
from leadflow_capture.store.account_tables import (
    account_domains,
    account_names,
    account_suggestions,
    accounts,
    company_names,
    lead_accounts,
)
from leadflow_common.account_events import MatchMethod
from leadflow_common.db import any_of, upsert_replacing
from leadflow_common.driver import Prepared

# Accounts read for one batch's names at most: a word many names share must not read them all.
MAX_CANDIDATES = 500
ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.revision,
    accounts.c.name,
    accounts.c.domains,
    accounts.c.people,
    accounts.c.company_size,
    accounts.c.industry,
    accounts.c.country,
    accounts.c.merged_into,
)


# The company names an account's people gave, normalized: what matching compares names with
# (each once, however many people gave it: account_names).
_NAMES = (
    select(func.array_agg(account_names.c.normalized_name))
    .where(account_names.c.account_id == accounts.c.id)
    .scalar_subquery()
    .label("names")
)


def account_from_row(row) -> AccountState:
    return AccountState(
        account_id=row.id,
        revision=row.revision,
        name=row.name,
        domains=list(row.domains),
        people=row.people,
        company_size=row.company_size,
        industry=row.industry,
        country=row.country,
        merged_into=row.merged_into,
        names=set(getattr(row, "names", None) or ()),
    )


def link_from_row(row) -> Link:
    return Link(row.lead_id, row.account_id, MatchMethod(row.method), row.confidence, row.linked_by, row.at)


async def links_of(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, Link]:
    if not lead_ids:
        return {}
    rows = await connection.execute(select(lead_accounts).where(any_of(lead_accounts.c.lead_id, lead_ids)))
    return {row.lead_id: link_from_row(row) for row in rows}


def _for_matching_statement() -> Prepared:
    by_domain = accounts.c.domains.overlap(bindparam("domains", type_=ARRAY(Text)))
    by_label = accounts.c.name_keys.overlap(bindparam("keys", type_=ARRAY(Text)))
    by_people = accounts.c.id.in_(
        select(account_names.c.account_id).where(
            account_names.c.name_keys.overlap(bindparam("keys", type_=ARRAY(Text)))
        )
    )
    return Prepared(
        select(*ACCOUNT_COLUMNS, _NAMES)
        .where(accounts.c.merged_into.is_(None), or_(by_domain, by_label, by_people))
        .order_by(by_domain.desc(), accounts.c.id)
        .limit(MAX_CANDIDATES)
    )


async def accounts_for_matching(
    connection: AsyncConnection, domains: list[str], keys: list[str]
) -> list[AccountState]:
    """Live accounts holding any of these domains, and those whose names share a name key:
    the domains' first (they decide), then the names' up to MAX_CANDIDATES."""
    if not domains and not keys:
        return []
    rows = await _FOR_MATCHING.fetch(connection, {"domains": domains, "keys": keys})
    return [account_from_row(row) for row in rows]


_FOR_MATCHING = _for_matching_statement()


async def accounts_by_id(connection: AsyncConnection, ids: list[uuid.UUID]) -> list[AccountState]:
    if not ids:
        return []
    rows = await connection.execute(
        select(*ACCOUNT_COLUMNS, _NAMES).where(any_of(accounts.c.id, ids)).order_by(accounts.c.id)
    )
    return [account_from_row(row) for row in rows]


def _upsert():
    """New accounts inserted; stored ones changed by the plan's deltas: people added or gone,
    domains joined, fit fields filling what is missing. RETURNING the rows as they end: the
    events are made from them, with no second read."""
    statement = insert(accounts)
    return statement.on_conflict_do_update(
        index_elements=[accounts.c.id],
        set_={
            "people": text("accounts.people + excluded.people"),
            "revision": text("accounts.revision + 1"),
            "domains": text(
                "ARRAY(SELECT DISTINCT d FROM unnest(accounts.domains || excluded.domains) AS d ORDER BY d)"
            ),
            **{
                c: text(f"COALESCE(accounts.{c}, excluded.{c})")
                for c in ("company_size", "industry", "country")
            },
            "updated_at": statement.excluded.updated_at,
        },
    ).returning(*ACCOUNT_COLUMNS)


_UPSERT = _upsert()
# Built once, as _UPSERT: each `excluded` of a new statement builds an alias and its columns,
# and a new statement's cache key is worked out again; these run in every intake batch.
_LINK_UPSERT = upsert_replacing(
    lead_accounts, "lead_id", ("account_id", "method", "confidence", "linked_by", "at")
)
_NAME_UPSERT = upsert_replacing(
    company_names, "lead_id", ("account_id", "normalized_name", "typed_name", "name_keys")
)


async def write_accounts(connection: AsyncConnection, plan: AccountPlan, now: datetime) -> list[AccountState]:
    """The plan's accounts, domains, links and suggestions; the changed accounts as they end."""
    stored = []
    if plan.accounts:
        # In id order: two batches changing the same accounts take their row locks in one order.
        rows = [
            {
                "id": a.account_id,
                "revision": 1,
                "name": a.name,
                "name_keys": name_keys(normalize_name(a.name)),
                "domains": sorted(a.domains),
                # A new account's people; a stored one's change (the upsert adds it).
                "people": a.people
                if a.account_id in plan.created
                else plan.people_delta.get(a.account_id, 0),
                "company_size": a.company_size,
                "industry": a.industry,
                "country": a.country,
                "created_at": now,
                "updated_at": now,
            }
            for a in (plan.accounts[i] for i in sorted(plan.accounts))
        ]
        result = await connection.execute(_UPSERT, rows)
        stored = sorted((account_from_row(row) for row in result), key=lambda a: a.account_id)
    if plan.new_domains:
        rows = [{"domain": domain, "account_id": account} for domain, account in plan.new_domains]
        await connection.execute(insert(account_domains).on_conflict_do_nothing(), rows)
    await write_links(connection, plan)
    return stored


async def write_links(connection: AsyncConnection, plan: AccountPlan) -> None:
    if plan.unlinked:
        await connection.execute(delete(lead_accounts).where(any_of(lead_accounts.c.lead_id, plan.unlinked)))
    if plan.links:
        await connection.execute(
            _LINK_UPSERT,
            [
                {
                    "lead_id": link.lead_id,
                    "account_id": link.account_id,
                    "method": link.method.value,
                    "confidence": link.confidence,
                    "linked_by": link.by,
                    "at": link.at,
                }
                for link in plan.links.values()
            ],
        )
    if plan.suggestions:
        await suggestions_store.write_suggestions(connection, plan)


async def drop_suggestions(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    await connection.execute(
        delete(account_suggestions).where(any_of(account_suggestions.c.lead_id, lead_ids))
    )


async def waiting_for(
    connection: AsyncConnection, keys: list[str], besides: list[uuid.UUID]
) -> list[Waiting]:
    """People waiting whose names share a key with these, but for `besides` (the batch's own)."""
    if not keys:
        return []
    rows = await connection.execute(
        select(company_names.c.lead_id, company_names.c.normalized_name, company_names.c.typed_name)
        .where(
            company_names.c.account_id.is_(None),
            company_names.c.name_keys.overlap(bindparam("waiting_keys", keys, ARRAY(Text))),
            company_names.c.lead_id != all_(bindparam("besides", besides, ARRAY(UUID(as_uuid=True)))),
        )
        .order_by(company_names.c.lead_id)
        .limit(MAX_CANDIDATES)
    )
    return [Waiting(row.lead_id, row.normalized_name, row.typed_name) for row in rows]


async def write_names(connection: AsyncConnection, rows: list[dict]) -> None:
    """The company names people gave, each with her account or none (a newer name replaces hers)."""
    if rows:
        await connection.execute(_NAME_UPSERT, rows)


async def forget_names(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> None:
    if lead_ids:
        await connection.execute(delete(company_names).where(any_of(company_names.c.lead_id, lead_ids)))


async def name_account(connection: AsyncConnection, lead_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """A person linked by hand: the name she gave is one her account is known by."""
    await connection.execute(
        update(company_names).where(company_names.c.lead_id == lead_id).values(account_id=account_id)
    )


_OWNER = text(
    "UPDATE capture.accounts SET owner = CAST(:owner AS jsonb), owner_at = :at"
    " WHERE id = :id AND (owner_at IS NULL OR owner_at < :at)"
)
_SCORE = text(
    "UPDATE capture.accounts SET score = :score, temperature = :temperature, score_revision = :revision"
    " WHERE id = :id AND (score_revision IS NULL OR score_revision < :revision)"
)


async def record_owners(connection: AsyncConnection, rows: list[dict]) -> None:
    """Each account's owner as routing says it, the newest kept."""
    if rows:
        await connection.execute(_OWNER, [{**row, "owner": json.dumps(row["owner"])} for row in rows])


async def record_scores(connection: AsyncConnection, rows: list[dict]) -> None:
    """Each account's score as scoring says it, the highest revision kept."""
    if rows:
        await connection.execute(_SCORE, rows)
