"""The admin's team page: reps with their load against capacity and the console account each
works as, the waiting queue, adding a rep and quick changes. Reps belong to routing and are
changed there, as the admin; a rep's whole record is edited on its own page (pages_reps.py)."""

import asyncio
import uuid
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import ReadModelDep, TeamLeads, UpstreamDep
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.live_regions import Shown, live_region, redraws
from leadflow_console.api.web.render import page, redirect, templates
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import Upstream, UpstreamProblem
from leadflow_console.app.read_model import ReadModel
from leadflow_console.app.services import AccountsService
from leadflow_console.deps import AccountsDep

router = APIRouter(include_in_schema=False)
Tier = Literal["junior", "mid", "senior"]
TEAM = "_team_live.html"
SETTLE_SECONDS = 0.2  # a burst of decisions redraws the team once


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


async def _team(
    request: Request,
    viewer: Viewer,
    upstream: Upstream,
    accounts: AccountsService,
    read_model: ReadModel,
    status: int = 200,
    **context: object,
) -> Response:
    """The team, following the present (a rep's load, account and the waiting leads change with
    others' work); a page answering a form that went wrong stays as drawn."""
    shown = await _reps_and_waiting(viewer, upstream, accounts, read_model)
    live = None if context else live_region(TEAM, "/team/stream", None, viewer=viewer, **shown)
    return page(request, "team.html", viewer, status, live=live, **{**shown, **context})


@router.get(
    "/team/stream",
    summary="admin, manager: the reps' loads and waiting leads as they change (event-stream)",
)
async def team_stream(
    request: Request,
    viewer: TeamLeads,
    upstream: UpstreamDep,
    accounts: AccountsDep,
    read_model: ReadModelDep,
    shown: Shown = "",
) -> Response:
    mail: bool | None = None  # a setting of the webhooks service (SMTP_HOST): asked once a stream

    async def draw() -> tuple[str, bool]:
        nonlocal mail
        now_shown = await _reps_and_waiting(viewer, upstream, accounts, read_model, mail=mail)
        mail = cast(bool | None, now_shown["mail"])
        return templates.get_template(TEAM).render(viewer=viewer, **now_shown), True

    changed = read_model.changed
    return redraws(
        request, viewer, draw, changed, page="team", event="team", shown=shown, settle=SETTLE_SECONDS
    )


async def _reps_and_waiting(
    viewer: Viewer,
    upstream: Upstream,
    accounts: AccountsService,
    read_model: ReadModel,
    *,
    mail: bool | None = None,
) -> dict[str, object]:
    """What the team page shows; `mail`: whether reps can be mailed, when already known (asked
    of webhooks otherwise, beside routing's answers)."""
    reps, waiting, mail = await asyncio.gather(
        upstream.call_list("routing", "GET", "/v1/reps", viewer.token),
        upstream.call_list("routing", "GET", "/v1/assignments?status=waiting&limit=50", viewer.token),
        mail_on(upstream, viewer, known=mail),
    )
    await read_model.name_entries(waiting)  # who each one is, as the queue names them
    # A rep record without an active account still gets offers (by mail, with one-time links):
    # said beside it, so a disabled or demoted account is not mistaken for a rep taken off.
    working_as = {
        str(user.rep_id): user.email for user in await accounts.list_users() if user.rep_id and user.active
    }
    return {
        "reps": reps,
        "waiting": waiting,
        "working_as": working_as,
        "mail": mail,
    }


async def mail_on(upstream: Upstream, viewer: Viewer, *, known: bool | None = None) -> bool | None:
    """Whether reps can be mailed (SMTP_HOST set in the webhooks service); None when it does
    not answer. A rep with no console account hears of offers by mail: without mail, by nothing
    but Slack (the team page said "by mail" on a system that had none). `known`: the answer a
    live page already has (a setting: a redraw does not ask again)."""
    if known is not None:
        return known
    try:
        answer = await upstream.call_object("webhooks", "GET", "/v1/notifications", viewer.token)
    except UpstreamProblem:
        return None
    return bool(answer.get("mail"))


@router.get("/team", summary="admin, manager: reps with load against capacity, the waiting queue")
async def team(
    request: Request,
    viewer: TeamLeads,
    upstream: UpstreamDep,
    accounts: AccountsDep,
    read_model: ReadModelDep,
) -> Response:
    return await _team(request, viewer, upstream, accounts, read_model)


NEW_REP_FIELDS = ("name", "email", "tier", "capacity", "territories", "languages", "segments")


@router.post("/team/reps", summary="admin, manager: add a rep")
async def create_rep(
    request: Request,
    viewer: TeamLeads,
    upstream: UpstreamDep,
    accounts: AccountsDep,
    read_model: ReadModelDep,
    # Text as typed: what cannot be read is answered at its field, with the form kept.
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    tier: Annotated[Tier, Form()] = "junior",
    capacity: Annotated[str, Form(max_length=20)] = "",
    territories: Annotated[str, Form(max_length=500)] = "",
    languages: Annotated[str, Form(max_length=500)] = "",
    segments: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    typed = {"name": name, "email": email, "tier": tier, "capacity": capacity}
    typed |= {"territories": territories, "languages": languages, "segments": segments}
    errors = FormErrors()
    for field, value in (("name", name), ("email", email)):
        if not value.strip():
            errors.add(field, "required")
    count = forms.whole_number(errors, "capacity", capacity, 0, 10_000)
    # Sent to routing even when something above is wrong, so its answer names every other field
    # at fault in the same round (the form reported its own errors first, routing's after). No
    # rep can be added then: a blank name or email is refused by routing too, and a capacity the
    # form could not read is sent as -1, which routing refuses.
    body = {"name": name, "email": email, "tier": tier, "capacity": -1 if count is None else count}
    body |= {"territories": _codes(territories)}
    body |= {"languages": _codes(languages), "segments": _codes(segments)}
    try:
        await upstream.send("routing", "POST", "/v1/reps", viewer.token, json=body)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = forms.from_problem(problem, NEW_REP_FIELDS, into=errors)  # the form's words first
        return await _team(
            request, viewer, upstream, accounts, read_model, problem.status, errors=errors, form=typed
        )
    return redirect(request, "/team", f"Rep {name} added.")


@router.post(
    "/team/reps/{rep_id}", summary="admin, manager: change a rep's tier, capacity, activity, presence"
)
async def change_rep(
    request: Request,
    rep_id: uuid.UUID,
    viewer: TeamLeads,
    upstream: UpstreamDep,
    accounts: AccountsDep,
    read_model: ReadModelDep,
    tier: Annotated[Tier, Form()],
    active: Annotated[Literal["yes", "no"], Form()],
    available: Annotated[Literal["yes", "no"], Form()],
    capacity: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    errors = FormErrors()
    count = forms.whole_number(errors, "capacity", capacity, 0, 10_000)
    body = {"tier": tier, "capacity": count, "active": active == "yes", "available": available == "yes"}
    if not errors:
        try:
            rep = await upstream.call_object(
                "routing", "PATCH", f"/v1/reps/{rep_id}", viewer.token, json=body
            )
        except UpstreamProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = forms.from_problem(problem, body)
        else:
            await read_model.rep_changed(rep_id)
            return redirect(request, "/team", f"Rep {rep['name']} changed.")
    quick = {"rep_id": str(rep_id), "capacity": capacity, "errors": errors}
    return await _team(request, viewer, upstream, accounts, read_model, 422, quick=quick)
