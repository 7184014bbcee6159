"""Routing's HTTP endpoints for assignments: the decisions, and the actions reps take on them."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_routing.api.schemas import AssignmentChange, AssignmentDetail, AssignmentOut, Rejection
from leadflow_routing.deps import AssignmentReadsDep, RoutingDep
from leadflow_routing.domain.policy import AssignmentStatus

router = APIRouter(prefix="/v1", tags=["assignments"])
RoutingReader = Annotated[Principal, requires(Scope.routing_read)]
Worker = Annotated[Principal, requires(Scope.assignments_work)]


@router.get("/assignments", response_model=list[AssignmentOut], summary="Routing decisions, newest first")
async def list_assignments(
    principal: RoutingReader,
    reads: AssignmentReadsDep,
    rep_id: uuid.UUID | None = None,
    status: AssignmentStatus | None = None,
    lead_id: uuid.UUID | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[AssignmentOut]:
    found = await reads.listed(principal, rep_id=rep_id, status=status, lead_id=lead_id, limit=limit)
    return [AssignmentOut.model_validate(assignment) for assignment in found]


@router.get("/nurture", response_model=list[AssignmentOut], summary="Cold leads in the nurture queue")
async def nurture_queue(
    principal: RoutingReader, reads: AssignmentReadsDep, limit: int = Query(default=100, ge=1, le=1000)
) -> list[AssignmentOut]:
    found = await reads.nurtured(principal, limit)
    return [AssignmentOut.model_validate(assignment) for assignment in found]


@router.get(
    "/assignments/{assignment_id}",
    response_model=AssignmentDetail,
    responses={404: {}},
    summary="One assignment and its lead's routing history",
)
async def get_assignment(
    assignment_id: uuid.UUID, principal: RoutingReader, reads: AssignmentReadsDep
) -> AssignmentDetail:
    assignment, history = await reads.with_history(principal, assignment_id)
    return AssignmentDetail(
        assignment=AssignmentOut.model_validate(assignment),
        history=[AssignmentChange.model_validate(step) for step in history],
    )


@router.post(
    "/assignments/{assignment_id}/accept",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}},
    summary="The rep takes the lead",
)
async def accept_assignment(
    assignment_id: uuid.UUID, principal: Worker, routing: RoutingDep
) -> AssignmentOut:
    return AssignmentOut.model_validate(await routing.accept(principal, assignment_id))


@router.post(
    "/assignments/{assignment_id}/reject",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}, 422: {}},
    summary="The rep passes (an offer, or a lead accepted before); the lead goes to the next eligible rep",
)
async def reject_assignment(
    assignment_id: uuid.UUID, rejection: Rejection, principal: Worker, routing: RoutingDep
) -> AssignmentOut:
    rejected = await routing.reject(
        principal, assignment_id, rejection.reason, expected=rejection.expected_status
    )
    return AssignmentOut.model_validate(rejected)


@router.post(
    "/assignments/{assignment_id}/complete",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}},
    summary="The rep is done with the lead",
)
async def complete_assignment(
    assignment_id: uuid.UUID, principal: Worker, routing: RoutingDep
) -> AssignmentOut:
    return AssignmentOut.model_validate(await routing.complete(principal, assignment_id))
