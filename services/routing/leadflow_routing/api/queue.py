"""Routing's HTTP endpoints for the waiting queue: what waits and for what, and an admin's hand."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.auth import requires
from leadflow_routing.api.schemas import AssignmentOut, HandAssignmentIn, QueueEntry
from leadflow_routing.deps import RoutingDep

router = APIRouter(prefix="/v1", tags=["queue"])


@router.get("/queue", response_model=list[QueueEntry], summary="Leads waiting for a rep, hottest first")
async def waiting_queue(
    principal: Annotated[Principal, requires(Scope.routing_read)],
    routing: RoutingDep,
    limit: int = Query(default=200, ge=1, le=1000),
) -> list[QueueEntry]:
    ensure_own(principal, Scope.routing_read, None)  # no rep's: a rep does not see the queue
    return [
        QueueEntry(
            assignment_id=row.id,
            lead_id=row.lead_id,
            temperature=row.temperature,
            score=row.score,
            since=row.created_at,
            waiting_for=row.waiting_for,
            reason=row.reason,
            attempt=row.attempt,
        )
        for row in await routing.queue(limit)
    ]


@router.post(
    "/leads/{lead_id}/assign",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}, 422: {}},
    summary="Give a lead to a rep by hand: one waiting, or one another rep holds, who is told it moved"
    " (admins, managers; over capacity only when asked)",
)
async def assign_lead(
    lead_id: uuid.UUID,
    body: HandAssignmentIn,
    principal: Annotated[Principal, requires(Scope.team_work)],
    routing: RoutingDep,
) -> AssignmentOut:
    assignment = await routing.assign(principal, lead_id, body.rep_id, body.override_capacity, body.reason)
    return AssignmentOut.model_validate(assignment)
