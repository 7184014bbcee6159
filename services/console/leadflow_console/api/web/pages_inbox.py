"""The rep's inbox: their offers with the SLA counting down, new ones pushed without a reload
(Server-Sent Events); accept, reject, complete, won, lost; their presence."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import ReadModelDep, RepOnly, UpstreamDep
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import format_time, page, redirect, templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.app.read_model import ReadModel
from leadflow_console.domain import choices
from leadflow_console.domain.assignment_story import what_happened

EARLIEST = datetime.min.replace(tzinfo=UTC)  # for a time not known (none is, as read)

router = APIRouter(include_in_schema=False)
OFFERS = "_offers.html"


@router.get("/inbox", summary="rep: my offers")
async def inbox(
    request: Request, viewer: RepOnly, read_model: ReadModelDep, upstream: UpstreamDep
) -> Response:
    return await _inbox(request, viewer, read_model, upstream)


async def _inbox(
    request: Request,
    viewer: Viewer,
    read_model: ReadModel,
    upstream: Upstream,
    status: int = 200,
    **context: object,
) -> Response:
    rep_id = viewer.principal.rep_id
    shown = await _inbox_of(read_model, rep_id)
    try:
        me = await upstream.call_object("routing", "GET", f"/v1/reps/{rep_id}", viewer.token)
    except UpstreamProblem:
        me = None  # routing is away: the offers still show (from the read model), presence waits
    zones = choices.timezones()
    inactive = me is not None and not me.get("active", True)
    live = live_region(OFFERS, "/inbox/stream", viewer=viewer, inactive=inactive, **shown)
    return page(request, "inbox.html", viewer, status, me=me, timezones=zones, live=live, **context)


async def _inbox_of(read_model: ReadModel, rep_id: uuid.UUID) -> dict[str, object]:
    """What the inbox shows, for the page and its live updates alike: the rep's open offers with
    their stories, how their recent leads ended and which left them."""
    read = await read_model.inbox(rep_id)
    # One list, newest first (won and lost ones came before every lead that left her).
    lately: list[tuple[str, datetime | None, object]] = [
        ("closed", lead.outcome_at, lead) for lead in read.closed
    ]
    lately += [("left", lead.at, lead) for lead in read.left]
    lately.sort(key=lambda entry: entry[1] or EARLIEST, reverse=True)
    return {"offers": read.offers, "timelines": read.timelines, "lately": lately}


@router.get("/inbox/stream", summary="rep: my offers as they change (text/event-stream)")
async def inbox_stream(
    request: Request, viewer: RepOnly, read_model: ReadModelDep, upstream: UpstreamDep, shown: Shown = ""
) -> Response:
    rep_id = viewer.principal.rep_id
    inactive = False  # as routing last said: her record made inactive, or active again

    async def draw() -> tuple[str, bool]:
        nonlocal inactive
        shown_now = await _inbox_of(read_model, rep_id)
        try:
            me = await upstream.call_object("routing", "GET", f"/v1/reps/{rep_id}", viewer.token)
            inactive = not me.get("active", True)
        except UpstreamProblem:
            pass  # routing is away: what it said last stands
        return templates.get_template(OFFERS).render(viewer=viewer, inactive=inactive, **shown_now), True

    changed = read_model.changed
    return redraws(request, viewer, draw, changed, page="inbox", event="offers", shown=shown, touching=rep_id)


@router.post("/assignments/{assignment_id}/reject", summary="rep: pass the lead on, with a reason")
async def reject(
    request: Request,
    assignment_id: uuid.UUID,
    viewer: RepOnly,
    upstream: UpstreamDep,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    if not reason.strip():  # a page that could not hold it back (no script, an old page)
        return redirect(
            request, "/inbox", "Choose why you pass on the lead: nothing was changed.", problem=True
        )
    path = f"/v1/assignments/{assignment_id}/reject"
    try:
        # Only the offer the page showed: a lead accepted since (another tab) stays accepted.
        body = {"reason": reason, "expected_status": "offered"}
        await upstream.send("routing", "POST", path, viewer.token, json=body)
    except UpstreamProblem as problem:
        return await _stale(request, assignment_id, viewer, upstream, problem)
    story = await _story(assignment_id, viewer, upstream)  # where it went, said truthfully
    return redirect(request, "/inbox", story or "You passed on this lead.")


# After /reject: the first route whose path matches takes the request.
DONE = {"accept": "Accepted. The lead is yours.", "complete": "Marked complete."}


@router.post("/assignments/{assignment_id}/{action}", summary="rep: take the lead, or be done with it")
async def act(
    request: Request,
    assignment_id: uuid.UUID,
    action: Literal["accept", "complete"],
    viewer: RepOnly,
    upstream: UpstreamDep,
) -> Response:
    path = f"/v1/assignments/{assignment_id}/{action}"
    try:
        await upstream.send("routing", "POST", path, viewer.token)
    except UpstreamProblem as problem:
        return await _stale(request, assignment_id, viewer, upstream, problem)
    return redirect(request, "/inbox", DONE[action])


async def _story(assignment_id: uuid.UUID, viewer: Viewer, upstream: Upstream) -> str | None:
    path = f"/v1/assignments/{assignment_id}"
    try:
        detail = await upstream.call_object("routing", "GET", path, viewer.token)
    except UpstreamProblem:
        return None
    shown = lambda at: format_time(at, viewer.zone)  # noqa: E731 (in the viewer's zone)
    return what_happened(detail, shown) if isinstance(detail, dict) else None


async def _stale(
    request: Request, assignment_id: uuid.UUID, viewer: Viewer, upstream: Upstream, problem: UpstreamProblem
) -> Response:
    """A click on an offer that changed since the page showed it (409): back to the inbox, which
    shows the present, with what happened instead of an error page."""
    if problem.status != 409:
        raise problem
    story = await _story(assignment_id, viewer, upstream)
    # Said as a problem: her click did not do what its button said (it read as a success).
    said = story or "This lead changed before your click reached it."
    return redirect(request, "/inbox", said, problem=True)


@router.post("/leads/{lead_id}/outcome", summary="rep: the lead was won or lost")
async def outcome(
    request: Request,
    lead_id: uuid.UUID,
    viewer: RepOnly,
    upstream: UpstreamDep,
    result: Annotated[Literal["won", "lost"], Form()],
) -> Response:
    body = {"lead_id": str(lead_id), "outcome": result}
    try:
        await upstream.send("capture", "POST", "/v1/outcomes", viewer.token, json=body)
    except UpstreamProblem as problem:
        if problem.status != 409:
            raise
        said = problem.detail or "This lead's outcome is recorded already."
        return redirect(request, "/inbox", said, problem=True)
    return redirect(request, "/inbox", f"Recorded as {result}.")


@router.post("/presence", summary="rep: whether I take leads now, and my working hours")
async def presence(
    request: Request,
    viewer: RepOnly,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    available: Annotated[Literal["yes", "no"], Form()] = "yes",
    timezone: Annotated[str, Form(max_length=64)] = "",
    start: Annotated[str, Form(max_length=5)] = "",
    end: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    errors = FormErrors()
    hours = forms.working_hours(errors, timezone, start, end)
    body: dict[str, object] = {"available": available == "yes"} | ({"working_hours": hours} if hours else {})
    if not errors:
        path = f"/v1/reps/{viewer.principal.rep_id}/presence"
        try:
            await upstream.send("routing", "PUT", path, viewer.token, json=body)
        except UpstreamProblem as problem:
            if problem.status != 422:
                raise
            errors = forms.from_problem(problem, ("available", "timezone", "start", "end"), forms.HOURS_NAMES)
        else:
            notice = "Available for new leads." if body["available"] else "Away: no new leads."
            return redirect(request, "/inbox", notice)
    typed = {
        "available": body["available"],
        "working_hours": {"timezone": timezone, "start": start, "end": end},
    }
    return await _inbox(request, viewer, read_model, upstream, 422, errors=errors, presence=typed)
