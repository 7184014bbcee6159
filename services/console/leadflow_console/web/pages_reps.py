"""A rep's whole record, edited as a person would (admins): tier and capacity, territories and
languages picked from lists of countries and languages, segments, working hours in a time zone
picked from a list; routing validates it whole and its answer is shown at the field."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_console.web import choices
from leadflow_console.web.deps import AdminOnly, UpstreamDep
from leadflow_console.web.render import page, redirect
from leadflow_console.web.session import Viewer
from leadflow_console.web.upstream import Upstream, UpstreamProblem

router = APIRouter(include_in_schema=False)
Tier = Literal["junior", "mid", "senior"]
Segment = Literal["b2b", "b2c"]


async def _editor(
    request: Request, viewer: Viewer, upstream: Upstream, rep: dict, status: int = 200, **context
) -> Response:
    lists = {
        "countries": choices.countries(),
        "languages": choices.languages(),
        "timezones": choices.timezones(),
    }
    return page(request, "rep_edit.html", viewer, status, rep=rep, **lists, **context)


@router.get("/team/reps/{rep_id}/edit", summary="admin: a rep's whole record, to change")
async def edit_rep(request: Request, rep_id: uuid.UUID, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    rep = await upstream.call("routing", "GET", f"/v1/reps/{rep_id}", viewer.token)
    return await _editor(request, viewer, upstream, rep)


def hours_problem(timezone: str, start: str, end: str) -> dict | None:
    """Working hours come whole (a zone, a start and an end) or not at all: half of them is
    never dropped in silence."""
    given = {"timezone": timezone, "start": start, "end": end}
    if any(given.values()) and not all(given.values()):
        missing = next(name for name, value in given.items() if not value)
        return {
            "name": f"working_hours.{missing}",
            "message": "working hours need a time zone, a start and an end",
        }
    return None


@router.post("/team/reps/{rep_id}/edit", summary="admin: change a rep's whole record")
async def save_rep(
    request: Request,
    rep_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    name: Annotated[str, Form(max_length=200)],
    tier: Annotated[Tier, Form()],
    capacity: Annotated[int, Form(ge=0, le=10_000)],
    # Lists bounded by the body's size (HTTP_MAX_BODY_BYTES); routing checks each code.
    territories: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
    languages: Annotated[list[str], Form()] = [],  # noqa: B006
    segments: Annotated[list[Segment], Form()] = [],  # noqa: B006
    timezone: Annotated[str, Form(max_length=64)] = "",
    start: Annotated[str, Form(max_length=5)] = "",
    end: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    body: dict = {"name": name, "tier": tier, "capacity": capacity, "territories": territories}
    body |= {"languages": languages, "segments": segments}
    body["working_hours"] = {"timezone": timezone, "start": start, "end": end} if timezone and start else None
    typed = {**body, "id": str(rep_id), "working_hours": {"timezone": timezone, "start": start, "end": end}}
    if (problem := hours_problem(timezone, start, end)) is not None:
        refused = UpstreamProblem(422, "Working hours are incomplete", fields=[problem])
        return await _editor(request, viewer, upstream, typed, 422, problem=refused)
    try:
        saved = await upstream.call("routing", "PATCH", f"/v1/reps/{rep_id}", viewer.token, json=body)
    except UpstreamProblem as problem:
        if problem.status not in (409, 422):
            raise
        return await _editor(request, viewer, upstream, typed, problem.status, problem=problem)
    return redirect(request, "/team", f"Rep {saved['name']} changed.")
