"""Routing's HTTP endpoints for reps (assignments: api_assignments.py)."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import Row

from leadflow_common.deps import RuntimeDep
from leadflow_common.errors import NotFound
from leadflow_common.http import require_api_key
from leadflow_routing import repository
from leadflow_routing.deps import RoutingDep
from leadflow_routing.schemas import RepInput, RepOut, RepUpdate

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses={401: {}})


def rep_out(row: Row | None, rep_id: uuid.UUID | None = None) -> RepOut:
    if row is None:
        raise NotFound(f"No rep {rep_id}")
    return RepOut.model_validate(row._asdict())


def rep_values(rep: RepInput | RepUpdate, *, partial: bool) -> dict[str, Any]:
    values = rep.model_dump(exclude_unset=partial, exclude={"working_hours"})
    if not partial or "working_hours" in rep.model_fields_set:
        values["working_hours"] = rep.working_hours.document() if rep.working_hours else None
    return values


@router.post(
    "/reps", status_code=201, response_model=RepOut, responses={409: {}, 422: {}}, summary="Add a sales rep"
)
async def create_rep(rep: RepInput, routing: RoutingDep) -> RepOut:
    values = rep_values(rep, partial=False)
    return rep_out(
        await routing.change_reps(
            lambda connection: repository.create_rep(connection, id=uuid.uuid4(), **values)
        )
    )


@router.get("/reps", response_model=list[RepOut], summary="Every rep with their open leads")
async def list_reps(runtime: RuntimeDep) -> list[RepOut]:
    async with runtime.engine.connect() as connection:
        return [rep_out(row) for row in await repository.list_reps(connection)]


@router.get("/reps/{rep_id}", response_model=RepOut, responses={404: {}}, summary="One rep")
async def get_rep(rep_id: uuid.UUID, runtime: RuntimeDep) -> RepOut:
    async with runtime.engine.connect() as connection:
        return rep_out(await repository.get_rep(connection, rep_id), rep_id)


@router.patch(
    "/reps/{rep_id}", response_model=RepOut, responses={404: {}, 409: {}, 422: {}}, summary="Change a rep"
)
async def update_rep(rep_id: uuid.UUID, change: RepUpdate, routing: RoutingDep) -> RepOut:
    values = rep_values(change, partial=True)
    row = await routing.change_reps(lambda connection: repository.update_rep(connection, rep_id, values))
    return rep_out(row, rep_id)


@router.delete(
    "/reps/{rep_id}",
    response_model=RepOut,
    responses={404: {}},
    summary="Deactivate a rep (kept for history)",
)
async def deactivate_rep(rep_id: uuid.UUID, routing: RoutingDep) -> RepOut:
    row = await routing.change_reps(
        lambda connection: repository.update_rep(connection, rep_id, {"active": False})
    )
    return rep_out(row, rep_id)
