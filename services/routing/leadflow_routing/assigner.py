"""Routing decisions applied in a unit of work: assignment rows, their event trail, the rep's
fairness clock and the `leads.routed` events commit together.

Lock order, everywhere: the lead (advisory lock), then its assignment row, then the capacity
lock. Code that already holds the capacity lock and reaches for a lead only tries its lock.
"""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import (
    AssignmentEvent,
    LeadNurtured,
    LeadReassigned,
    LeadRouted,
    RepRef,
    Temperature,
    Tier,
)
from leadflow_common.topics import Topics
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing import cards, metrics, repository
from leadflow_routing.changes import Actor, Change, announce
from leadflow_routing.policy import (
    STATUS_OF_DECISION,
    TIERS_BY_TEMPERATURE,
    Assignment,
    AssignmentStatus,
    Decision,
    LeadToRoute,
    Rep,
    check_transition,
    decide,
    waiting_order,
)


@dataclass(frozen=True)
class RoutingContext:
    topics: Topics
    sla: timedelta
    max_attempts: int
    now: datetime
    lead_url_base: str = ""
    actor: Actor = "system"  # who makes the change asked for (what follows from it: the system)


def routing_context(runtime, settings) -> RoutingContext:
    """The context for decisions made now, from a service runtime and routing settings."""
    return RoutingContext(
        topics=runtime.topics,
        sla=timedelta(seconds=settings.sla_seconds),
        max_attempts=settings.max_attempts,
        now=datetime.now(UTC),
        lead_url_base=settings.lead_url_base,
    )


async def transition(
    uow: UnitOfWork, assignment: Assignment, status: AssignmentStatus, reason: str, context: RoutingContext
) -> None:
    """Move the assignment to `status` (409 if the policy does not allow it), record it on its
    trail and publish it (`assignment.changed`), as done by `context.actor`."""
    check_transition(assignment.status, status)
    await repository.set_assignment_status(uow.connection, assignment.id, status, context.now)
    await repository.record_event(
        uow.connection,
        assignment_id=assignment.id,
        lead_id=assignment.lead_id,
        rep_id=assignment.rep_id,
        status=status,
        reason=reason,
        at=context.now,
    )
    change = Change.of(assignment, status, reason, context.now, context.actor)
    await announce(uow, context.topics.routed, change)


class CapacityView:
    """The active reps and their open leads, read once under the capacity lock by a unit of work
    that routes a batch of leads, and kept current by its own offers: while it holds the lock
    nobody else fills a slot. The reps' fairness clocks are written once for the batch
    (`flush`, before the unit of work commits). Anything else it does that frees or moves slots
    (closing, merging) must `forget()` the view."""

    def __init__(self) -> None:
        self._reps: dict[uuid.UUID, Rep] | None = None
        self._touched: dict[uuid.UUID, datetime] = {}

    async def reps(self, connection: AsyncConnection, tiers: list[Tier]) -> list[Rep]:
        if self._reps is None:
            loaded = await repository.lock_capacity_and_load_reps(connection, list(Tier))
            self._reps = {rep.id: rep for rep in loaded}
        return [rep for rep in self._reps.values() if rep.tier in tiers]

    def offered(self, rep_id: uuid.UUID, now: datetime) -> None:
        self._touched[rep_id] = now
        if self._reps is not None:
            rep = self._reps[rep_id]
            self._reps[rep_id] = dataclasses.replace(rep, open_leads=rep.open_leads + 1, last_assigned_at=now)

    async def flush(self, connection: AsyncConnection) -> None:
        await repository.touch_reps(connection, self._touched)
        self._touched = {}

    async def forget(self, connection: AsyncConnection) -> None:
        await self.flush(connection)  # whoever reads the reps next sees the clocks
        self._reps = None


async def on_new_score(
    uow: UnitOfWork,
    lead: LeadToRoute,
    context: RoutingContext,
    *,
    capacity: CapacityView | None = None,
    known: dict[uuid.UUID, Assignment | None] | None = None,
) -> Decision | None:
    """Route a lead whose score changed. A lead with a rep stays with that rep; a nurtured lead
    is routed again once it warms up; a waiting lead tries again with its new score. `known`:
    current assignments a batch read up front, each used once (then it may have changed)."""
    if known is not None and lead.lead_id in known:
        current = known.pop(lead.lead_id)
    else:
        current = await repository.current_assignment(uow.connection, lead.lead_id)
    if current is not None and current.status.is_open:
        return None
    still_cold = lead.temperature == Temperature.cold
    if current is not None and current.status == AssignmentStatus.nurtured and still_cold:
        await repository.set_assignment_status(
            uow.connection, current.id, AssignmentStatus.nurtured, context.now, score=lead.score
        )
        return None
    return await route(uow, lead, context, current=current, capacity=capacity)


async def route(
    uow: UnitOfWork,
    lead: LeadToRoute,
    context: RoutingContext,
    *,
    current: Assignment | None = None,
    exclude: frozenset[uuid.UUID] = frozenset(),
    attempt: int = 1,
    previous_rep_id: uuid.UUID | None = None,
    capacity: CapacityView | None = None,
) -> Decision:
    """Decide where the lead goes now, record it, and publish it (a lead that still waits is
    only updated in its place)."""
    senior_pool = attempt > context.max_attempts
    tiers = [Tier.senior] if senior_pool else TIERS_BY_TEMPERATURE[lead.temperature]
    if capacity is not None:
        candidates = await capacity.reps(uow.connection, tiers)
    else:
        candidates = await repository.lock_capacity_and_load_reps(uow.connection, tiers)
    decision = decide(lead, candidates, now=context.now, exclude=exclude, senior_pool=senior_pool)
    if current is not None and current.status == AssignmentStatus.waiting and decision.kind == "wait":
        await _still_waiting(uow, current, lead, decision, context)
        return decision
    if current is not None:
        reason = f"routed again as a {lead.temperature.value} lead"
        await transition(uow, current, AssignmentStatus.promoted, reason, context)
    rep = next((rep for rep in candidates if rep.id == decision.rep_id), None)
    metrics.DECISIONS.labels(
        kind=decision.kind, tier=rep.tier.value if rep else "", queue=decision.queue or ""
    ).inc()
    assignment_id, deadline = await _record(uow, lead, decision, attempt, context, rep)
    if rep is not None:
        if capacity is not None:
            capacity.offered(rep.id, context.now)
        else:
            await repository.touch_reps(uow.connection, {rep.id: context.now})
    event = _event(assignment_id, lead, decision, rep, attempt, previous_rep_id, deadline)
    if event is not None:
        event.lead = await cards.contact_card(uow.connection, lead.lead_id, context.lead_url_base)
        if event.lead is None:
            metrics.CARDLESS_DECISIONS.inc()
        await uow.publish(context.topics.routed, event, subject=lead.lead_id)
    return decision


async def _still_waiting(
    uow: UnitOfWork, current: Assignment, lead: LeadToRoute, decision: Decision, context: RoutingContext
) -> None:
    """A waiting lead that still finds no rep keeps its place with its new score; what it waits
    for, when that changed, is a change subscribers hear of."""
    await repository.set_assignment_status(
        uow.connection,
        current.id,
        AssignmentStatus.waiting,
        context.now,
        score=lead.score,
        temperature=lead.temperature.value,
        reason=decision.reason,
    )
    if decision.reason != current.reason:
        change = Change.of(current, AssignmentStatus.waiting, decision.reason, context.now, "system")
        change = dataclasses.replace(change, waiting_for=decision.waiting_for, temperature=lead.temperature)
        await announce(uow, context.topics.routed, change)


async def _record(
    uow: UnitOfWork,
    lead: LeadToRoute,
    decision: Decision,
    attempt: int,
    context: RoutingContext,
    rep: Rep | None,
) -> tuple[uuid.UUID, datetime | None]:
    """The decision's assignment row, the first step of its trail and its `assignment.changed`;
    its id and SLA deadline."""
    assignment_id = uuid.uuid4()
    status = STATUS_OF_DECISION[decision.kind]
    deadline = context.now + context.sla if decision.kind == "assign" else None
    await repository.insert_assignment(
        uow.connection,
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
        uow.connection,
        assignment_id=assignment_id,
        lead_id=lead.lead_id,
        rep_id=decision.rep_id,
        status=status,
        reason=decision.reason,
        at=context.now,
    )
    change = Change(
        assignment_id=assignment_id,
        lead_id=lead.lead_id,
        status=status,
        previous=None,
        rep_id=decision.rep_id,
        queue=decision.queue,
        reason=decision.reason,
        temperature=lead.temperature,
        attempt=attempt,
        at=context.now,
        sla_deadline=deadline,
        waiting_for=decision.waiting_for,
    )
    await announce(uow, context.topics.routed, change, rep)
    return assignment_id, deadline


def _event(
    assignment_id: uuid.UUID,
    lead: LeadToRoute,
    decision: Decision,
    rep: Rep | None,
    attempt: int,
    previous_rep_id: uuid.UUID | None,
    deadline: datetime | None,
) -> AssignmentEvent | None:
    """What `leads.routed` says of the decision; a lead that waits for capacity says nothing."""
    common = {
        "assignment_id": assignment_id,
        "lead_id": lead.lead_id,
        "temperature": lead.temperature,
        "score": lead.score,
        "reason": decision.reason,
        "attempt": attempt,
    }
    if decision.kind == "nurture":
        return LeadNurtured(queue=decision.queue, **common)
    if decision.kind != "assign" or rep is None:
        return None
    rep_ref = RepRef(id=rep.id, name=rep.name, email=rep.email, tier=rep.tier)
    if previous_rep_id is None and attempt == 1:
        return LeadRouted(rep=rep_ref, sla_deadline=deadline, **common)
    return LeadReassigned(rep=rep_ref, sla_deadline=deadline, previous_rep_id=previous_rep_id, **common)


async def pass_on(
    uow: UnitOfWork, assignment: Assignment, status: AssignmentStatus, reason: str, context: RoutingContext
) -> Decision:
    """The rep let the lead go (rejected it, or let its SLA run out): offer it to the next
    eligible rep, never one who passed on it before, and to the senior pool after too many tries."""
    await transition(uow, assignment, status, reason, context)
    context = dataclasses.replace(context, actor="system")  # where it goes next is routing's doing
    lead = await repository.lead_to_route(uow.connection, assignment.lead_id)
    passed = await repository.reps_who_passed(uow.connection, assignment.lead_id)
    decision = await route(
        uow,
        lead,
        context,
        exclude=passed,
        attempt=assignment.attempt + 1,
        previous_rep_id=assignment.rep_id,
    )
    await drain_waiting(uow, context)
    return decision


async def drain_waiting(uow: UnitOfWork, context: RoutingContext, *, limit: int = 100) -> int:
    """Give freed capacity to waiting leads, hottest first. Returns how many were placed."""
    placed = 0
    queue = sorted(
        await repository.waiting_leads(uow.connection),
        key=lambda row: waiting_order(Temperature(row.temperature), row.score, row.created_at),
    )
    for waiting in queue[:limit]:
        if not await repository.try_lock_lead(uow.connection, waiting.lead_id):
            # Another transaction holds this lead (routing it, most likely). Giving the slot to
            # a colder lead instead would break hottest-first; the holder or the next sweep
            # places it.
            break
        current = await repository.get_assignment(uow.connection, waiting.id)
        lead = await repository.lead_to_route(uow.connection, waiting.lead_id)
        if current is None or current.status != AssignmentStatus.waiting or lead is None:
            continue
        passed = await repository.reps_who_passed(uow.connection, lead.lead_id)
        decision = await route(uow, lead, context, current=current, exclude=passed, attempt=current.attempt)
        placed += decision.kind == "assign"
    return placed
