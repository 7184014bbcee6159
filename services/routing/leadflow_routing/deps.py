"""Routing's FastAPI dependencies (see leadflow_common.deps), over what main.py's lifespan puts on
`app.state`, typed: providers are the only readers of the state."""

from typing import Annotated, Protocol, cast

from fastapi import Depends, Request

from leadflow_common.deps import provider
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


# Each provider reads one thing off the state (checked by mypy here, not inside `Annotated`).
get_routing = provider(state_of, lambda state: state.routing)
get_reps = provider(state_of, lambda state: state.reps)
get_assignment_reads = provider(state_of, lambda state: state.assignment_reads)
get_offers = provider(state_of, lambda state: state.offers)

RoutingDep = Annotated[RoutingService, Depends(get_routing)]
RepsDep = Annotated[Reps, Depends(get_reps)]
AssignmentReadsDep = Annotated[AssignmentReads, Depends(get_assignment_reads)]
OffersDep = Annotated[Offers, Depends(get_offers)]
