"""The leads page's query: every lead the viewer may see, filtered, searched, sorted and paged by
keyset (the page after the last row shown, never OFFSET), each condition served by an index of
migration 0006. A rep's leads are scoped here, in SQL."""

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of
from leadflow_console.domain.lead_filters import (
    OUTCOMES,
    PAGE_SIZE,
    Cursor,
    LeadCriteria,
    ListStatus,
    Search,
    Sort,
)
from leadflow_console.store.read_queries import VIEW_COLUMNS, LeadView
from leadflow_console.store.read_tables import lead_views

V = lead_views.c
# Written out as migration 0006 wrote its index: PostgreSQL uses the index only for this expression.
WORDS = literal_column(
    "to_tsvector('simple'::regconfig, coalesce(console.lead_views.name, '') || ' ' || "
    "coalesce(console.lead_views.company, ''))"
)
SCORE = func.coalesce(V.score, literal_column("-1"))
# A campaign as the funnel counts it, whatever its case and spaces (migration 0011's index).
CAMPAIGN = func.lower(func.btrim(V.campaign))
CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")  # for this transaction only


@dataclass(frozen=True)
class LeadPage:
    leads: list[LeadView]
    next_cursor: Cursor | None  # None: this is the last page


@dataclass(frozen=True)
class Owner:
    rep_id: uuid.UUID
    name: str


async def lead_page(
    connection: AsyncConnection, criteria: LeadCriteria, *, only_rep: uuid.UUID | None
) -> LeadPage:
    # Planned for the values asked each time: a plan made once for any values (which PostgreSQL
    # may settle on after a statement's fifth run) reads the whole table in capture order for
    # a combination of filters that leaves no lead.
    await connection.execute(CUSTOM_PLANS)
    rows = [LeadView(**row._mapping) for row in await connection.execute(page_query(criteria, only_rep))]
    if len(rows) <= PAGE_SIZE:
        return LeadPage(rows, None)
    last = rows[PAGE_SIZE - 1]
    score = last.score if last.score is not None else -1.0
    value = score if criteria.sort == Sort.score else last.captured_at
    return LeadPage(rows[:PAGE_SIZE], Cursor(value, last.lead_id))


def page_query(criteria: LeadCriteria, only_rep: uuid.UUID | None) -> Select:
    """One page and one row more (whether there is a next page)."""
    key = SCORE if criteria.sort == Sort.score else V.captured_at
    query = select(*VIEW_COLUMNS).where(*conditions(criteria, only_rep))
    if criteria.after is not None:
        query = query.where(tuple_(key, V.lead_id) < tuple_(criteria.after.value, criteria.after.lead_id))
    return query.order_by(key.desc(), V.lead_id.desc()).limit(PAGE_SIZE + 1)


def conditions(criteria: LeadCriteria, only_rep: uuid.UUID | None) -> list[ColumnElement]:
    found = [V.merged_into.is_(None), V.captured_at.is_not(None)]
    if only_rep is not None:
        found.append(V.rep_id == only_rep)
    if criteria.only is not None:
        found.append(any_of(V.lead_id, criteria.only))
    found += _search(criteria.search)
    for column, value in (
        (V.temperature, criteria.temperature),
        (V.channel, criteria.channel),
        (V.rep_id, criteria.owner),
    ):
        if value:
            found.append(column == value)
    if criteria.campaign:
        found.append(CAMPAIGN == func.lower(criteria.campaign))
    if criteria.status:
        found.append(_status(criteria.status))
    if criteria.since:
        found.append(V.captured_at >= criteria.since)
    if criteria.until:
        found.append(V.captured_at < criteria.until)
    return found


def _search(search: Search) -> list[ColumnElement]:
    if search.email is not None:
        escaped = search.email.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [V.email.like(escaped + "%")]
    if search.phone is not None:
        return [V.phone == search.phone]
    if search.words:
        prefixes = " & ".join(f"{word}:*" for word in search.words)
        return [WORDS.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), prefixes))]
    return []


def _status(status: ListStatus) -> ColumnElement:
    if status in OUTCOMES:
        return V.outcome == status
    if status == ListStatus.not_routed:
        return V.assignment_status.is_(None) & V.outcome.is_(None)
    return V.assignment_status == status


# Each rep in `decisions` once, found by skipping through its (rep_id, at) index rather than
# grouping every decision: a probe per rep, however many decisions there are.
OWNERS = text(
    """
    WITH RECURSIVE owner AS (
        (SELECT rep_id FROM console.decisions WHERE rep_id IS NOT NULL ORDER BY rep_id LIMIT 1)
        UNION ALL
        SELECT (SELECT d.rep_id FROM console.decisions AS d WHERE d.rep_id > owner.rep_id
                ORDER BY d.rep_id LIMIT 1)
        FROM owner WHERE owner.rep_id IS NOT NULL
    )
    SELECT owner.rep_id, (SELECT d.rep_name FROM console.decisions AS d WHERE d.rep_id = owner.rep_id
                          ORDER BY d.at DESC LIMIT 1) AS name
    FROM owner WHERE owner.rep_id IS NOT NULL LIMIT 500
    """
)


async def owners(connection: AsyncConnection) -> list[Owner]:
    """The reps any lead was offered to, by name (as last decided): the owner filter's choices."""
    found = [Owner(row.rep_id, row.name or str(row.rep_id)) for row in await connection.execute(OWNERS)]
    return sorted(found, key=lambda owner: owner.name.lower())
