"""Routing's HTTP endpoints for assignments: the decisions, and the actions reps take on them."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep
from leadflow_common.errors import NotFound
from leadflow_routing.api.schemas import AssignmentChange, AssignmentDetail, AssignmentOut, Rejection
from leadflow_routing.deps import RoutingDep
from leadflow_routing.domain.policy import AssignmentStatus
from leadflow_routing.store import repository

router = APIRouter(prefix="/v1", tags=["assignments"])
RoutingReader = Annotated[Principal, requires(Scope.routing_read)]
Worker = Annotated[Principal, requires(Scope.assignments_work)]


@router.get("/assignments", response_model=list[AssignmentOut], summary="Routing decisions, newest first")
async def list_assignments(
    principal: RoutingReader,
    runtime: RuntimeDep,
    rep_id: uuid.UUID | None = None,
    status: AssignmentStatus | None = None,
    lead_id: uuid.UUID | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[AssignmentOut]:
    if principal.limited_to_own(Scope.routing_read):
        ensure_own(principal, Scope.routing_read, rep_id or principal.rep_id)
        rep_id = principal.rep_id  # a rep's list is their own
    async with runtime.engine.connect() as connection:
        found = await repository.find_assignments(
            connection, rep_id=rep_id, status=status, lead_id=lead_id, limit=limit
        )
    return [AssignmentOut.model_validate(assignment) for assignment in found]


@router.get("/nurture", response_model=list[AssignmentOut], summary="Cold leads in the nurture queue")
async def nurture_queue(
    principal: RoutingReader, runtime: RuntimeDep, limit: int = Query(default=100, ge=1, le=1000)
) -> list[AssignmentOut]:
    ensure_own(principal, Scope.routing_read, None)  # no rep's: a rep does not see the queue
    async with runtime.engine.connect() as connection:
        found = await repository.find_assignments(connection, status=AssignmentStatus.nurtured, limit=limit)
    return [AssignmentOut.model_validate(assignment) for assignment in found]


@router.get(
    "/assignments/{assignment_id}",
    response_model=AssignmentDetail,
    responses={404: {}},
    summary="One assignment and its lead's routing history",
)
async def get_assignment(
    assignment_id: uuid.UUID, principal: RoutingReader, runtime: RuntimeDep
) -> AssignmentDetail:
    async with runtime.engine.connect() as connection:
        assignment = await repository.get_assignment(connection, assignment_id)
        ensure_own(principal, Scope.routing_read, assignment.rep_id if assignment else None)
        if assignment is None:
            raise NotFound(f"No assignment {assignment_id}")
        history = await repository.history_of_lead(connection, assignment.lead_id)
    return AssignmentDetail(
        assignment=AssignmentOut.model_validate(assignment),
        history=[AssignmentChange.model_validate(event._asdict()) for event in history],
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
    summary="The rep passes; the lead goes to the next eligible rep",
)
async def reject_assignment(
    assignment_id: uuid.UUID, rejection: Rejection, principal: Worker, routing: RoutingDep
) -> AssignmentOut:
    return AssignmentOut.model_validate(await routing.reject(principal, assignment_id, rejection.reason))


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
