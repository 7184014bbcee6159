"""Routing's HTTP endpoints for B2B accounts: who owns an account (account_routing.py)."""

import dataclasses
import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep
from leadflow_common.events import RepRef
from leadflow_common.inputs import InputModel
from leadflow_routing.app import account_routing
from leadflow_routing.app.services import actor_of
from leadflow_routing.deps import RoutingDep

router = APIRouter(prefix="/v1", tags=["accounts"])


class OwnerInput(InputModel):
    rep_id: uuid.UUID | None  # None: nobody (the rep of its next accepted lead becomes it)


class OwnerOut(BaseModel):
    account_id: uuid.UUID
    owner: RepRef | None


@router.put(
    "/accounts/{account_id}/owner",
    response_model=OwnerOut,
    responses={404: {}, 422: {}},
    summary="Name a B2B account's owner rep (admins): its new leads are offered to them first",
)
async def set_owner(
    account_id: uuid.UUID,
    body: OwnerInput,
    principal: Annotated[Principal, requires(Scope.routing_admin)],
    routing: RoutingDep,
    runtime: RuntimeDep,
) -> OwnerOut:
    context = dataclasses.replace(routing.context(), actor=actor_of(principal))
    async with runtime.unit_of_work() as uow:
        owner = await account_routing.set_owner(uow, principal, account_id, body.rep_id, context)
    return OwnerOut(account_id=account_id, owner=owner)


@router.get(
    "/accounts/{account_id}/owner",
    response_model=OwnerOut,
    summary="A B2B account's owner rep, admins (None: nobody yet; capture's account answers it to readers)",
)
async def get_owner(
    account_id: uuid.UUID,
    principal: Annotated[Principal, requires(Scope.routing_admin)],
    runtime: RuntimeDep,
) -> OwnerOut:
    async with runtime.engine.connect() as connection:
        owner = await account_routing.owner_of(connection, account_id)
    return OwnerOut(account_id=account_id, owner=owner)
