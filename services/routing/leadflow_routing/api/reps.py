"""Routing's HTTP endpoints for reps (assignments: api_assignments.py)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter
from sqlalchemy import Row

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep
from leadflow_common.errors import NotFound
from leadflow_routing.api.schemas import Presence, RepInput, RepOut, RepUpdate
from leadflow_routing.deps import RoutingDep
from leadflow_routing.store import repository

router = APIRouter(prefix="/v1", tags=["reps"])
RoutingAdmin = Annotated[Principal, requires(Scope.routing_admin)]
RoutingReader = Annotated[Principal, requires(Scope.routing_read)]


def rep_out(row: Row | None, rep_id: uuid.UUID | None = None) -> RepOut:
    if row is None:
        raise NotFound(f"No rep {rep_id}")
    return RepOut.model_validate(row._asdict())


def rep_values(rep: RepInput | RepUpdate | Presence, *, partial: bool) -> dict[str, Any]:
    values = rep.model_dump(exclude_unset=partial, exclude={"working_hours"})
    if not partial or "working_hours" in rep.model_fields_set:
        values["working_hours"] = rep.working_hours.document() if rep.working_hours else None
    return values


@router.post(
    "/reps", status_code=201, response_model=RepOut, responses={409: {}, 422: {}}, summary="Add a sales rep"
)
async def create_rep(rep: RepInput, principal: RoutingAdmin, routing: RoutingDep) -> RepOut:
    values = rep_values(rep, partial=False)
    return rep_out(
        await routing.change_reps(
            principal,
            "rep.created",
            lambda connection: repository.create_rep(connection, id=uuid.uuid4(), **values),
        )
    )


@router.get(
    "/reps", response_model=list[RepOut], summary="Every rep with their open leads (a rep: themselves)"
)
async def list_reps(principal: RoutingReader, runtime: RuntimeDep) -> list[RepOut]:
    async with runtime.engine.connect() as connection:
        rows = await repository.list_reps(connection)
    if principal.limited_to_own(Scope.routing_read):
        rows = [row for row in rows if row.id == principal.rep_id]
    return [rep_out(row) for row in rows]


@router.get("/reps/{rep_id}", response_model=RepOut, responses={404: {}}, summary="One rep")
async def get_rep(rep_id: uuid.UUID, principal: RoutingReader, runtime: RuntimeDep) -> RepOut:
    ensure_own(principal, Scope.routing_read, rep_id)
    async with runtime.engine.connect() as connection:
        return rep_out(await repository.get_rep(connection, rep_id), rep_id)


@router.patch(
    "/reps/{rep_id}", response_model=RepOut, responses={404: {}, 409: {}, 422: {}}, summary="Change a rep"
)
async def update_rep(
    rep_id: uuid.UUID, change: RepUpdate, principal: RoutingAdmin, routing: RoutingDep
) -> RepOut:
    values = rep_values(change, partial=True)
    row = await routing.change_reps(
        principal, "rep.updated", lambda connection: repository.update_rep(connection, rep_id, values)
    )
    return rep_out(row, rep_id)


@router.delete(
    "/reps/{rep_id}",
    response_model=RepOut,
    responses={404: {}},
    summary="Deactivate a rep (kept for history)",
)
async def deactivate_rep(rep_id: uuid.UUID, principal: RoutingAdmin, routing: RoutingDep) -> RepOut:
    row = await routing.change_reps(
        principal,
        "rep.deactivated",
        lambda connection: repository.update_rep(connection, rep_id, {"active": False}),
    )
    return rep_out(row, rep_id)


@router.put(
    "/reps/{rep_id}/presence",
    response_model=RepOut,
    responses={404: {}, 422: {}},
    summary="A rep's own availability and working hours (an admin: anyone's)",
)
async def set_presence(
    rep_id: uuid.UUID,
    presence: Presence,
    principal: Annotated[Principal, requires(Scope.assignments_work)],
    routing: RoutingDep,
) -> RepOut:
    ensure_own(principal, Scope.assignments_work, rep_id)
    values = rep_values(presence, partial=True)
    row = await routing.change_reps(
        principal, "rep.presence", lambda connection: repository.update_rep(connection, rep_id, values)
    )
    return rep_out(row, rep_id)
