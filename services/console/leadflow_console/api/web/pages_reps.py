"""A rep's whole record, edited as a person would (admins): tier and capacity, territories and
languages picked from lists of countries and languages, segments, working hours in a time zone
picked from a list; routing validates it whole and its answer is shown at the field."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import AdminOnly, UpstreamDep
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.render import page, redirect
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import JsonObject, Upstream, UpstreamProblem
from leadflow_console.domain import choices

router = APIRouter(include_in_schema=False)
Tier = Literal["junior", "mid", "senior"]
Segment = Literal["b2b", "b2c"]


async def _editor(
    request: Request,
    viewer: Viewer,
    upstream: Upstream,
    rep: JsonObject,
    status: int = 200,
    **context: object,
) -> Response:
    lists = {
        "countries": choices.countries(),
        "languages": choices.languages(),
        "timezones": choices.timezones(),
    }
    return page(request, "rep_edit.html", viewer, status, rep=rep, **lists, **context)


@router.get("/team/reps/{rep_id}/edit", summary="admin: a rep's whole record, to change")
async def edit_rep(request: Request, rep_id: uuid.UUID, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    rep = await upstream.call_object("routing", "GET", f"/v1/reps/{rep_id}", viewer.token)
    return await _editor(request, viewer, upstream, rep)


REP_FIELDS = ("name", "tier", "capacity", "territories", "languages", "segments", "timezone", "start", "end")


@router.post("/team/reps/{rep_id}/edit", summary="admin: change a rep's whole record")
async def save_rep(
    request: Request,
    rep_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    # Text as typed: what cannot be read is answered at its field, with the form kept.
    name: Annotated[str, Form(max_length=200)] = "",
    tier: Annotated[Tier, Form()] = "junior",
    capacity: Annotated[str, Form(max_length=20)] = "",
    # Lists bounded by the body's size (HTTP_MAX_BODY_BYTES); routing checks each code.
    territories: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    languages: Annotated[list[str], Form()] = [],  # noqa: B006
    segments: Annotated[list[Segment], Form()] = [],  # noqa: B006
    timezone: Annotated[str, Form(max_length=64)] = "",
    start: Annotated[str, Form(max_length=5)] = "",
    end: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    errors = FormErrors()
    if not name.strip():
        errors.add("name", "required")
    count = forms.whole_number(errors, "capacity", capacity, 0, 10_000)
    hours = forms.working_hours(errors, timezone, start, end)
    typed: JsonObject = {
        "id": str(rep_id),
        "name": name,
        "tier": tier,
        "capacity": capacity,
        "territories": territories,
    }
    typed |= {"languages": languages, "segments": segments}
    typed["working_hours"] = {"timezone": timezone, "start": start, "end": end}
    if errors:
        return await _editor(request, viewer, upstream, typed, 422, errors=errors)
    body: JsonObject = {"name": name, "tier": tier, "capacity": count, "territories": territories}
    body |= {"languages": languages, "segments": segments, "working_hours": hours}
    try:
        saved = await upstream.call_object("routing", "PATCH", f"/v1/reps/{rep_id}", viewer.token, json=body)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        errors = forms.from_problem(problem, REP_FIELDS, forms.HOURS_NAMES)
        return await _editor(request, viewer, upstream, typed, problem.status, errors=errors)
    return redirect(request, "/team", f"Rep {saved['name']} changed.")
