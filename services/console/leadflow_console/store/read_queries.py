"""Reading the read models: typed rows for the pages. Every query is bounded."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import any_of
from leadflow_console.domain.status import ShownStatus
from leadflow_console.store.read_tables import decisions, lead_timeline, lead_views

INBOX_STATUSES = (ShownStatus.offered, ShownStatus.accepted)
SHOWN = 100
DIMENSIONS = ("channel", "source", "campaign", "segment")


ERASED = "(erased on request)"


def display_name(profile: Mapping[str, object] | None) -> str:
    """How a lead is named on a page: its name, else its email or phone ("" when none is known)."""
    profile = profile or {}
    said = [profile.get(part) for part in ("first_name", "last_name", "email", "phone")]
    first, last, email, phone = [value if isinstance(value, str) else "" for value in said]
    return " ".join(p for p in (first, last) if p) or email or phone


@dataclass(frozen=True)
class LeadView:
    lead_id: uuid.UUID
    profile: dict[str, object] | None
    channel: str | None
    source: str | None  # kept through an erasure, with the channel (the funnel counts them)
    campaign: str | None
    captured_at: datetime | None
    merged_into: uuid.UUID | None
    score: float | None
    temperature: str | None
    reasons: list[dict[str, object]] | None
    assignment_id: uuid.UUID | None
    assignment_status: str | None
    rep_id: uuid.UUID | None
    rep_name: str | None
    tier: str | None
    sla_deadline: datetime | None
    decided_at: datetime | None
    outcome: str | None
    outcome_at: datetime | None
    erased_at: datetime | None

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return ERASED
        return display_name(self.profile) or "(not captured yet)"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    details: dict[str, object]


@dataclass(frozen=True)
class Decision:
    assignment_id: uuid.UUID
    type: str
    at: datetime
    lead_id: uuid.UUID
    rep_id: uuid.UUID | None
    rep_name: str | None
    tier: str | None
    queue: str | None
    temperature: str
    score: float
    reason: str
    status: str
    sla_deadline: datetime | None


@dataclass(frozen=True)
class FunnelRow:
    group: str
    captured: int
    warm: int
    hot: int
    offered: int
    accepted: int
    won: int
    lost: int
    # Won with no rep's acceptance (an outcome a sales tool or the API reported for a lead only
    # offered, or never offered): part of `won`, not of the accepted leads' conversion.
    won_unaccepted: int = 0


@dataclass(frozen=True)
class SpeedRow:
    rep_name: str
    tier: str
    accepted: int
    median_seconds: float | None
    p90_seconds: float | None
    breaches: int


VIEW_COLUMNS = [getattr(lead_views.c, name) for name in LeadView.__dataclass_fields__]
DECISION_COLUMNS = [getattr(decisions.c, name) for name in Decision.__dataclass_fields__]


async def inbox(connection: AsyncConnection, rep_id: uuid.UUID) -> list[LeadView]:
    rows = await connection.execute(
        select(*VIEW_COLUMNS)
        .where(
            lead_views.c.rep_id == rep_id,
            lead_views.c.assignment_status.in_(INBOX_STATUSES),
            lead_views.c.merged_into.is_(None),
            # An outcome is final: the card goes with it, before routing's close follows.
            lead_views.c.outcome.is_(None),
        )
        # Offers first, the one running out soonest on top (newest first pushed it down the
        # screen), then accepted leads, newest first.
        .order_by(
            case((lead_views.c.assignment_status == "offered", 0), else_=1),
            case((lead_views.c.assignment_status == "offered", lead_views.c.sla_deadline)).asc().nulls_last(),
            lead_views.c.decided_at.desc(),
        )
        .limit(SHOWN)
    )
    return [LeadView(**row._mapping) for row in rows]


async def lead(connection: AsyncConnection, lead_id: uuid.UUID) -> LeadView | None:
    row = (await connection.execute(select(*VIEW_COLUMNS).where(lead_views.c.lead_id == lead_id))).first()
    return LeadView(**row._mapping) if row else None


async def leads(connection: AsyncConnection, lead_ids: list[uuid.UUID]) -> dict[uuid.UUID, LeadView]:
    """These leads' rows (one statement), for a list that knows only their ids (the queue)."""
    if not lead_ids:
        return {}
    rows = await connection.execute(select(*VIEW_COLUMNS).where(lead_views.c.lead_id.in_(lead_ids)))
    return {row.lead_id: LeadView(**row._mapping) for row in rows}


async def timeline(connection: AsyncConnection, lead_id: uuid.UUID) -> list[TimelineEntry]:
    rows = await connection.execute(
        select(lead_timeline.c.at, lead_timeline.c.kind, lead_timeline.c.title, lead_timeline.c.details)
        .where(lead_timeline.c.lead_id == lead_id)
        .order_by(lead_timeline.c.at.desc(), lead_timeline.c.id.desc())
        .limit(200)
    )
    return [TimelineEntry(**row._mapping) for row in rows]


async def recent_timelines(
    connection: AsyncConnection, lead_ids: list[uuid.UUID], per_lead: int = 5
) -> dict[uuid.UUID, list[TimelineEntry]]:
    """Each lead's latest entries, for the cards of a list (one statement for the whole list)."""
    if not lead_ids:
        return {}
    position = (
        func.row_number()
        .over(
            partition_by=lead_timeline.c.lead_id,
            order_by=(lead_timeline.c.at.desc(), lead_timeline.c.id.desc()),
        )
        .label("position")
    )
    ranked = (
        select(
            lead_timeline.c.lead_id,
            lead_timeline.c.at,
            lead_timeline.c.kind,
            lead_timeline.c.title,
            lead_timeline.c.details,
            position,
        )
        .where(any_of(lead_timeline.c.lead_id, lead_ids))
        .subquery()
    )
    rows = await connection.execute(
        select(ranked).where(ranked.c.position <= per_lead).order_by(ranked.c.lead_id, ranked.c.position)
    )
    found: dict[uuid.UUID, list[TimelineEntry]] = {lead_id: [] for lead_id in lead_ids}
    for row in rows:
        found[row.lead_id].append(
            TimelineEntry(at=row.at, kind=row.kind, title=row.title, details=row.details)
        )
    return found


async def feed(
    connection: AsyncConnection,
    *,
    temperature: str | None = None,
    tier: str | None = None,
    rep_id: uuid.UUID | None = None,
    limit: int = SHOWN,
) -> list[Decision]:
    query = select(*DECISION_COLUMNS).order_by(decisions.c.at.desc()).limit(limit)
    for column, value in ((decisions.c.temperature, temperature), (decisions.c.tier, tier)):
        if value:
            query = query.where(column == value)
    if rep_id is not None:
        query = query.where(decisions.c.rep_id == rep_id)
    return [Decision(**row._mapping) for row in await connection.execute(query)]


async def funnel(connection: AsyncConnection, since: datetime, until: datetime, by: str) -> list[FunnelRow]:
    """Leads captured in [since, until), by the given dimension: how many reached each stage."""
    # "Google" and "google" are one source to a marketer, and a blank one is none: grouped by
    # the value in lower case, shown as one of its spellings.
    given = func.nullif(func.btrim(getattr(lead_views.c, by)), "")
    key = func.lower(given)
    group = func.coalesce(func.min(given), "(none)").label("group")
    counted = lambda column: func.count(column)  # noqa: E731  (counts the non-null ones)
    query = (
        select(
            group,
            func.count().label("captured"),
            counted(lead_views.c.warm_at).label("warm"),
            counted(lead_views.c.hot_at).label("hot"),
            counted(lead_views.c.offered_at).label("offered"),
            counted(lead_views.c.accepted_at).label("accepted"),
            func.count().filter(lead_views.c.outcome == "won").label("won"),
            func.count().filter(lead_views.c.outcome == "lost").label("lost"),
            func.count()
            .filter(lead_views.c.outcome == "won", lead_views.c.accepted_at.is_(None))
            .label("won_unaccepted"),
        )
        .where(
            lead_views.c.captured_at >= since,
            lead_views.c.captured_at < until,
            lead_views.c.merged_into.is_(None),
        )
        .group_by(key)
        .order_by(func.count().desc())
        .limit(50)
    )
    return [FunnelRow(**row._mapping) for row in await connection.execute(query)]


async def speed_to_lead(connection: AsyncConnection, since: datetime, until: datetime) -> list[SpeedRow]:
    """Offered → accepted per rep and tier, for offers made in [since, until); SLA breaches."""
    wait = func.extract("epoch", decisions.c.accepted_at - decisions.c.at)
    query = (
        select(
            func.max(decisions.c.rep_name).label("rep_name"),
            decisions.c.tier,
            func.count(decisions.c.accepted_at).label("accepted"),
            func.percentile_cont(0.5).within_group(wait).label("median_seconds"),
            func.percentile_cont(0.9).within_group(wait).label("p90_seconds"),
            func.sum(decisions.c.breached).label("breaches"),
        )
        .where(
            decisions.c.rep_id.is_not(None),
            and_(decisions.c.at >= since, decisions.c.at < until),
        )
        .group_by(decisions.c.rep_id, decisions.c.tier)
        .order_by(decisions.c.tier, func.max(decisions.c.rep_name))
        .limit(200)
    )
    return [SpeedRow(**row._mapping) for row in await connection.execute(query)]
