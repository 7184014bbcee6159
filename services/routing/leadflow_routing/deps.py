"""Routing's FastAPI dependencies (see leadflow_common.deps)."""

from typing import Annotated

from fastapi import Depends, Request

from leadflow_routing.app.services import RoutingService


async def get_routing(request: Request) -> RoutingService:
    return request.app.state.routing


RoutingDep = Annotated[RoutingService, Depends(get_routing)]
