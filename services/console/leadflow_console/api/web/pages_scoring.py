"""The scoring rules as JSON: the advanced view of the same document the form edits
(`pages_rules_form.py`), with its validation errors and a preview before saving. The rules are
the scoring service's, called as the signed-in user."""

import json
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow_console.api.web.deps import Analysts, ReadModelDep, UpstreamDep
from leadflow_console.api.web.pages_rules_versions import (
    STALE,
    newer_region,
    newest_of,
    posted_based_on,
    save_rules,
)
from leadflow_console.api.web.render import page, redirect
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import JsonObject, Upstream, UpstreamProblem
from leadflow_console.domain import rules_form

router = APIRouter(include_in_schema=False)
MAX_RULES_CHARS = 100_000


def _parse(text: str) -> tuple[JsonObject | None, list[dict[str, str]]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [{"name": "rules", "message": rules_form.json_problem(error)}]
    if not isinstance(document, dict):
        return None, [{"name": "rules", "message": "must be a JSON object"}]
    return document, []


async def _editor(
    request: Request,
    viewer: Viewer,
    upstream: Upstream,
    text: str | None = None,
    status: int = 200,
    **context: object,
) -> Response:
    in_use = await upstream.call_object("scoring", "GET", "/v1/scoring/rules", viewer.token)
    if text is None:
        text = json.dumps(in_use["rules"], indent=2)
    problems = in_use.get("problems", [])
    # What a form posted back started from stays so (a refused save starts from the newest).
    based_on = context.pop("based_on", None)
    based_on = based_on if isinstance(based_on, int) else newest_of(in_use)
    return page(
        request,
        "scoring_json.html",
        viewer,
        status,
        based_on=based_on,
        newest=newest_of(in_use),
        rules_newer=newer_region(viewer, based_on, "json"),
        editor_path="/scoring/json",
        version=in_use["version"],
        text=text,
        problems=problems,
        **context,
    )


@router.get("/scoring/json", summary="admin, marketer: the rules in use as JSON, to edit and preview")
async def rules_json_page(request: Request, viewer: Analysts, upstream: UpstreamDep) -> Response:
    return await _editor(request, viewer, upstream)


@router.post("/scoring/preview", summary="admin, marketer: what candidate rules would change")
async def preview(
    request: Request,
    viewer: Analysts,
    upstream: UpstreamDep,
    read_model: ReadModelDep,
    rules: Annotated[str, Form(max_length=MAX_RULES_CHARS)],
    based_on: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    document, errors = _parse(rules)
    result = None
    if document is not None:
        try:
            result = await upstream.call_object(
                "scoring", "POST", "/v1/scoring/rules/preview", viewer.token, json=document
            )
        except UpstreamProblem as problem:
            if problem.status != 422:
                raise
            errors = problem.listed() or [{"name": "rules", "message": problem.detail or ""}]
    status = 422 if errors else 200
    await read_model.name_moved_leads(result)
    started = posted_based_on(based_on)
    return await _editor(
        request, viewer, upstream, rules, status, errors=errors, preview=result, based_on=started
    )


@router.post("/scoring/save", summary="admin, marketer: put candidate rules into use")
async def save(
    request: Request,
    viewer: Analysts,
    upstream: UpstreamDep,
    rules: Annotated[str, Form(max_length=MAX_RULES_CHARS)],
    based_on: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    document, errors = _parse(rules)
    started = posted_based_on(based_on)
    if document is not None:
        try:
            saved = await save_rules(upstream, viewer, document, started)
        except UpstreamProblem as problem:
            if problem.status == STALE:  # another version was saved since: what was typed comes back
                return await _editor(request, viewer, upstream, rules, 409, stale_from=started)
            if problem.status != 422:
                raise
            errors = problem.listed() or [{"name": "rules", "message": problem.detail or ""}]
        else:
            return redirect(
                request,
                "/scoring/json",
                f"Rules version {saved['version']} is in use; every lead is being re-scored.",
            )
    return await _editor(request, viewer, upstream, rules, 422, errors=errors, based_on=started)
