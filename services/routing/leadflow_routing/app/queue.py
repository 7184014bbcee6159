"""Leads waiting for a rep, as admins see and work them: the queue, hottest first, each with
what it waits for; and an admin's hand placing one with a rep (`assigned`), capacity shown and
overridden only when asked."""

import uuid
from dataclasses import dataclass

from leadflow_common.access import Principal
from leadflow_common.errors import Conflict, FieldError, Invalid, NotFound
from leadflow_common.events import AssignmentStatusName, Tier
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.app.assigner import place, transition
from leadflow_routing.app.context import RoutingContext
from leadflow_routing.domain.policy import AssignmentStatus, Decision, Rep
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
    """Take a lead waiting in a queue to the rep named; the new offer's id. Audited."""
    connection = uow.connection
    await repository.lock_leads(connection, [request.lead_id])
    current = await repository.current_assignment(connection, request.lead_id)
    lead = await repository.lead_to_route(connection, request.lead_id)
    if current is None or lead is None:
        raise NotFound(f"No lead {request.lead_id} is waiting in routing")
    if current.status not in QUEUED:
        raise Conflict(
            f"This lead is {current.status} with a rep: only a lead waiting in a queue is assigned by hand"
        )
    reps = await repository.lock_capacity_and_load_reps(connection, list(Tier))
    rep = check_rep(next((rep for rep in reps if rep.id == request.rep_id), None), request)
    over = rep.open_leads >= rep.capacity
    reason = f"assigned by hand to {rep.name}" + (f": {request.reason}" if request.reason else "")
    await transition(uow, current, AssignmentStatus.promoted, reason, context)
    decision = Decision(kind="assign", rep_id=rep.id, reason=reason)
    shown = AssignmentStatusName.assigned
    assignment_id = await place(uow, lead, decision, rep, context, attempt=current.attempt, shown_as=shown)
    await uow.audit(
        principal, "lead.assigned", ("lead", request.lead_id), rep_id=str(rep.id), over_capacity=over
    )
    return assignment_id
