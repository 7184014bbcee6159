"""Routing decisions applied in a unit of work: assignment rows, their event trail, the rep's
fairness clock and the `leads.routed` events commit together.

Lock order, everywhere: the lead (advisory lock), then its assignment row, then the capacity
lock. Code that already holds the capacity lock and reaches for a lead only tries its lock.
"""

import dataclasses
import uuid

from leadflow_common.events import AssignmentStatusName, LeadReassigned, Temperature, Tier
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing import metrics
from leadflow_routing.app import account_routing
from leadflow_routing.app.changes import Change, announce
from leadflow_routing.app.context import RoutingContext as RoutingContext
from leadflow_routing.app.decision_records import decision_event, name_previous_rep, record_decision
from leadflow_routing.domain.policy import (
    NEXT_TIER,
    PASSED_STATUSES,
    TIERS_BY_TEMPERATURE,
    Assignment,
    AssignmentStatus,
    Decision,
    LeadToRoute,
    Relaxation,
    Rep,
    check_transition,
    decide,
    outgrows,
    relaxation_after,
    turned_hotter,
    waiting_order,
)
from leadflow_routing.store import cards, ended, repository
from leadflow_routing.store import waiting as waiting_store
from leadflow_routing.store.capacity import CapacityView


async def transition(
    uow: UnitOfWork, assignment: Assignment, status: AssignmentStatus, reason: str, context: RoutingContext
) -> None:
    """Move the assignment to `status` (409 if the policy does not allow it), record it on its
    trail and publish it (`assignment.changed`), as done by `context.actor`."""
    check_transition(assignment.status, status)
    await repository.set_assignment_status(uow.connection, assignment.id, status, context.now)
    repository.record_event(
        uow,
        assignment_id=assignment.id,
        lead_id=assignment.lead_id,
        rep_id=assignment.rep_id,
        status=status,
        reason=reason,
        at=context.now,
    )
    change = Change.of(assignment, status, reason, context.now, context.actor)
    await announce(uow, context.topics.routed, change)


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
        if capacity is not None:
            await capacity.write_decisions(uow.connection)  # the batch's own, read back
        current = await repository.current_assignment(uow.connection, lead.lead_id)
    if current is not None and current.status.is_open:
        return await _promote_if_outgrown(uow, current, lead, context, capacity)
    still_cold = lead.temperature == Temperature.cold
    if current is not None and current.status == AssignmentStatus.nurtured and still_cold:
        await repository.set_assignment_status(
            uow.connection, current.id, AssignmentStatus.nurtured, context.now, score=lead.score
        )
        return None
    # Kept from reps who let it go or had it taken; one with no place is routed as new (no statement).
    passed = await repository.reps_who_passed(uow.connection, lead.lead_id) if current else frozenset()
    return await route(uow, lead, context, current=current, exclude=passed, capacity=capacity)


async def _promote_if_outgrown(
    uow: UnitOfWork,
    offer: Assignment,
    lead: LeadToRoute,
    context: RoutingContext,
    capacity: CapacityView | None,
) -> Decision | None:
    """A warm offer whose lead turned hot before it was accepted goes to a senior rep, when one
    can take it now (else it stays where it is worked soonest); its rep is told it moved (the
    new offer is a `lead.reassigned` naming them)."""
    if not turned_hotter(offer, lead):
        return None  # the usual case, decided without a statement
    reps = await (capacity or CapacityView()).reps(uow.connection, list(Tier))
    holder = next((rep for rep in reps if rep.id == offer.rep_id), None)
    if not outgrows(holder.tier if holder else None, lead):
        return None
    tiers = TIERS_BY_TEMPERATURE[lead.temperature]
    candidates = [rep for rep in reps if rep.tier in tiers]
    passed = await repository.reps_who_passed(uow.connection, lead.lead_id)
    exclude = passed | {offer.rep_id} if offer.rep_id else passed
    if decide(lead, candidates, now=context.now, exclude=exclude).kind != "assign":
        return None
    reason = f"turned {lead.temperature.value} before it was accepted: to a {' or '.join(tiers)} rep"
    await transition(uow, offer, AssignmentStatus.promoted, reason, context)
    if capacity is not None:
        await capacity.forget(uow.connection)  # the holder's slot is free again
    decision = await route(
        uow,
        lead,
        context,
        exclude=exclude,
        attempt=offer.attempt,
        previous_rep_id=offer.rep_id,
        capacity=capacity,
    )
    if capacity is not None:
        await capacity.forget(uow.connection)  # the queue and the counts it reads see the batch's
    await drain_waiting(uow, context)  # the slot it left
    return decision


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
    relaxed: Relaxation = Relaxation(),
) -> Decision:
    """Decide where the lead goes now, record it, and publish it (a lead that still waits is
    only updated in its place)."""
    senior_pool = attempt > context.max_attempts
    tiers = [Tier.senior] if senior_pool else TIERS_BY_TEMPERATURE[lead.temperature]
    if relaxed.next_tier:
        tiers = [*tiers, *NEXT_TIER[lead.temperature]]
    decision, candidates = await account_routing.decide_with_owner(  # the owner first
        uow.connection,
        lead,
        context,
        tiers,
        capacity,
        exclude=exclude,
        senior_pool=senior_pool,
        relaxed=relaxed,
    )
    if current is not None and current.status == AssignmentStatus.waiting and decision.kind == "wait":
        await _still_waiting(uow, current, lead, decision, context)
        return decision
    if current is not None:
        reason = f"routed again as a {lead.temperature.value} lead"
        await transition(uow, current, AssignmentStatus.promoted, reason, context)
    rep = next((rep for rep in candidates if rep.id == decision.rep_id), None)
    await place(
        uow, lead, decision, rep, context, attempt=attempt, previous_rep_id=previous_rep_id, capacity=capacity
    )
    return decision


async def place(
    uow: UnitOfWork,
    lead: LeadToRoute,
    decision: Decision,
    rep: Rep | None,
    context: RoutingContext,
    *,
    attempt: int,
    previous_rep_id: uuid.UUID | None = None,
    capacity: CapacityView | None = None,
    shown_as: AssignmentStatusName | None = None,
) -> uuid.UUID:
    """Record a decision made (by the policy, or by an admin's hand) and publish it with the card;
    the new assignment's id."""
    metrics.DECISIONS.labels(
        kind=decision.kind, tier=rep.tier.value if rep else "", queue=decision.queue or ""
    ).inc()
    assignment_id, deadline = await record_decision(
        uow, lead, decision, attempt, context, rep, shown_as, capacity
    )
    if rep is not None:
        if capacity is not None:
            capacity.offered(rep.id, context.now)
        else:
            await repository.touch_reps(uow.connection, {rep.id: context.now})
    event = decision_event(assignment_id, lead, decision, rep, attempt, previous_rep_id, deadline)
    if isinstance(event, LeadReassigned):
        await name_previous_rep(uow.connection, event)
    if event is not None:
        await account_routing.name_account(uow.connection, event, lead, decision, capacity)
        event.lead = context.cards.get(lead.lead_id) or await cards.contact_card(
            uow.connection, lead.lead_id, context.lead_url_base
        )
        if event.lead is None:
            metrics.CARDLESS_DECISIONS.inc()
        await uow.publish(context.topics.routed, event, subject=lead.lead_id)
    return assignment_id


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
        waiting_for=decision.waiting_for,
    )
    if decision.reason != current.reason:
        change = Change.of(current, AssignmentStatus.waiting, decision.reason, context.now, "system")
        change = dataclasses.replace(change, waiting_for=decision.waiting_for, temperature=lead.temperature)
        await announce(uow, context.topics.routed, change)


async def pass_on(
    uow: UnitOfWork, assignment: Assignment, status: AssignmentStatus, reason: str, context: RoutingContext
) -> Decision | None:
    """The rep let the lead go (rejected it, or let its SLA run out): offer it to the next
    eligible rep, never one who passed on it before, and to the senior pool after too many tries;
    a lead whose story ended (won, lost, erased) goes to nobody (None)."""
    await transition(uow, assignment, status, reason, context)
    context = dataclasses.replace(context, actor="system")  # where it goes next is routing's doing
    lead = await repository.lead_to_route(uow.connection, assignment.lead_id)
    if lead is None or await ended.has_ended(uow.connection, assignment.lead_id):
        await drain_waiting(uow, context)
        return None
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


REJECTED_ONLY = frozenset({AssignmentStatus.rejected})


async def drain_waiting(uow: UnitOfWork, context: RoutingContext, *, limit: int = 100) -> int:
    """Give freed capacity to waiting leads, hottest first. Returns how many were placed.

    The whole queue is served against one reading of the reps (one `CapacityView`): a slot
    another unit of work frees meanwhile is never seen by a colder lead after a hotter one was
    told to wait. That unit drains after it, or the next sweep does."""
    placed = 0
    capacity = CapacityView()
    queue = sorted(
        await waiting_store.waiting_leads(uow.connection),
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
        relaxed = relaxation_after(
            context.now - current.created_at, context.relax_after.get(lead.temperature)
        )
        # Relaxed, a rep who let it run out may have it again; not one who rejected it or had it taken.
        statuses = REJECTED_ONLY if relaxed.next_tier else PASSED_STATUSES
        passed = await repository.reps_who_passed(uow.connection, lead.lead_id, statuses)
        decision = await route(
            uow,
            lead,
            context,
            current=current,
            exclude=passed,
            attempt=current.attempt,
            relaxed=relaxed,
            capacity=capacity,
        )
        placed += decision.kind == "assign"
    await capacity.flush(uow.connection)
    return placed
