"""A lead's page: everything known about them, following the present; a rep opening anyone
else's lead gets the 403 page, whether it exists or not. The list is pages_lead_list.py."""

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from leadflow_common.access import Role
from leadflow_console.api.web.deps import (
    AccountReadsDep,
    AdminOnly,
    LeadWorkers,
    ReadModelDep,
    UpstreamDep,
)
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, templates
from leadflow_console.api.web.session import PageForbidden, Viewer
from leadflow_console.api.web.upstream import JsonObject, Upstream, UpstreamProblem
from leadflow_console.app.account_reads import AccountReads
from leadflow_console.app.read_model import LeadView, ReadModel, TimelineEntry
from leadflow_console.domain import story
from leadflow_console.domain.lead_filters import (
    ListStatus,
)

router = APIRouter(include_in_schema=False)
LEAD, LEFT = "_lead_live.html", "_lead_left.html"
LEFT_DRAWS = 3  # a page whose lead left its rep: drawn at most this often, waiting to say how
SETTLE_SECONDS = 0.2  # a burst of changes to one lead (a score, its decision) redraws it once
HELD = ("offered", "accepted")  # with a rep, who is told when it is given to another
MOVABLE = (*HELD, ListStatus.waiting, ListStatus.nurture)  # what routing gives to a rep by hand


@router.get("/leads/{lead_id}", summary="admin, manager, marketer, rep (their own): the lead page")
async def lead_page(
    request: Request,
    lead_id: uuid.UUID,
    viewer: LeadWorkers,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    account_reads: AccountReadsDep,
) -> Response:
    shown = await lead_shown(lead_id, viewer, read_model, upstream, account_reads)
    if shown is None and viewer.is_(Role.rep):
        raise PageForbidden("This lead is not offered to you.")
    if shown is None:
        return page(
            request, "error.html", viewer, 404, title="No such lead", message="Nothing is known by this id."
        )
    live = live_region(LEAD, f"/leads/{lead_id}/stream", None, viewer=viewer, **shown)
    return page(request, "lead.html", viewer, live=live, **shown)


@router.get(
    "/leads/{lead_id}/stream",
    summary="admin, manager, marketer, rep (their own): the lead page as it changes (text/event-stream)",
)
async def lead_stream(
    request: Request,
    lead_id: uuid.UUID,
    viewer: LeadWorkers,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    account_reads: AccountReadsDep,
    shown: Shown = "",
) -> Response:
    """The score, where the lead is and its story as they change (a rules change re-scored and
    moved it on while its page showed the old offer counting down); a rep's page whose lead
    is no longer hers says so and stops following."""

    unsaid: list[bool] = []  # the draws since the lead left this viewer

    async def draw() -> tuple[str, bool]:
        now = await lead_shown(lead_id, viewer, read_model, upstream, account_reads, redraw=True)
        if now is None:  # gone, or no longer hers: which and how only when she had it lately
            rep_id = viewer.principal.rep_id if viewer.is_(Role.rep) else None
            left = await read_model.how_it_left(rep_id, lead_id) if rep_id else None
            unsaid.append(left is None)
            # How it left her may land a moment after the lead moved (another topic): followed
            # a few draws more for it, then ended; at once for a lead never hers, as for one that
            # does not exist (how long it stayed open told a rep which leads exist: a probe).
            waiting = left is None and rep_id is not None and len(unsaid) < LEFT_DRAWS
            more = waiting and rep_id is not None and await read_model.was_offered(rep_id, lead_id)
            return templates.get_template(LEFT).render(viewer=viewer, left=left), more
        return templates.get_template(LEAD).render(viewer=viewer, **now), True

    changed, settle = read_model.leads_changed, SETTLE_SECONDS
    return redraws(
        request,
        viewer,
        draw,
        changed,
        page="lead",
        event="lead",
        shown=shown,
        touching=lead_id,
        settle=settle,
    )


async def lead_shown(
    lead_id: uuid.UUID,
    viewer: Viewer,
    read_model: ReadModel,
    upstream: Upstream,
    account_reads: AccountReads,
    *,
    redraw: bool = False,
) -> dict[str, Any] | None:
    """The lead as the page shows it; None when nothing is known by this id or, for a rep, when
    it is not hers (asked first: nothing else is read for her then). A redraw whose scoring
    does not answer is skipped (the history would vanish until the next one), not drawn."""
    view, timeline = await read_model.lead(lead_id)
    if view is None or (viewer.is_(Role.rep) and view.rep_id != viewer.principal.rep_id):
        return None
    # Scoring and routing asked together: a page that follows a decision waits for the slower.
    score, reps = await asyncio.gather(
        _score(lead_id, viewer, upstream, redraw), _reps_to_give_to(view, viewer, upstream)
    )
    account = await account_reads.of_lead(lead_id)  # its B2B account, if any
    timeline = story.told_once(timeline)
    shown = {"lead": view, "timeline": timeline, "score": score, "account": account, "reps": reps}
    return shown | {"correctable": _correctable(view, timeline, viewer)}


def _correctable(view: LeadView, timeline: list[TimelineEntry], viewer: Viewer) -> str | None:
    """For an admin or a manager, the id of the lead's latest outcome, which a correction names;
    None when there is none (or it was recorded before the story kept its id)."""
    if not view.outcome or not _runs_the_team(viewer):
        return None
    latest = next((entry for entry in timeline if entry.kind == "outcome"), None)  # newest first
    found = latest.details.get("outcome_id") if latest else None
    return found if isinstance(found, str) else None


def _runs_the_team(viewer: Viewer) -> bool:
    return viewer.is_(Role.admin) or viewer.is_(Role.manager)


async def _score(lead_id: uuid.UUID, viewer: Viewer, upstream: Upstream, redraw: bool) -> JsonObject | None:
    try:
        return await upstream.call_object("scoring", "GET", f"/v1/leads/{lead_id}/score", viewer.token)
    except UpstreamProblem as problem:
        if redraw and problem.status != 404:
            raise
        return None  # not scored yet, or scoring is away: the page shows what the read model has


async def _reps_to_give_to(view: LeadView, viewer: Viewer, upstream: Upstream) -> list[JsonObject] | None:
    """For an admin or a manager, the active reps the lead may be given to by hand (not the one
    who has it) while it waits or is with a rep; None when there is no such choice, or routing
    does not answer now (the page shows the rest)."""
    movable = view.assignment_status in MOVABLE and not view.outcome and not view.erased_at
    if not movable or not _runs_the_team(viewer):
        return None
    try:
        reps = await upstream.call_list("routing", "GET", "/v1/reps", viewer.token)
    except UpstreamProblem:
        return None
    return [rep for rep in reps if rep["active"] and rep["id"] != str(view.rep_id)]


@router.get("/leads/{lead_id}/export", summary="admin: everything held about the person, as a JSON file")
async def export(request: Request, lead_id: uuid.UUID, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    try:
        document = await upstream.call_object(
            "capture", "GET", "/v1/privacy/export", viewer.token, params={"lead_id": str(lead_id)}
        )
    except UpstreamProblem as problem:
        return page(
            request, "error.html", viewer, problem.status, title=problem.title, message=problem.detail
        )
    return JSONResponse(
        document,
        headers={"Content-Disposition": f'attachment; filename="leadflow-person-{lead_id}.json"'},
    )
