"""FastAPI dependencies every service's routes share, as `Annotated` aliases (the full-stack
FastAPI template's style): routes name what they need, and tests can override any of them with
`app.dependency_overrides`. Providers are `async def` on purpose: FastAPI runs a plain `def`
dependency in its thread pool, a hop that cost capture a millisecond per request (measured)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol, TypeVar, cast

from fastapi import Depends, Request

from leadflow_common.credentials_current import CurrentCredentials
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork

S = TypeVar("S")
T = TypeVar("T")


def provider(state: Callable[[Request], S], read: Callable[[S], T]) -> Callable[[Request], Awaitable[T]]:
    """A provider of one thing on a service's typed state: `Depends(provider(state_of, lambda
    state: state.reps))` instead of an `async def get_reps(request)` per thing. `state` is the
    service's own `state_of` (a cast to its Protocol: mypy takes no Protocol class as a value)."""

    async def provide(request: Request) -> T:
        return read(state(request))

    return provide


class CommonState(Protocol):
    """What every service's `app.state` holds (app.py and each lifespan put it there), typed: read
    through the providers here; each service's deps.py types the rest of its own state."""

    runtime: ServiceRuntime
    credentials: CurrentCredentials
    api_key: str
    metrics_token: str


def common_state(request: Request) -> CommonState:
    return cast(CommonState, request.app.state)


async def get_runtime(request: Request) -> ServiceRuntime:
    return common_state(request).runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def new_unit_of_work(runtime: RuntimeDep) -> UnitOfWork:
    """A unit of work not yet begun: the use case opens it (`async with uow:`), so the commit
    happens before the answer is written, never after."""
    return runtime.unit_of_work()


UnitOfWorkDep = Annotated[UnitOfWork, Depends(new_unit_of_work)]
