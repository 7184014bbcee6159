"""The FastAPI app every service is built on."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import Table

from leadflow_common.http import RequestMetricsMiddleware, health_router, install_problem_handlers
from leadflow_common.logs import configure_logging
from leadflow_common.runtime import ServiceRuntime, service_runtime
from leadflow_common.settings import CommonSettings

StartHook = Callable[[FastAPI, ServiceRuntime], Awaitable[None]]


def create_service_app(
    *,
    name: str,
    common: CommonSettings,
    outbox: Table,
    routers: list[APIRouter],
    on_start: StartHook | None = None,
    extra_schemas: tuple[type[BaseModel], ...] = (),
) -> FastAPI:
    """A service's app: its runtime opened by the lifespan (`on_start` adds consumers and
    background work), problem+json errors, request metrics, health and metrics endpoints."""
    configure_logging(name, common.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(name, common, outbox) as runtime:
            app.state.runtime = runtime
            if on_start is not None:
                await on_start(app, runtime)
            yield

    app = FastAPI(title=f"Leadflow {name}", version="0.1.0", lifespan=lifespan)
    app.state.api_key = common.leadflow_api_key
    install_problem_handlers(app)
    app.add_middleware(RequestMetricsMiddleware)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router())
    if extra_schemas:
        _add_component_schemas(app, extra_schemas)
    return app


def _add_component_schemas(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Request bodies described by hand (JSON or a form) still need their schemas listed."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in models:
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        return schema

    app.openapi = openapi
