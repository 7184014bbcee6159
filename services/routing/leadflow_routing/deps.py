"""Routing's FastAPI dependencies (see leadflow_common.deps), over what main.py's lifespan puts on
`app.state`, typed: providers are the only readers of the state."""

from typing import Annotated, Protocol, cast

from fastapi import Depends, Request

from leadflow_routing.app.assignment_reads import AssignmentReads
from leadflow_routing.app.offers import Offers
from leadflow_routing.app.reps import Reps
from leadflow_routing.app.services import RoutingService


class RoutingAppState(Protocol):
    routing: RoutingService
    offers: Offers
    reps: Reps
    assignment_reads: AssignmentReads


def state_of(request: Request) -> RoutingAppState:
    return cast(RoutingAppState, request.app.state)


async def get_routing(request: Request) -> RoutingService:
    return state_of(request).routing


async def get_offers(request: Request) -> Offers:
    return state_of(request).offers


async def get_reps(request: Request) -> Reps:
    return state_of(request).reps


async def get_assignment_reads(request: Request) -> AssignmentReads:
    return state_of(request).assignment_reads


RoutingDep = Annotated[RoutingService, Depends(get_routing)]
RepsDep = Annotated[Reps, Depends(get_reps)]
AssignmentReadsDep = Annotated[AssignmentReads, Depends(get_assignment_reads)]
OffersDep = Annotated[Offers, Depends(get_offers)]
