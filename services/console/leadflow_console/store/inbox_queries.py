"""What the rep's inbox says besides the open offers: how their recent leads ended, and which
left them and why. Typed rows, bounded queries."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_console.store.read_queries import VIEW_COLUMNS, LeadView, display_name
from leadflow_console.store.read_tables import decisions, lead_views

# How an offer can leave a rep without an outcome (the console's names: projection.ENDED), and
# a lead she marked complete while its outcome is still to come (it leaves her offers: without a
# word in "Lately", she lost sight of the lead whose Won or Lost she was to record).
LEFT = ("rejected", "moved on", "promoted", "given by hand", "released")
COMPLETED = "completed"


@dataclass(frozen=True)
class LeftLead:
    """A lead that was offered to the rep and went elsewhere."""

    lead_id: uuid.UUID
    profile: dict[str, str] | None
    how: str  # one of LEFT, or COMPLETED
    at: datetime
    now_status: str | None  # where the lead is now: waiting, offered, accepted...
    now_with_this_rep: bool  # it came back to them since

    @property
    def display_name(self) -> str:
        return display_name(self.profile) or "a lead"


async def closed_recently(
    connection: AsyncConnection, rep_id: uuid.UUID, since: datetime, limit: int
) -> list[LeadView]:
    """The rep's leads closed by an outcome since `since`, the latest first."""
    rows = await connection.execute(
        select(*VIEW_COLUMNS)
        .where(
            lead_views.c.rep_id == rep_id,
            lead_views.c.outcome.is_not(None),
            lead_views.c.outcome_at >= since,
            lead_views.c.merged_into.is_(None),
        )
        .order_by(lead_views.c.outcome_at.desc())
        .limit(limit)
    )
    return [LeadView(**row._mapping) for row in rows]


async def left_recently(
    connection: AsyncConnection,
    rep_id: uuid.UUID,
    since: datetime,
    limit: int,
    lead_id: uuid.UUID | None = None,
) -> list[LeftLead]:
    """Offers that left the rep since `since` (passed on, run out, or promoted to a senior), and
    leads she marked complete whose outcome is still to come, the latest first, with where each
    lead is now: each lead once, as it last left her (a lead offered to her again and run out
    again was listed at each); `lead_id`: that lead's only."""
    latest = (
        select(decisions.c.lead_id, decisions.c.status.label("how"), decisions.c.acted_at.label("at"))
        .where(
            decisions.c.rep_id == rep_id,
            decisions.c.status.in_((*LEFT, COMPLETED)),
            decisions.c.acted_at >= since,
            *([decisions.c.lead_id == lead_id] if lead_id is not None else []),
        )
        .ext(distinct_on(decisions.c.lead_id))
        .order_by(decisions.c.lead_id, decisions.c.acted_at.desc(), decisions.c.assignment_id)
        .subquery()
    )
    query = (
        select(
            latest.c.lead_id,
            lead_views.c.profile,
            latest.c.how,
            latest.c.at,
            lead_views.c.assignment_status.label("now_status"),
            (lead_views.c.rep_id == rep_id).label("now_with_this_rep"),
        )
        .select_from(latest.outerjoin(lead_views, lead_views.c.lead_id == latest.c.lead_id))
        # A completed lead until its outcome (then "closed" says how it ended).
        .where(or_(latest.c.how != COMPLETED, lead_views.c.outcome.is_(None)))
        .order_by(latest.c.at.desc())
        .limit(limit)
    )
    rows = await connection.execute(query)
    return [LeftLead(**{**row._mapping, "now_with_this_rep": bool(row.now_with_this_rep)}) for row in rows]


async def was_offered(connection: AsyncConnection, rep_id: uuid.UUID, lead_id: uuid.UUID) -> bool:
    """Whether the lead was ever offered or given to the rep (a decision naming her)."""
    found = select(decisions.c.assignment_id).where(
        decisions.c.rep_id == rep_id, decisions.c.lead_id == lead_id
    )
    return bool(await connection.scalar(select(found.exists())))
