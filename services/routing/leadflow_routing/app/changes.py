"""Every change of an assignment as an `assignment.changed` event on `leads.routed`, published by
the unit of work that makes the change: subscribers (the console, webhooks, sales tools) learn a
lead's whole life with routing from the topic, in order, since the events share the lead's key."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from leadflow_common.events import AssignmentChanged, AssignmentStatusName, RepRef, Temperature
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_routing.domain.policy import Assignment, AssignmentStatus, Rep
from leadflow_routing.store import reps as reps_store

Actor = Literal["rep", "admin", "system"]
_S, _P = AssignmentStatus, AssignmentStatusName
# Routing keeps "reassigned" for an offer whose SLA ran out and "nurtured" for a cold lead's
# place in the nurture queue; subscribers see the contract's names.
PUBLIC_STATUS: dict[AssignmentStatus, AssignmentStatusName] = {
    _S.offered: _P.offered,
    _S.accepted: _P.accepted,
    _S.rejected: _P.rejected,
    _S.reassigned: _P.expired,
    _S.waiting: _P.waiting,
    _S.nurtured: _P.waiting,
    _S.promoted: _P.promoted,
    _S.completed: _P.completed,
    _S.closed: _P.closed,
}


@dataclass(frozen=True)
class Change:
    """One step of an assignment's life, as routing knows it."""

    assignment_id: uuid.UUID
    lead_id: uuid.UUID
    status: AssignmentStatus
    previous: AssignmentStatus | None
    rep_id: uuid.UUID | None
    queue: str | None
    reason: str
    temperature: Temperature
    attempt: int
    at: datetime
    sla_deadline: datetime | None = None
    waiting_for: str | None = None
    by: Actor = "system"
    shown_as: AssignmentStatusName | None = None  # a new offer made by hand is `assigned`

    @classmethod
    def of(
        cls, assignment: Assignment, status: AssignmentStatus, reason: str, at: datetime, by: Actor
    ) -> "Change":
        """An existing assignment moving to `status`."""
        return cls(
            assignment_id=assignment.id,
            lead_id=assignment.lead_id,
            status=status,
            previous=assignment.status,
            rep_id=assignment.rep_id,
            queue=assignment.queue,
            reason=reason,
            temperature=assignment.temperature,
            attempt=assignment.attempt,
            at=at,
            by=by,  # no deadline: only a new offer has one, and any change of it ends it
        )


def as_event(change: Change, rep: RepRef | None) -> AssignmentChanged:
    """Pure: what subscribers are told of the change."""
    return AssignmentChanged(
        assignment_id=change.assignment_id,
        lead_id=change.lead_id,
        status=change.shown_as or PUBLIC_STATUS[change.status],
        previous_status=PUBLIC_STATUS[change.previous] if change.previous is not None else None,
        rep=rep,
        queue=change.queue,
        reason=change.reason,
        waiting_for=change.waiting_for,
        by=change.by,
        at=change.at,
        sla_deadline=change.sla_deadline,
        temperature=change.temperature,
        attempt=change.attempt,
    )


def rep_ref(rep: Rep) -> RepRef:
    return RepRef(id=rep.id, name=rep.name, email=rep.email, tier=rep.tier)


async def announce(uow: UnitOfWork, topic: str, change: Change, rep: Rep | None = None) -> None:
    """Publish the change with the unit of work that makes it (a rep not at hand is read)."""
    ref = rep_ref(rep) if rep is not None else None
    if ref is None and change.rep_id is not None:
        row = await reps_store.get_rep(uow.connection, change.rep_id)
        ref = RepRef(id=row.id, name=row.name, email=row.email, tier=row.tier) if row else None
    await uow.publish(topic, as_event(change, ref), subject=change.lead_id)
