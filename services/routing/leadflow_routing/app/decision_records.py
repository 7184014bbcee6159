"""A decision as routing stores it (the assignment row, the first step of its trail, its
`assignment.changed`) and as `leads.routed` announces it."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import (
    AssignmentEvent,
    AssignmentStatusName,
    LeadNurtured,
    LeadReassigned,
    LeadRouted,
    RepRef,
)
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.app.changes import Change, announce
from leadflow_routing.domain.policy import STATUS_OF_DECISION, AssignmentStatus, Decision, LeadToRoute, Rep
from leadflow_routing.store import repository
from leadflow_routing.store import reps as reps_store
from leadflow_routing.store.capacity import CapacityView

if TYPE_CHECKING:
    from leadflow_routing.app.context import RoutingContext


async def record_decision(
    uow: UnitOfWork,
    lead: LeadToRoute,
    decision: Decision,
    attempt: int,
    context: "RoutingContext",
    rep: Rep | None,
    shown_as: AssignmentStatusName | None = None,
    capacity: CapacityView | None = None,
) -> tuple[uuid.UUID, datetime | None]:
    """The decision's assignment row, the first step of its trail and its `assignment.changed`;
    its id and SLA deadline. With a batch's `capacity` view the row is written with the batch's
    others (`CapacityView.decided`), else now."""
    assignment_id = uuid.uuid4()
    status = STATUS_OF_DECISION[decision.kind]
    deadline = context.now + context.sla if decision.kind == "assign" else None
    row = _assignment_row(assignment_id, lead, decision, status, attempt, deadline, context.now)
    if capacity is not None:
        capacity.decided(row)
    else:
        await repository.insert_assignment(uow.connection, **row)
    repository.record_event(
        uow,
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
        shown_as=shown_as,
        by=context.actor if shown_as else "system",
    )
    await announce(uow, context.topics.routed, change, rep)
    return assignment_id, deadline


def _assignment_row(
    assignment_id: uuid.UUID,
    lead: LeadToRoute,
    decision: Decision,
    status: AssignmentStatus,
    attempt: int,
    deadline: datetime | None,
    now: datetime,
) -> dict[str, object]:
    return {
        "id": assignment_id,
        "lead_id": lead.lead_id,
        "rep_id": decision.rep_id,
        "queue": decision.queue,
        "status": status,
        "reason": decision.reason,
        "temperature": lead.temperature.value,
        "score": lead.score,
        "attempt": attempt,
        "sla_deadline": deadline,
        "created_at": now,
        "updated_at": now,
        "waiting_for": decision.waiting_for,
    }


def decision_event(
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


async def name_previous_rep(connection: AsyncConnection, event: LeadReassigned) -> None:
    """Who the lead moved on from, on the event itself, so that nobody asks routing for their
    address afterwards (webhooks tells them it moved)."""
    if event.previous_rep_id is None:
        return
    previous = await reps_store.get_rep(connection, event.previous_rep_id)
    if previous is not None:
        event.previous_rep = RepRef(
            id=previous.id, name=previous.name, email=previous.email, tier=previous.tier
        )
