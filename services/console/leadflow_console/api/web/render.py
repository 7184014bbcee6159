"""Pages as HTML: the templates, the navigation each role sees, the Content-Security-Policy of
every page, notices carried across a redirect, and the error pages."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from leadflow_common import in_words as score_lines
from leadflow_common.access import Role
from leadflow_common.errors import LeadflowError
from leadflow_common.failures import INFRASTRUCTURE_ERRORS
from leadflow_common.http import on_http_error, on_unexpected, problem_response, validation_problem
from leadflow_console import metrics
from leadflow_console.api.web import forms
from leadflow_console.api.web.session import (
    NOTICE_COOKIE,
    CsrfRejected,
    LoginRequired,
    PageError,
    Viewer,
    cookie_options,
    signed_in,
)
from leadflow_console.domain import words

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
# Scripts and styles come only from the console itself: no inline script, no inline style.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
ADMIN, MANAGER, MARKETER, REP, VIEWER = Role.admin, Role.manager, Role.marketer, Role.rep, Role.viewer
NAVIGATION = [
    ("/inbox", "Inbox", {REP}),
    ("/queue", "Queue", {MANAGER}),  # a manager's first page, first
    ("/feed", "Live feed", {ADMIN, MANAGER, MARKETER, VIEWER}),
    ("/funnel", "Funnel", {ADMIN, MANAGER, MARKETER}),
    ("/leads", "Leads", {ADMIN, MANAGER, MARKETER, REP}),
    ("/accounts", "Accounts", {ADMIN, MANAGER, MARKETER}),
    ("/scoring", "Scoring", {ADMIN, MARKETER}),
    ("/team", "Team", {ADMIN, MANAGER}),
    ("/queue", "Queue", {ADMIN, MARKETER}),
    ("/admin/users", "Admin", {ADMIN}),
]
HOME = {REP: "/inbox", MANAGER: "/queue", MARKETER: "/funnel", ADMIN: "/team", VIEWER: "/feed"}


def format_time(value: datetime | str | None, zone: str = "UTC") -> str:
    """A time as a person reads it: in their time zone, named (`CET`, `EST`, `UTC`)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


@pass_context
def when(context: Context, value: datetime | str | None) -> str:
    """The one filter for every time shown in the console: in the viewer's zone."""
    viewer = context.get("viewer")
    return format_time(value, viewer.zone if isinstance(viewer, Viewer) else "UTC")


templates.env.filters["when"] = when
templates.env.filters["urldecode"] = unquote
templates.env.filters["signed"] = score_lines.signed
templates.env.filters["channel_words"] = score_lines.channel_words
templates.env.filters["audit_action"] = words.audit_action
templates.env.filters["decision_words"] = words.decision
templates.env.filters["decision_status"] = words.decision_status
templates.env.filters["cause_words"] = words.score_cause
templates.env.globals["breakdown"] = score_lines.breakdown
templates.env.filters["iso"] = lambda value: value.astimezone(UTC).isoformat() if value else ""
# The server's time as the page was drawn: countdowns and waiting clocks run on it (console.js),
# not on the phone's clock, which may be minutes off.
templates.env.globals["server_now"] = lambda: datetime.now(UTC).isoformat(timespec="milliseconds")


# A notice that reports something that did not work starts with this (quote() leaves it as is).
PROBLEM_MARK = "problem~"


def page(
    request: Request, name: str, viewer: Viewer | None, status: int = 200, **context: object
) -> HTMLResponse:
    notice = request.cookies.get(NOTICE_COOKIE)
    said = {"notice": notice, "notice_is_problem": False}
    if notice and notice.startswith(PROBLEM_MARK):
        said = {"notice": notice.removeprefix(PROBLEM_MARK), "notice_is_problem": True}
    nav = [(href, label) for href, label, roles in NAVIGATION if viewer and viewer.role in roles]
    response = templates.TemplateResponse(
        request,
        name,
        {"viewer": viewer, "nav": nav, "path": request.url.path, **said, **context},
        status_code=status,
    )
    _protect(response)
    if notice:
        response.delete_cookie(NOTICE_COOKIE, path="/")
    return response


def live_stream(events: AsyncIterator[dict], name: str) -> EventSourceResponse:
    """Server-Sent Events: a ping every 15 s keeps proxies from closing an idle stream, and a
    client that stops reading is dropped after 10 s instead of holding the server's buffers."""

    async def counted() -> AsyncIterator[dict]:
        metrics.LIVE_STREAMS.labels(page=name).inc()
        try:
            async for event in events:
                yield event
        finally:
            metrics.LIVE_STREAMS.labels(page=name).dec()

    return EventSourceResponse(counted(), ping=15, send_timeout=10, headers={"cache-control": "no-store"})


def redirect(
    request: Request, to: str, notice: str | None = None, *, problem: bool = False
) -> RedirectResponse:
    """After a form: back to a page (303), with a notice shown there once (`problem`: as an
    alert, for something that did not work). Notices never carry personal data; the cookie
    keeps it out of the URL anyway."""
    response = RedirectResponse(to, status_code=303)
    if notice:
        value = (PROBLEM_MARK if problem else "") + quote(notice)
        response.set_cookie(NOTICE_COOKIE, value, **cookie_options(request, 60))
    return response


def _protect(response: Response) -> None:
    response.headers["content-security-policy"] = PAGE_CSP
    response.headers["cache-control"] = "no-store"


def install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(PageError)
    async def error_page(request: Request, error: PageError) -> Response:
        # The one handler of a page's failures (the class carries its status and title); the
        # API's own errors keep common's problem+json handler.
        if isinstance(error, LoginRequired):
            if request.headers.get("accept") == "text/event-stream":
                return Response(status_code=401)
            return RedirectResponse("/", status_code=303)
        viewer = None if isinstance(error, CsrfRejected) else await signed_in(request)
        return page(
            request, "error.html", viewer, error.page_status(), title=error.title, message=error.detail or ""
        )

    @app.exception_handler(RequestValidationError)
    async def unreadable(request: Request, error: RequestValidationError) -> Response:
        # The API keeps its problem+json; a person is answered in words. Forms read what was
        # typed themselves (forms.py), so this is only for a request no form of ours sends.
        problem = validation_problem(error.errors())
        if request.url.path.startswith("/v1/"):
            return problem_response(problem, request.url.path)
        words = "; ".join(f"{name}: {message}" for name, message in _named(problem))
        message = f"Nothing was changed: {words}. Go back, change it and send it again."
        return page(
            request, "error.html", await signed_in(request), 422, title="Not understood", message=message
        )

    for error_class in (*INFRASTRUCTURE_ERRORS, Exception):
        app.add_exception_handler(error_class, _unexpected)
    app.add_exception_handler(StarletteHTTPException, _refused_by_starlette)  # type: ignore[arg-type]


async def _unexpected(request: Request, error: Exception) -> Response:
    # Logged and answered as common's handler does; a person on a page reads words, never
    # JSON (a hostile probe's NUL byte in a search showed one a problem+json 500).
    answer = await on_unexpected(request, error)
    if _for_machines(request):
        return answer
    try:
        viewer = await signed_in(request)
    except Exception:  # the database that failed the page may fail this too
        viewer = None
    if answer.status_code == 503:
        title, message = "Try again shortly", "The console cannot reach its database or broker just now."
    else:
        title = "Something went wrong"
        message = "The console could not finish this; it is logged. Reload the page to see what stands."
    return page(request, "error.html", viewer, answer.status_code, title=title, message=message)


async def _refused_by_starlette(request: Request, error: StarletteHTTPException) -> Response:
    # No such page, or an address only a form posts to: words for a person, never JSON.
    if _for_machines(request):
        return await on_http_error(request, error)
    if error.status_code == 405 and request.method == "GET":  # not HEAD: a monitor's is a 405
        # A form's address opened (a reload after the form, a tab the phone discarded and loads
        # again): the page the form is on, not a "Method Not Allowed" page.
        return RedirectResponse(_page_of_form(request), status_code=303)
    title = "No such page" if error.status_code == 404 else HTTPStatus(error.status_code).phrase
    message = (
        "Nothing is here. Use the menu to find what you were looking for."
        if error.status_code == 404
        else "This address is where a form sends what was typed; open the page the form is on."
    )
    viewer = await signed_in(request)
    return page(request, "error.html", viewer, error.status_code, title=title, message=message)


def _page_of_form(request: Request) -> str:
    """The page a form's address belongs to: the address without its last parts, up to one a
    person can open (`/leads/<id>/outcome` is `/leads/<id>`), or the start page."""
    parts = request.url.path.split("/")
    if request.url.path.startswith("//") or len(parts) > MAX_FORM_DEPTH:
        return "/"
    while len(parts) > 2:
        parts.pop()
        path = "/".join(parts)
        scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            return path
    return "/"


MAX_FORM_DEPTH = 8  # the console's deepest form address has six parts


def _for_machines(request: Request) -> bool:
    """The API, the health and metrics endpoints and live streams keep their own answers."""
    path = request.url.path
    machine_paths = ("/v1/", "/healthz", "/readyz", "/metrics", "/static/", "/openapi", "/docs")
    return path.startswith(machine_paths) or request.headers.get("accept") == "text/event-stream"


def _named(problem: LeadflowError) -> list[tuple[str, str]]:
    return [(field.name or "the request", forms.in_words(field.message)) for field in problem.fields or []]
