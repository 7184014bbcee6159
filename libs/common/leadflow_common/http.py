"""HTTP plumbing shared by the services: problem+json errors, request metrics,
and the /healthz, /readyz and /metrics endpoints."""

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow_common import metrics
from leadflow_common.auth import bearer
from leadflow_common.deps import RuntimeDep, common_state
from leadflow_common.errors import FieldError, Invalid, LeadflowError, Unauthenticated, Unavailable
from leadflow_common.failures import INFRASTRUCTURE_ERRORS, is_transient

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# An error answer lists at most this many fields: a body with thousands of bad fields must not
# buy a reply thousands of times larger (the count of the rest is in `detail`).
MAX_LISTED_FIELDS = 20


class ProblemDetails(BaseModel):
    """RFC 9457: how every error is answered."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    fields: list[FieldError] | None = Field(None, description="The fields at fault (422)")


class Problem(LeadflowError):
    """An answer of the HTTP layer itself (401, 413, 415, …): what no domain error names."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        fields: list[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(detail, fields=fields, headers=dict(headers) if headers is not None else None)
        self.status = status
        self.title = title


def field_problem(name: str, message: str, detail: str = "The request has an invalid field") -> Invalid:
    """A 422 naming one field: `Invalid.field`, the one builder (this name stays for code written
    before it; new code raises `Invalid.field`)."""
    return Invalid.field(name, message, detail)


def _field(field: FieldError | dict[str, str]) -> dict[str, str]:
    return {"name": field.name, "message": field.message} if isinstance(field, FieldError) else field


def problem_response(problem: LeadflowError, instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if instance:
        body["instance"] = instance
    if problem.fields is not None:
        body["fields"] = [_field(field) for field in problem.fields[:MAX_LISTED_FIELDS]]
        if len(problem.fields) > MAX_LISTED_FIELDS:
            more = f"{len(problem.fields) - MAX_LISTED_FIELDS} more fields are invalid"
            body["detail"] = f"{problem.detail} ({more})" if problem.detail else more
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


def field_name(location: Sequence[str | int]) -> str:
    """`("body", "leads", 3, "email")` → `leads[3].email`: the name a client sent."""
    name = ""
    for part in location:
        if part in ("body", "query", "path", "header"):
            continue
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or str(location[-1]) if location else ""


def validation_problem(
    errors: Sequence[dict[str, Any]], detail: str = "The request has invalid fields"
) -> Invalid:
    fields = [
        FieldError(name=field_name(error.get("loc", ())), message=error.get("msg", "invalid"))
        for error in errors[:MAX_LISTED_FIELDS]
    ]
    invalid = Invalid(detail, fields=fields)
    if len(errors) > MAX_LISTED_FIELDS:  # the answer says how many more, as problem_response does
        invalid.detail = f"{detail} ({len(errors) - MAX_LISTED_FIELDS} more fields are invalid)"
    return invalid


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(LeadflowError)
    async def on_domain_error(request: Request, error: LeadflowError) -> JSONResponse:
        # The one place a domain error becomes an answer: every router just raises.
        return problem_response(error, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(error.errors()), request.url.path)

    app.add_exception_handler(StarletteHTTPException, on_http_error)  # type: ignore[arg-type]

    @app.exception_handler(ClientDisconnect)
    async def on_disconnect(request: Request, error: ClientDisconnect) -> Response:
        # The client left mid-body: nothing was stored and nobody reads an answer. Not an error.
        metrics.CONNECTIONS_REFUSED.labels(reason="client_disconnected").inc()
        return Response(status_code=400)

    # Under `Exception` only, Starlette would send the answer and then raise the error again,
    # and uvicorn would close the connection: a client cut off during a database restart (the
    # fault run's "connection reset"s) instead of a 503 on a connection that stays open.
    for infrastructure_error in INFRASTRUCTURE_ERRORS:
        app.add_exception_handler(infrastructure_error, on_unexpected)
    app.add_exception_handler(Exception, on_unexpected)


async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """Starlette's own refusals (no such route, method not allowed) as problem+json."""
    if isinstance(error.__cause__, LeadflowError):
        # FastAPI answers any failure to read a body it parses as a 400 "error parsing the
        # body", raised from ours: a body too slow (408) or too large (413) is said as such.
        return problem_response(error.__cause__, request.url.path)
    title = HTTPStatus(error.status_code).phrase
    detail = error.detail if isinstance(error.detail, str) else None
    return problem_response(
        Problem(error.status_code, title, detail, headers=error.headers), request.url.path
    )


async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
    if is_transient(error):
        # Nothing was stored: the client should try again (forms, Twilio and importers do).
        log.warning(
            "database or broker unavailable",
            extra={"path": request.url.path, "error": type(error).__name__},
        )
        return problem_response(Unavailable("Try again shortly"), request.url.path)
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem_response(Problem(500, "Internal error"), request.url.path)


async def require_metrics_reader(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> None:
    """/metrics tells how the service is used: for the scraper's token or the API key only."""
    given = (credentials.credentials if credentials else "").encode()
    state = common_state(request)
    secrets = [state.api_key, state.metrics_token]
    # Every secret is compared, in constant time, so timing tells nothing about which matched.
    if not any([hmac.compare_digest(given, secret.encode()) for secret in secrets if secret]):
        raise Unauthenticated("The metrics token or the API key is required")


def health_router(*, timeout: float = 3.0) -> APIRouter:
    """/healthz, /readyz (the runtime's database and broker checks) and /metrics."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database and the broker answer (503 if not); `degraded` lists what works only in part",
        responses={503: {}},
    )
    async def readyz(runtime: RuntimeDep) -> JSONResponse:
        async def run(name: str, check: Callable[[], Awaitable[None]]) -> tuple[str, str]:
            try:
                await asyncio.wait_for(check(), timeout)
                return name, "ok"
            except Exception as error:
                return name, f"failing: {type(error).__name__}"

        checks = runtime.readiness_checks()
        results = dict(await asyncio.gather(*(run(name, check) for name, check in checks.items())))
        ready = all(result == "ok" for result in results.values())
        degraded = runtime.degraded_conditions()
        status = ("degraded" if degraded else "ready") if ready else "not ready"
        body: dict[str, Any] = {"status": status, "checks": results}
        if degraded:
            # Still 200: the service works (e.g. scoring with the last good rules); taking it
            # out of service would stop what still works. Alerted on (deploy/alerts.yaml).
            body["degraded"] = degraded
        if results.get("database") == "ok":
            # Told, not judged: an outbox that lags while the broker is away is normal, and a
            # replica taken out of service for it would turn a delay into lost submissions.
            # Alert on these (deploy/alerts.yaml).
            with contextlib.suppress(Exception):
                body["outbox"] = await asyncio.wait_for(runtime.outbox_health(), timeout)
        if results.get("broker") == "ok":
            # Records its consumers have not finished (-1: a group holds no partition yet).
            with contextlib.suppress(Exception):
                body["consumers"] = {"behind": await asyncio.wait_for(runtime.consumers_behind(), timeout)}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get(
        "/metrics",
        summary="Prometheus metrics (LEADFLOW_METRICS_TOKEN or the API key)",
        response_class=Response,
        dependencies=[Depends(require_metrics_reader)],
        responses={401: {}},
    )
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


# The labelled series a service has answered with, kept: prometheus_client's `labels` costs a
# lock and a few tuples per call. Bounded, as a client picks the method (and so the series).
MAX_KEPT_SERIES = 256
Series = tuple[Counter, Histogram]


class RequestMetricsMiddleware:
    """Counts and times requests per route template (pure ASGI: cheap on the hot path)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self._series: dict[tuple[str, str, int], Series] = {}

    def _series_of(self, template: str, method: str, status: int) -> Series:
        if (series := self._series.get((template, method, status))) is not None:
            return series
        series = (
            metrics.HTTP_REQUESTS.labels(route=template, method=method, status=str(status)),
            metrics.HTTP_LATENCY.labels(route=template, method=method),
        )
        if len(self._series) < MAX_KEPT_SERIES:
            self._series[(template, method, status)] = series
        return series

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            requests, latency = self._series_of(template, scope["method"], status)
            requests.inc()
            latency.observe(time.perf_counter() - started)
