"""Routing's FastAPI dependencies (see leadflow_common.deps), over what main.py's lifespan puts on
`app.state`, typed: providers are the only readers of the state."""

from typing import Annotated, Protocol, cast

from fastapi import Depends, Request

from leadflow_routing.app.offers import Offers
from leadflow_routing.app.services import RoutingService


class RoutingAppState(Protocol):
    routing: RoutingService
    offers: Offers


def state_of(request: Request) -> RoutingAppState:
    return cast(RoutingAppState, request.app.state)


async def get_routing(request: Request) -> RoutingService:
    return state_of(request).routing


async def get_offers(request: Request) -> Offers:
    return state_of(request).offers


RoutingDep = Annotated[RoutingService, Depends(get_routing)]
OffersDep = Annotated[Offers, Depends(get_offers)]
