"""No hot lead waits unseen: once a hot lead has waited for a rep longer than its limit
(ROUTING_HOT_WAIT_LIMIT_SECONDS), `lead.waiting_too_long` says so on `leads.routed`, once per wait,
in the unit of work that records it was said. The webhooks service tells the admins by mail or
Slack; the metric `leadflow_routing_oldest_waiting_seconds` and the alert HotLeadWaiting say it to
operators. The sweeper calls this after giving freed capacity to waiting leads, so a lead placed
by that same look is not said to wait."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.db import constant
from leadflow_common.events import LeadWaitingTooLong, Temperature
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing import metrics
from leadflow_routing.app.context import RoutingContext
from leadflow_routing.domain.policy import Assignment, AssignmentStatus
from leadflow_routing.store import cards, repository
from leadflow_routing.store.tables import assignments, waiting_escalations

BATCH = 50  # waits said per look; more are said at the next one


@dataclass(frozen=True)
class Escalation:
    limit: timedelta
    queue_url: str | None  # the console's queue page, where an admin assigns by hand


async def say_long_waits(uow: UnitOfWork, context: RoutingContext, escalation: Escalation) -> int:
    """Says every hot wait past the limit that was not said yet; returns how many."""
    due = await unsaid_waits(uow.connection, context.now - escalation.limit, BATCH)
    for waiting in due:
        if not await mark_said(uow.connection, waiting, context.now):
            continue  # another process said it first
        card = await cards.contact_card(uow.connection, waiting.lead_id, context.lead_url_base)
        event = LeadWaitingTooLong(
            assignment_id=waiting.id,
            lead_id=waiting.lead_id,
            temperature=waiting.temperature,
            score=waiting.score,
            waiting_since=waiting.created_at,
            limit_seconds=escalation.limit.total_seconds(),
            waiting_for=waiting.waiting_for,
            reason=waiting.reason,
            lead=card,
            queue_url=escalation.queue_url,
        )
        await uow.publish(context.topics.routed, event, subject=waiting.lead_id)
        metrics.WAITED_TOO_LONG.inc()
    return len(due)


async def next_due(connection: AsyncConnection, limit: timedelta) -> datetime | None:
    """When the next unsaid hot wait reaches the limit (None: no hot lead waits unsaid)."""
    query = select(func.min(assignments.c.created_at)).where(*_unsaid_hot_waits())
    since = await connection.scalar(query)
    return since + limit if since else None


async def unsaid_waits(connection: AsyncConnection, began_before: datetime, limit: int) -> list[Assignment]:
    query = (
        select(assignments)
        .where(*_unsaid_hot_waits(), assignments.c.created_at <= began_before)
        .order_by(assignments.c.created_at)
        .limit(limit)
    )
    return [repository.as_assignment(row) for row in await connection.execute(query)]


async def mark_said(connection: AsyncConnection, waiting: Assignment, now: datetime) -> bool:
    statement = (
        insert(waiting_escalations)
        .values(assignment_id=waiting.id, lead_id=waiting.lead_id, at=now)
        .on_conflict_do_nothing(index_elements=["assignment_id"])
    )
    return (await connection.execute(statement)).rowcount == 1


def _unsaid_hot_waits() -> tuple[ColumnElement[bool], ...]:
    said = select(waiting_escalations.c.assignment_id).where(
        waiting_escalations.c.assignment_id == assignments.c.id
    )
    return (
        and_(
            assignments.c.status == constant(AssignmentStatus.waiting),
            assignments.c.temperature == Temperature.hot.value,
        ),
        ~said.exists(),
    )


def escalation_of(limit_seconds: float, console_url: str) -> Escalation | None:
    """The setting as an escalation; 0 turns it off. No console: no link to its queue page."""
    if limit_seconds <= 0:
        return None
    queue_url = f"{console_url.rstrip('/')}/queue" if console_url else None
    return Escalation(timedelta(seconds=limit_seconds), queue_url)
