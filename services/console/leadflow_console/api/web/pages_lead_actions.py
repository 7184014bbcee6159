"""What an admin or a manager does from a lead's page: give the lead to a rep by hand (one
waiting, or one another rep holds), and correct its recorded outcome, saying why. Routing and
capture decide; a refusal is said at its form on the page as it was drawn, what was typed kept."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadflow_console.api.web.deps import AccountReadsDep, ReadModelDep, TeamLeads, UpstreamDep
from leadflow_console.api.web.hand_assignment import (
    LONGEST_FORM_TEXT,
    SHOWN_AT_THE_FORM,
    assignment_body,
    give,
)
from leadflow_console.api.web.pages_leads import HELD, lead_shown
from leadflow_console.api.web.render import page, redirect
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import UpstreamProblem

router = APIRouter(include_in_schema=False)


@router.post(
    "/leads/{lead_id}/assign", summary="admin, manager: give the lead to a rep (waiting, or another's)"
)
async def assign(
    request: Request,
    lead_id: uuid.UUID,
    viewer: TeamLeads,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    account_reads: AccountReadsDep,
    rep_id: Annotated[uuid.UUID, Form()],
    override_capacity: Annotated[Literal["", "yes"], Form()] = "",
    reason: Annotated[str, Form(max_length=LONGEST_FORM_TEXT)] = "",
) -> Response:
    body = assignment_body(rep_id, override_capacity, reason)
    view, _ = await read_model.lead(lead_id)
    held_by = view.rep_name if view and view.assignment_status in HELD else None
    try:
        notice = await give(upstream, viewer, lead_id, body, held_by=held_by)
    except UpstreamProblem as problem:
        context = {"problem": problem, "chosen": body}
        args = (read_model, upstream, account_reads, context, "reps")
        return await _refused(request, lead_id, viewer, problem, *args)
    return redirect(request, f"/leads/{lead_id}", notice)


@router.post(
    "/leads/{lead_id}/outcome/correct",
    summary="admin, manager: correct the lead's recorded outcome (won ↔ lost), saying why",
)
async def correct_outcome(
    request: Request,
    lead_id: uuid.UUID,
    viewer: TeamLeads,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    account_reads: AccountReadsDep,
    corrects: Annotated[uuid.UUID, Form()],
    outcome: Annotated[Literal["won", "lost"], Form()],
    reason: Annotated[str, Form(max_length=LONGEST_FORM_TEXT)] = "",
) -> Response:
    body = {"lead_id": str(lead_id), "outcome": outcome, "corrects": str(corrects), "reason": reason.strip()}
    try:
        await upstream.send("capture", "POST", "/v1/outcomes", viewer.token, json=body)
    except UpstreamProblem as problem:
        context = {"correction_problem": problem, "correction": body}
        args = (read_model, upstream, account_reads, context, "correctable")
        return await _refused(request, lead_id, viewer, problem, *args)
    return redirect(request, f"/leads/{lead_id}", f"Corrected: the lead is recorded as {outcome}.")


async def _refused(
    request: Request,
    lead_id: uuid.UUID,
    viewer: Viewer,
    problem: UpstreamProblem,
    read_model: ReadModelDep,
    upstream: UpstreamDep,
    account_reads: AccountReadsDep,
    context: dict[str, Any],
    form: str,
) -> Response:
    """The lead's page drawn still (a redraw would take away the problem said at the form and
    what was typed); when the page no longer has the form (the lead was won meanwhile), the
    page as it is now with the problem said on top; the error page for what no form shows."""
    shown = await lead_shown(lead_id, viewer, read_model, upstream, account_reads)
    if problem.status not in SHOWN_AT_THE_FORM or shown is None:
        raise problem
    if shown.get(form) is None:
        said = f"Nothing was changed: {problem.detail or problem.title}"
        return redirect(request, f"/leads/{lead_id}", said, problem=True)
    return page(request, "lead.html", viewer, problem.status, **shown, **context)


@router.get("/leads/{lead_id}/assign", summary="admin, manager: the lead's page (where the form is)")
@router.get("/leads/{lead_id}/outcome/correct", summary="admin, manager: the lead's page (where the form is)")
async def back_to_the_lead(lead_id: uuid.UUID, viewer: TeamLeads) -> Response:
    """The address a refused form's page stays at, opened again (reloaded, bookmarked): the
    lead's page, not "Method Not Allowed"."""
    return RedirectResponse(f"/leads/{lead_id}", status_code=303)
