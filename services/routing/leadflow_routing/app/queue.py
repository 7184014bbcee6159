"""Leads waiting for a rep, as admins and managers see and work them: the queue, hottest first,
each with what it waits for; and a hand placing a lead with a rep (`assigned`), one waiting or
one another rep holds, capacity shown and overridden only when asked."""

import uuid
from dataclasses import dataclass

from leadflow_common.access import Principal
from leadflow_common.errors import Conflict, FieldError, Invalid, NotFound
from leadflow_common.events import AssignmentStatusName, Tier
from leadflow_common.routing_reasons import ASSIGNED_BY_HAND, REASSIGNED_BY_HAND, by_hand
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.app.assigner import drain_waiting, place, transition
from leadflow_routing.app.context import RoutingContext
from leadflow_routing.domain.policy import Assignment, AssignmentStatus, Decision, Rep
from leadflow_routing.store import repository

QUEUED = frozenset({AssignmentStatus.waiting, AssignmentStatus.nurtured})


@dataclass(frozen=True)
class HandAssignment:
    lead_id: uuid.UUID
    rep_id: uuid.UUID
    override_capacity: bool = False
    reason: str | None = None


class CapacityFull(Conflict):
    """The rep has no free slot and the admin did not say to assign anyway (409)."""


def check_rep(rep: Rep | None, request: HandAssignment) -> Rep:
    """Pure: the rep the lead may go to, or what the admin is answered."""
    if rep is None:
        raise Invalid.field("rep_id", "no active rep has this id")
    if rep.open_leads >= rep.capacity and not request.override_capacity:
        raise CapacityFull(
            f"{rep.name} has {rep.open_leads} of {rep.capacity} open leads: assigning this lead goes"
            " over their capacity, which needs confirming",
            fields=[
                FieldError(
                    name="override_capacity", message="the rep is at capacity: confirm to assign anyway"
                )
            ],
        )
    return rep


async def assign_by_hand(
    uow: UnitOfWork, request: HandAssignment, principal: Principal, context: RoutingContext
) -> uuid.UUID:
    """Give a lead to the rep named: one waiting in a queue, or one another rep holds (offered or
    accepted: the rep is out, or leaving; that rep is told it moved, as when an offer runs out,
    and their slot goes to the queue). The new offer's id. Audited."""
    connection = uow.connection
    await repository.lock_leads(connection, [request.lead_id])
    current = await repository.current_assignment(connection, request.lead_id)
    lead = await repository.lead_to_route(connection, request.lead_id)
    if current is None or lead is None:
        raise NotFound(f"No lead {request.lead_id} is waiting in routing or with a rep")
    check_movable(current, request)
    reps = await repository.lock_capacity_and_load_reps(connection, list(Tier))
    rep = check_rep(next((rep for rep in reps if rep.id == request.rep_id), None), request)
    over = rep.open_leads >= rep.capacity
    held_by = current.rep_id if current.status.is_open else None
    verb = REASSIGNED_BY_HAND if held_by else ASSIGNED_BY_HAND
    reason = by_hand(verb, rep.name, request.reason)
    await transition(uow, current, AssignmentStatus.promoted, reason, context)
    decision = Decision(kind="assign", rep_id=rep.id, reason=reason)
    shown = AssignmentStatusName.assigned
    assignment_id = await place(
        uow, lead, decision, rep, context, attempt=current.attempt, previous_rep_id=held_by, shown_as=shown
    )
    if held_by is not None:
        await drain_waiting(uow, context)  # the slot the lead left
    await uow.audit(
        principal,
        "lead.assigned",
        ("lead", request.lead_id),
        rep_id=str(rep.id),
        over_capacity=over,
        **({"from_rep_id": str(held_by)} if held_by else {}),
    )
    return assignment_id


def check_movable(current: Assignment, request: HandAssignment) -> None:
    """Pure: a lead waits in a queue or is with another rep; an ended one is not moved (409)."""
    if current.status not in QUEUED and not current.status.is_open:
        raise Conflict(
            f"This lead is {current.status}: only a lead waiting in a queue or with a rep is assigned by hand"
        )
    if current.status.is_open and current.rep_id == request.rep_id:
        raise Conflict(
            f"This rep already has the lead ({current.status})",
            fields=[FieldError(name="rep_id", message="choose another rep: the lead is with this one")],
        )
