"""Routing's HTTP endpoints for reps (assignments: api_assignments.py)."""

import dataclasses
import uuid
from typing import Annotated, cast

from fastapi import APIRouter

from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.auth import requires
from leadflow_common.errors import Forbidden
from leadflow_routing.api.schemas import Presence, RepInput, RepOut, RepUpdate, WorkingHoursInput
from leadflow_routing.app.reps import RepFields, RepRecord
from leadflow_routing.deps import RepsDep

router = APIRouter(prefix="/v1", tags=["reps"])
TeamWork = Annotated[Principal, requires(Scope.team_work)]
RoutingReader = Annotated[Principal, requires(Scope.routing_read)]


def rep_out(record: RepRecord) -> RepOut:
    return RepOut.model_validate(dataclasses.asdict(record))


def rep_values(rep: RepInput | RepUpdate | Presence, *, partial: bool) -> RepFields:
    values = rep.model_dump(exclude_unset=partial, exclude={"working_hours"})
    if not partial or "working_hours" in rep.model_fields_set:
        hours = rep.working_hours
        values["working_hours"] = hours.document() if isinstance(hours, WorkingHoursInput) else None
    return cast(RepFields, values)


@router.post(
    "/reps", status_code=201, response_model=RepOut, responses={409: {}, 422: {}}, summary="Add a sales rep"
)
async def create_rep(rep: RepInput, principal: TeamWork, reps: RepsDep) -> RepOut:
    return rep_out(await reps.create(principal, rep_values(rep, partial=False)))


@router.get(
    "/reps", response_model=list[RepOut], summary="Every rep with their open leads (a rep: themselves)"
)
async def list_reps(principal: RoutingReader, reps: RepsDep) -> list[RepOut]:
    return [rep_out(record) for record in await reps.visible_to(principal)]


@router.get("/reps/{rep_id}", response_model=RepOut, responses={404: {}}, summary="One rep")
async def get_rep(rep_id: uuid.UUID, principal: RoutingReader, reps: RepsDep) -> RepOut:
    return rep_out(await reps.one(principal, rep_id))


@router.patch(
    "/reps/{rep_id}", response_model=RepOut, responses={404: {}, 409: {}, 422: {}}, summary="Change a rep"
)
async def update_rep(rep_id: uuid.UUID, change: RepUpdate, principal: TeamWork, reps: RepsDep) -> RepOut:
    if "email" in change.model_fields_set and not principal.may(Scope.routing_admin):
        # Where the rep's offers are mailed, with their one-click links: not the team's work.
        raise Forbidden("Changing a rep's email needs routing:admin (an admin)")
    return rep_out(await reps.change(principal, rep_id, rep_values(change, partial=True)))


@router.delete(
    "/reps/{rep_id}",
    response_model=RepOut,
    responses={404: {}},
    summary="Deactivate a rep (kept for history)",
)
async def deactivate_rep(rep_id: uuid.UUID, principal: TeamWork, reps: RepsDep) -> RepOut:
    return rep_out(await reps.change(principal, rep_id, RepFields(active=False), action="rep.deactivated"))


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
    reps: RepsDep,
) -> RepOut:
    ensure_own(principal, Scope.assignments_work, rep_id)
    values = rep_values(presence, partial=True)
    return rep_out(await reps.change(principal, rep_id, values, action="rep.presence"))
