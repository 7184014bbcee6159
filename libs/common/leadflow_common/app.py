"""The FastAPI app every service is built on."""

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from http import HTTPStatus

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from sqlalchemy import Table

from leadflow_common.auth import check_route_policies, declared_policies
from leadflow_common.credential_sync import CredentialSync, Refresh, console_refresh, keep_current
from leadflow_common.credentials import CredentialsState, CredentialStore
from leadflow_common.credentials_current import CurrentCredentials
from leadflow_common.credentials_epoch import EpochReader
from leadflow_common.docs import docs_router
from leadflow_common.edge import BodyLimitMiddleware, RefusalPage, SecurityHeadersMiddleware
from leadflow_common.http import (
    PROBLEM_JSON,
    ProblemDetails,
    RequestMetricsMiddleware,
    health_router,
    install_problem_handlers,
)
from leadflow_common.logs import configure_logging
from leadflow_common.runtime import ServiceRuntime, service_runtime
from leadflow_common.settings import CommonSettings

StartHook = Callable[[FastAPI, ServiceRuntime], Awaitable[None]]
# How a service refreshes its credentials: the console reads its own tables, the others ask it.
RefreshFactory = Callable[[FastAPI], Refresh]


def create_service_app(
    *,
    name: str,
    common: CommonSettings,
    outbox: Table,
    routers: list[APIRouter],
    on_start: StartHook | None = None,
    extra_schemas: tuple[type[BaseModel], ...] = (),
    body_limits: Mapping[str, int] | None = None,
    processed_events: Table | None = None,
    credentials_refresh: RefreshFactory | None = None,
    refusal_page: RefusalPage | None = None,
) -> FastAPI:
    """A service's app: its runtime opened by the lifespan (`on_start` adds consumers and
    background work), problem+json errors, request metrics, health and metrics endpoints,
    bounded bodies (`body_limits` gives routes a smaller limit) and security headers."""
    configure_logging(name, common.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with service_runtime(name, common, outbox, processed_events) as runtime:
            app.state.runtime = runtime
            if on_start is not None:
                await on_start(app, runtime)
            refresh = _credentials_refresh(name, common, app, credentials_refresh)
            if refresh is not None:
                sync = CredentialSync(store, refresh)
                # Every credential is judged by a copy at least as new as the database's epoch.
                epoch = EpochReader(common.database_url, application_name=f"leadflow-{name}-credentials")
                await epoch.open()
                credentials.follow(sync, epoch)
                runtime.on_stop(epoch.close)
                every = common.leadflow_credentials_refresh_seconds
                runtime.background(
                    keep_current(sync, every=every, listener=runtime.listener), name="credentials"
                )
            yield

    app = FastAPI(title=f"Leadflow {name}", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.api_key = common.leadflow_api_key
    store = CredentialStore(common.leadflow_api_key)
    app.state.credentials = credentials = CurrentCredentials(store)
    if credentials_refresh is None and not common.leadflow_console_url:
        # No console to ask: the bootstrap key is the only credential there is.
        store.load(CredentialsState(signing_keys=[], keys=[], revoked_sessions=[]))
    app.state.metrics_token = common.leadflow_metrics_token
    install_problem_handlers(app)
    _install_middleware(app, common, body_limits, refusal_page)
    for router in routers:
        app.include_router(router)
    app.include_router(health_router())
    if common.serve_docs:
        app.include_router(docs_router(app.title))
    check_route_policies(routers)
    _document_schemas_and_problems(app, (*extra_schemas, ProblemDetails), declared_policies(routers))
    return app


def _install_middleware(
    app: FastAPI,
    common: CommonSettings,
    body_limits: Mapping[str, int] | None,
    refusal_page: RefusalPage | None,
) -> None:
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=common.http_max_body_bytes,
        timeout=common.http_body_timeout_seconds,
        path_limits=body_limits,
        refusal_page=refusal_page,
    )
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=common.leadflow_env == "production")


def _credentials_refresh(
    name: str, common: CommonSettings, app: FastAPI, factory: RefreshFactory | None
) -> Refresh | None:
    if factory is not None:
        return factory(app)
    if common.leadflow_console_url:
        return console_refresh(common.leadflow_console_url, common.leadflow_api_key, name)
    return None


def _document_schemas_and_problems(
    app: FastAPI, models: tuple[type[BaseModel], ...], policies: dict[tuple[str, str], str | None]
) -> None:
    """Lists the schemas of bodies described by hand, and documents every error answer as the
    problem+json it is: any body may be unparsable (400), and the API's operations may answer
    503 while the database or broker is away."""
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
        for stale in ("HTTPValidationError", "ValidationError"):
            components.pop(stale, None)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                policy = policies.get((path, method))
                if policy:
                    # Who may call it, readable by people and by the policy test.
                    operation["x-leadflow-policy"] = policy
                if policy and policy != "public":
                    operation.setdefault("security", [{"HTTPBearer": []}])
                    responses.setdefault("401", {})
                    responses.setdefault("403", {})
                if path.startswith("/v1/"):
                    responses.setdefault("503", {})
                if "requestBody" in operation:
                    responses.setdefault("400", {"description": "The body cannot be parsed"})
                for status, response in responses.items():
                    if int(status) >= 400 and "text/html" not in response.get("content", {}):
                        # "Additional Response" is FastAPI's placeholder for a response declared {}.
                        described = response.get("description") not in (None, "Additional Response")
                        kept = {"description": response["description"]} if described else {}
                        response.update(_problem_response_document(int(status)) | kept)
        return schema

    app.openapi = openapi


def _problem_response_document(status: int) -> dict:
    document: dict = {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }
    if status == 503:
        document["headers"] = {"Retry-After": {"description": "Seconds", "schema": {"type": "string"}}}
    if status == 401:
        document["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return document
