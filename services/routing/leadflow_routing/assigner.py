"""Routing decisions applied inside the caller's transaction: assignment rows, their event
trail, the rep's fairness clock and the `leads.routed` events commit together.

Lock order, everywhere: the lead (advisory lock), then its assignment row, then the capacity
lock. Code that already holds the capacity lock and reaches for a lead only tries its lock.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import (
    AssignmentEvent,
    LeadNurtured,
    LeadReassigned,
    LeadRouted,
    RepRef,
    Temperature,
    Tier,
    new_event,
)
from leadflow_common.outbox import enqueue
from leadflow_common.topics import Topics
from leadflow_routing import metrics, repository
from leadflow_routing.policy import TIERS_BY_TEMPERATURE, Decision, LeadToRoute, decide, waiting_order
from leadflow_routing.tables import OPEN_STATUSES, outbox

SOURCE = "leadflow/routing"


@dataclass(frozen=True)
class RoutingContext:
    topics: Topics
    sla: timedelta
    max_attempts: int
    now: datetime


def routing_context(runtime, settings) -> RoutingContext:
    """The context for decisions made now, from a service runtime and routing settings."""
    return RoutingContext(
        topics=runtime.topics,
        sla=timedelta(seconds=settings.sla_seconds),
        max_attempts=settings.max_attempts,
        now=datetime.now(UTC),
    )


class CapacityView:
    """The active reps and their open leads, read once under the capacity lock by a transaction
    that routes a batch of leads, and kept current by that transaction's own offers: while it
    holds the lock nobody else fills a slot. Anything else it does that frees or moves slots
    (closing, merging) must `forget()` the view."""

    def __init__(self) -> None:
        self._reps: dict[uuid.UUID, SimpleNamespace] | None = None

    async def reps(self, connection: AsyncConnection, tiers: list[Tier]) -> list[Any]:
        if self._reps is None:
            rows = await repository.lock_capacity_and_load_reps(connection, list(Tier))
            self._reps = {row.id: SimpleNamespace(**row._asdict()) for row in rows}
        wanted = {tier.value for tier in tiers}
        return [rep for rep in self._reps.values() if rep.tier in wanted]

    def offered(self, rep_id: uuid.UUID, now: datetime) -> None:
        if self._reps is not None:
            self._reps[rep_id].open_leads += 1
            self._reps[rep_id].last_assigned_at = now

    def forget(self) -> None:
        self._reps = None


class AssignmentConflict(Exception):
    """The assignment is not in a state that allows the change asked for."""


async def on_new_score(
    connection: AsyncConnection,
    lead: LeadToRoute,
    context: RoutingContext,
    *,
    capacity: CapacityView | None = None,
) -> Decision | None:
    """Route a lead whose score changed. A lead with a rep stays with that rep; a nurtured lead
    is routed again once it warms up; a waiting lead tries again with its new score."""
    current = await repository.current_assignment(connection, lead.lead_id)
    if current is not None and current.status in OPEN_STATUSES:
        return None
    if current is not None and current.status == "nurtured" and lead.temperature == Temperature.cold:
        await repository.set_assignment_status(
            connection, current.id, "nurtured", context.now, score=lead.score
        )
        return None
    return await route(connection, lead, context, current=current, capacity=capacity)


async def route(
    connection: AsyncConnection,
    lead: LeadToRoute,
    context: RoutingContext,
    *,
    current: Any | None = None,
    exclude: frozenset[uuid.UUID] = frozenset(),
    attempt: int = 1,
    previous_rep_id: uuid.UUID | None = None,
    capacity: CapacityView | None = None,
) -> Decision:
    senior_pool = attempt > context.max_attempts
    tiers = [Tier.senior] if senior_pool else TIERS_BY_TEMPERATURE[lead.temperature]
    if capacity is not None:
        candidates = await capacity.reps(connection, tiers)
    else:
        candidates = await repository.lock_capacity_and_load_reps(connection, tiers)
    decision = decide(
        lead,
        [repository.as_policy_rep(row) for row in candidates],
        now=context.now,
        exclude=exclude,
        senior_pool=senior_pool,
    )
    if current is not None and current.status == "waiting" and decision.kind == "wait":
        await repository.set_assignment_status(
            connection,
            current.id,
            "waiting",
            context.now,
            score=lead.score,
            temperature=lead.temperature.value,
            reason=decision.reason,
        )
        return decision
    if current is not None:
        await _transition(
            connection, current, "promoted", f"routed again as a {lead.temperature.value} lead", context.now
        )

    chosen_tier = next((row.tier for row in candidates if row.id == decision.rep_id), "")
    metrics.DECISIONS.labels(kind=decision.kind, tier=chosen_tier, queue=decision.queue or "").inc()
    assignment_id = uuid.uuid4()
    status = {"assign": "offered", "nurture": "nurtured", "wait": "waiting"}[decision.kind]
    deadline = context.now + context.sla if decision.kind == "assign" else None
    await repository.insert_assignment(
        connection,
        id=assignment_id,
        lead_id=lead.lead_id,
        rep_id=decision.rep_id,
        queue=decision.queue,
        status=status,
        reason=decision.reason,
        temperature=lead.temperature.value,
        score=lead.score,
        attempt=attempt,
        sla_deadline=deadline,
        created_at=context.now,
        updated_at=context.now,
    )
    await repository.record_event(
        connection,
        assignment_id=assignment_id,
        lead_id=lead.lead_id,
        rep_id=decision.rep_id,
        status=status,
        reason=decision.reason,
        at=context.now,
    )
    common = {
        "assignment_id": assignment_id,
        "lead_id": lead.lead_id,
        "temperature": lead.temperature,
        "score": lead.score,
        "reason": decision.reason,
        "attempt": attempt,
    }
    event: AssignmentEvent
    if decision.kind == "assign":
        rep = next(row for row in candidates if row.id == decision.rep_id)
        await repository.touch_rep(connection, rep.id, context.now)
        if capacity is not None:
            capacity.offered(rep.id, context.now)
        rep_ref = RepRef(id=rep.id, name=rep.name, email=rep.email, tier=Tier(rep.tier))
        if previous_rep_id is None and attempt == 1:
            event = LeadRouted(rep=rep_ref, sla_deadline=deadline, **common)
        else:
            event = LeadReassigned(
                rep=rep_ref, sla_deadline=deadline, previous_rep_id=previous_rep_id, **common
            )
    elif decision.kind == "nurture":
        event = LeadNurtured(queue=decision.queue, **common)
    else:
        return decision
    await enqueue(
        connection, outbox, context.topics.routed, new_event(event, source=SOURCE, subject=lead.lead_id)
    )
    return decision


async def _transition(
    connection: AsyncConnection, assignment: Any, status: str, reason: str, now: datetime
) -> None:
    await repository.set_assignment_status(connection, assignment.id, status, now)
    await repository.record_event(
        connection,
        assignment_id=assignment.id,
        lead_id=assignment.lead_id,
        rep_id=assignment.rep_id,
        status=status,
        reason=reason,
        at=now,
    )


async def pass_on(
    connection: AsyncConnection, assignment: Any, status: str, reason: str, context: RoutingContext
) -> Decision:
    """The rep let the lead go (rejected it, or let its SLA run out): offer it to the next
    eligible rep, never one who passed on it before, and to the senior pool after too many tries."""
    await _transition(connection, assignment, status, reason, context.now)
    lead = await repository.lead_to_route(connection, assignment.lead_id)
    passed = await repository.reps_who_passed(connection, assignment.lead_id)
    decision = await route(
        connection,
        lead,
        context,
        exclude=passed,
        attempt=assignment.attempt + 1,
        previous_rep_id=assignment.rep_id,
    )
    await drain_waiting(connection, context)
    return decision


async def reject(
    connection: AsyncConnection, assignment: Any, reason: str, context: RoutingContext
) -> Decision:
    if assignment.status not in OPEN_STATUSES:
        raise AssignmentConflict(f"only an open assignment can be rejected; this one is {assignment.status}")
    return await pass_on(connection, assignment, "rejected", f"rejected: {reason}", context)


async def accept(connection: AsyncConnection, assignment: Any, now: datetime) -> None:
    if assignment.status != "offered":
        raise AssignmentConflict(
            f"only an offered assignment can be accepted; this one is {assignment.status}"
        )
    await _transition(connection, assignment, "accepted", "accepted by the rep", now)


async def finish(
    connection: AsyncConnection, assignment: Any, status: str, reason: str, context: RoutingContext
) -> None:
    """Close an open assignment (completed, or closed by an outcome) and give its slot to the
    waiting queue."""
    if assignment.status not in OPEN_STATUSES:
        raise AssignmentConflict(f"only an open assignment can be closed; this one is {assignment.status}")
    await _transition(connection, assignment, status, reason, context.now)
    await drain_waiting(connection, context)


async def close_lead(
    connection: AsyncConnection, lead_id: uuid.UUID, reason: str, context: RoutingContext
) -> None:
    """The lead's story ended (won or lost): whatever holds it now lets go."""
    current = await repository.current_assignment(connection, lead_id)
    if current is None:
        return
    if current.status in OPEN_STATUSES:
        await finish(connection, current, "closed", reason, context)
    else:
        await _transition(connection, current, "closed", reason, context.now)


async def fold_merge(
    connection: AsyncConnection, absorbed: uuid.UUID, surviving: uuid.UUID, context: RoutingContext
) -> None:
    """The absorbed lead's assignments become the survivor's. If both are held somewhere, the
    survivor's place is kept (a rep over a queue) and the other one closed."""
    await repository.mark_lead_absorbed(connection, absorbed, surviving)
    theirs = await repository.current_assignment(connection, absorbed)
    ours = await repository.current_assignment(connection, surviving)
    if theirs is not None and ours is not None:
        keep_theirs = theirs.status in OPEN_STATUSES and ours.status not in OPEN_STATUSES
        drop = ours if keep_theirs else theirs
        reason = f"merged: lead {absorbed} folded into {surviving}"
        if drop.status in OPEN_STATUSES:
            await finish(connection, drop, "closed", reason, context)
        else:
            await _transition(connection, drop, "closed", reason, context.now)
    await repository.move_assignments(connection, absorbed, surviving)


async def drain_waiting(connection: AsyncConnection, context: RoutingContext, *, limit: int = 100) -> int:
    """Give freed capacity to waiting leads, hottest first. Returns how many were placed."""
    placed = 0
    queue = sorted(
        await repository.waiting_leads(connection),
        key=lambda row: waiting_order(Temperature(row.temperature), row.score, row.created_at),
    )
    for waiting in queue[:limit]:
        if not await repository.try_lock_lead(connection, waiting.lead_id):
            # Another transaction holds this lead (routing it, most likely). Giving the slot to
            # a colder lead instead would break hottest-first; the holder or the next sweep
            # places it.
            break
        current = await repository.get_assignment(connection, waiting.id)
        lead = await repository.lead_to_route(connection, waiting.lead_id)
        if current is None or current.status != "waiting" or lead is None:
            continue
        passed = await repository.reps_who_passed(connection, lead.lead_id)
        decision = await route(
            connection, lead, context, current=current, exclude=passed, attempt=current.attempt
        )
        placed += decision.kind == "assign"
    return placed
