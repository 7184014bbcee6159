"""Finding a lead and everything known about them. A rep sees only the leads offered to them:
anyone else's answers the 403 page, whether it exists or not."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from leadflow_common.access import Role
from leadflow_console.web.deps import AdminOnly, LeadWorkers, ReadModelDep, UpstreamDep
from leadflow_console.web.render import page
from leadflow_console.web.session import PageForbidden
from leadflow_console.web.upstream import UpstreamProblem

router = APIRouter(include_in_schema=False)


@router.get("/leads", summary="admin, marketer, rep: the search form")
async def leads(request: Request, viewer: LeadWorkers) -> Response:
    return page(request, "leads.html", viewer, q="", found=None)


# A search is posted, not put in the URL: emails and phone numbers stay out of access logs,
# browser history and referrers.
@router.post("/leads/search", summary="admin, marketer, rep (their own): by email, phone, name, company")
async def search(
    request: Request,
    viewer: LeadWorkers,
    read_model: ReadModelDep,
    q: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    rep_id = viewer.principal.rep_id if viewer.is_(Role.rep) else None
    found = await read_model.search(q, rep_id) if q.strip() else []
    return page(request, "leads.html", viewer, q=q, found=found)


@router.get("/leads/{lead_id}", summary="admin, marketer, rep (their own): the lead page")
async def lead_page(
    request: Request, lead_id: uuid.UUID, viewer: LeadWorkers, read_model: ReadModelDep, upstream: UpstreamDep
) -> Response:
    view, timeline = await read_model.lead(lead_id)
    if viewer.is_(Role.rep) and (view is None or view.rep_id != viewer.principal.rep_id):
        raise PageForbidden("This lead is not offered to you.")
    if view is None:
        return page(
            request, "error.html", viewer, 404, title="No such lead", message="Nothing is known by this id."
        )
    try:
        score = await upstream.call("scoring", "GET", f"/v1/leads/{lead_id}/score", viewer.token)
    except UpstreamProblem:
        score = None  # not scored yet, or scoring is away: the page shows what the read model has
    return page(request, "lead.html", viewer, lead=view, timeline=timeline, score=score)


@router.get("/leads/{lead_id}/export", summary="admin: everything held about the person, as a JSON file")
async def export(request: Request, lead_id: uuid.UUID, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    try:
        document = await upstream.call(
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
