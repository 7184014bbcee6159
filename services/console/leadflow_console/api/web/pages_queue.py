"""The waiting queue: every lead waiting for a rep, hottest first, with how long and for what
(admins, managers and marketers); an admin or a manager gives one to a rep by hand, the reps'
load in view, and confirms before going over a rep's capacity. Routing owns the queue and the rule."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadflow_console.api.web.deps import Overseers, ReadModelDep, TeamLeads, UpstreamDep
from leadflow_console.api.web.hand_assignment import (
    LONGEST_FORM_TEXT,
    SHOWN_AT_THE_FORM,
    assignment_body,
    give,
)
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, redirect, templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.app.read_model import ReadModel

router = APIRouter(include_in_schema=False)
ENTRIES = "_queue_entries.html"
SETTLE_SECONDS = 0.2  # a burst of decisions redraws the queue once


def waited(since: str, now: datetime) -> str:
    """How long a lead has waited, in words a manager reads at a glance."""
    seconds = max(0, int((now - datetime.fromisoformat(since)).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


async def _waiting(viewer: Viewer, read_model: ReadModel, upstream: Upstream) -> dict[str, object]:
    """What the queue shows, for the page and its stream alike: the waiting leads, named, and the
    active reps to give them to (inactive reps are no one to assign to)."""
    entries = await upstream.call_list("routing", "GET", "/v1/queue", viewer.token)
    reps = await upstream.call_list("routing", "GET", "/v1/reps", viewer.token)
    await read_model.name_entries(entries)
    now = datetime.now(UTC)
    for entry in entries:
        entry["waited"] = waited(entry["since"], now)
    return {"entries": entries, "reps": [rep for rep in reps if rep["active"]]}


async def _queue(
    request: Request,
    viewer: Viewer,
    read_model: ReadModel,
    upstream: Upstream,
    status: int = 200,
    **context: object,
) -> Response:
    """The queue, following the present; a page answering an Assign that went wrong stays as
    drawn (a redraw would take away the problem said at its form and what was chosen there)."""
    shown = await _waiting(viewer, read_model, upstream)
    live = None if context else live_region(ENTRIES, "/queue/stream", None, viewer=viewer, **shown)
    return page(request, "queue.html", viewer, status, live=live, **{**shown, **context})


@router.get("/queue", summary="admin, manager, marketer: the leads waiting for a rep, and for what")
async def queue(
    request: Request, viewer: Overseers, read_model: ReadModelDep, upstream: UpstreamDep
) -> Response:
    return await _queue(request, viewer, read_model, upstream)


@router.get(
    "/queue/stream", summary="admin, manager, marketer: the waiting leads as they change (event-stream)"
)
async def queue_stream(
    request: Request, viewer: Overseers, read_model: ReadModelDep, upstream: UpstreamDep, shown: Shown = ""
) -> Response:
    async def draw() -> tuple[str, bool]:
        now_shown = await _waiting(viewer, read_model, upstream)
        return templates.get_template(ENTRIES).render(viewer=viewer, **now_shown), True

    changed = read_model.changed
    return redraws(
        request, viewer, draw, changed, page="queue", event="queue", shown=shown, settle=SETTLE_SECONDS
    )


@router.get("/queue/{lead_id}/assign", summary="admin, manager: the queue (where the form is)")
async def back_to_the_queue(lead_id: uuid.UUID, viewer: TeamLeads) -> Response:
    """The address a refused Assign's page stays at, opened again: the queue."""
    return RedirectResponse("/queue", status_code=303)


@router.post("/queue/{lead_id}/assign", summary="admin, manager: give a waiting lead to a rep")
async def assign(
    request: Request,
    lead_id: uuid.UUID,
    viewer: TeamLeads,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    rep_id: Annotated[uuid.UUID, Form()],
    override_capacity: Annotated[Literal["", "yes"], Form()] = "",
    reason: Annotated[str, Form(max_length=LONGEST_FORM_TEXT)] = "",
) -> Response:
    body = assignment_body(rep_id, override_capacity, reason)
    try:
        notice = await give(upstream, viewer, lead_id, body)
    except UpstreamProblem as problem:
        if problem.status not in SHOWN_AT_THE_FORM:
            raise
        chosen = {"lead_id": str(lead_id), **body}  # kept as chosen, the problem shown at the form
        return await _queue(
            request, viewer, read_model, upstream, problem.status, problem=problem, chosen=chosen
        )
    return redirect(request, "/queue", notice)
