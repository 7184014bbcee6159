"""FastAPI dependencies every service's routes share, as `Annotated` aliases (the full-stack
FastAPI template's style): routes name what they need, and tests can override any of them with
`app.dependency_overrides`. Providers are `async def` on purpose: FastAPI runs a plain `def`
dependency in its thread pool, a hop that cost capture a millisecond per request (measured)."""

from typing import Annotated

from fastapi import Depends, Request

from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork


async def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]


async def new_unit_of_work(runtime: RuntimeDep) -> UnitOfWork:
    """A unit of work not yet begun: the use case opens it (`async with uow:`), so the commit
    happens before the answer is written, never after."""
    return runtime.unit_of_work()


UnitOfWorkDep = Annotated[UnitOfWork, Depends(new_unit_of_work)]
