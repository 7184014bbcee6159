"""Routing's HTTP endpoints for assignments: the decisions, and the actions reps take on them."""

import uuid

from fastapi import APIRouter, Depends, Query

from leadflow_common.deps import RuntimeDep
from leadflow_common.errors import NotFound
from leadflow_common.http import require_api_key
from leadflow_routing import repository
from leadflow_routing.deps import RoutingDep
from leadflow_routing.policy import AssignmentStatus
from leadflow_routing.schemas import AssignmentChange, AssignmentDetail, AssignmentOut, Rejection

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses={401: {}})


@router.get("/assignments", response_model=list[AssignmentOut], summary="Routing decisions, newest first")
async def list_assignments(
    runtime: RuntimeDep,
    rep_id: uuid.UUID | None = None,
    status: AssignmentStatus | None = None,
    lead_id: uuid.UUID | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[AssignmentOut]:
    async with runtime.engine.connect() as connection:
        found = await repository.find_assignments(
            connection, rep_id=rep_id, status=status, lead_id=lead_id, limit=limit
        )
    return [AssignmentOut.model_validate(assignment) for assignment in found]


@router.get("/nurture", response_model=list[AssignmentOut], summary="Cold leads in the nurture queue")
async def nurture_queue(
    runtime: RuntimeDep, limit: int = Query(default=100, ge=1, le=1000)
) -> list[AssignmentOut]:
    async with runtime.engine.connect() as connection:
        found = await repository.find_assignments(connection, status=AssignmentStatus.nurtured, limit=limit)
    return [AssignmentOut.model_validate(assignment) for assignment in found]


@router.get(
    "/assignments/{assignment_id}",
    response_model=AssignmentDetail,
    responses={404: {}},
    summary="One assignment and its lead's routing history",
)
async def get_assignment(assignment_id: uuid.UUID, runtime: RuntimeDep) -> AssignmentDetail:
    async with runtime.engine.connect() as connection:
        assignment = await repository.get_assignment(connection, assignment_id)
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
async def accept_assignment(assignment_id: uuid.UUID, routing: RoutingDep) -> AssignmentOut:
    return AssignmentOut.model_validate(await routing.accept(assignment_id))


@router.post(
    "/assignments/{assignment_id}/reject",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}, 422: {}},
    summary="The rep passes; the lead goes to the next eligible rep",
)
async def reject_assignment(
    assignment_id: uuid.UUID, rejection: Rejection, routing: RoutingDep
) -> AssignmentOut:
    return AssignmentOut.model_validate(await routing.reject(assignment_id, rejection.reason))


@router.post(
    "/assignments/{assignment_id}/complete",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}},
    summary="The rep is done with the lead",
)
async def complete_assignment(assignment_id: uuid.UUID, routing: RoutingDep) -> AssignmentOut:
    return AssignmentOut.model_validate(await routing.complete(assignment_id))
