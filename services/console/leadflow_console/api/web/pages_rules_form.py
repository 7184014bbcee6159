"""The scoring rules as forms: per profile the thresholds, fit criteria, engagement and decay,
with the Preview beside them. The form posts the whole document; the scoring service validates
it whole, and its field errors come back at the inputs, in words, with what was typed kept."""

from fastapi import APIRouter, Request
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
from leadflow_console.domain import account_rules_form, rules_form

router = APIRouter(include_in_schema=False)
CHANNELS = ("landing_page", "popup", "sms", "api", "import")


async def _form_page(
    request: Request,
    viewer: Viewer,
    upstream: Upstream,
    rows: rules_form.Rows | None = None,
    status: int = 200,
    **context: object,
) -> Response:
    in_use = await upstream.call_object("scoring", "GET", "/v1/scoring/rules", viewer.token)
    account_rows = context.pop("account_rows", None) or account_rules_form.rows_from_document(in_use["rules"])
    rows = rules_form.with_spare_rows(rows) if rows else rules_form.rows_from_document(in_use["rules"])
    # What a form posted back started from stays so (a refused save starts from the newest).
    based_on = context.pop("based_on", None)
    based_on = based_on if isinstance(based_on, int) else newest_of(in_use)
    return page(
        request,
        "scoring.html",
        viewer,
        status,
        based_on=based_on,
        newest=newest_of(in_use),
        rules_newer=newer_region(viewer, based_on, "forms"),
        editor_path="/scoring",
        version=in_use["version"],
        problems=in_use.get("problems", []),
        rows=rows,
        account_rows=account_rows,
        numbers=account_rules_form.NUMBERS,
        channels=CHANNELS,
        field_title=rules_form.field_title,
        errors=context.pop("errors", {}),
        elsewhere=context.pop("elsewhere", []),
        **context,
    )


@router.get("/scoring", summary="admin, marketer: the rules in use as forms, to edit and preview")
async def rules_form_page(request: Request, viewer: Analysts, upstream: UpstreamDep) -> Response:
    return await _form_page(request, viewer, upstream)


async def _send(
    upstream: Upstream,
    viewer: Viewer,
    candidate: rules_form.Candidate,
    save: bool,
    based_on: int | None = None,
) -> tuple[JsonObject | None, dict[str, str], list[str]]:
    """The scoring service's answer to the candidate, or its field errors placed at the inputs
    (a save refused as based on an older version raises: the caller says so)."""
    if candidate.errors:
        return None, candidate.errors, []
    path = "/v1/scoring/rules/preview"
    try:
        if save:
            return await save_rules(upstream, viewer, candidate.document, based_on), {}, []
        return (
            await upstream.call_object("scoring", "POST", path, viewer.token, json=candidate.document),
            {},
            [],
        )
    except UpstreamProblem as problem:
        if problem.status != 422:
            raise
        fields = problem.listed() or [{"name": "", "message": problem.detail or problem.title}]
        errors, elsewhere = rules_form.place_errors(candidate, fields)
        return None, errors, elsewhere


@router.post("/scoring", summary="admin, marketer: preview the rules in the form, or save and use them")
async def post_rules_form(
    request: Request, viewer: Analysts, upstream: UpstreamDep, read_model: ReadModelDep
) -> Response:
    form = await request.form()
    typed = {name: value for name, value in form.items() if isinstance(value, str)}
    rows = rules_form.rows_from_form(typed)
    candidate = rules_form.document_from_rows(rows)
    account = account_rules_form.rows_from_form(typed)
    account_rules_form.add_to_document(candidate, account)
    save = typed.get("action") == "save"
    based_on = posted_based_on(typed.get("based_on"))
    try:
        answer, errors, elsewhere = await _send(upstream, viewer, candidate, save, based_on)
    except UpstreamProblem as problem:
        if problem.status != STALE:
            raise
        # Another version was saved since this form's: what was typed comes back, said so.
        return await _form_page(
            request, viewer, upstream, rows, 409, account_rows=account, stale_from=based_on
        )
    if answer is None:
        return await _form_page(
            request,
            viewer,
            upstream,
            rows,
            422,
            errors=errors,
            elsewhere=elsewhere,
            account_rows=account,
            asked="save" if save else "preview",
            based_on=based_on,
        )
    if save:
        notice = f"Rules version {answer['version']} is in use; every lead is being re-scored."
        return redirect(request, "/scoring", notice)
    await read_model.name_moved_leads(answer)
    return await _form_page(
        request, viewer, upstream, rows, preview=answer, account_rows=account, based_on=based_on
    )


@router.post(
    "/scoring/bands/preview", summary="admin, marketer: the proposed thresholds, previewed in the form"
)
async def preview_bands(
    request: Request, viewer: Analysts, upstream: UpstreamDep, read_model: ReadModelDep
) -> Response:
    """The rules in use with the thresholds the model page proposed, previewed: nothing is saved
    until the marketer has seen the effect and pressed Save."""
    form = await request.form()
    in_use = await upstream.call_object("scoring", "GET", "/v1/scoring/rules", viewer.token)
    rows = rules_form.rows_from_document(in_use["rules"])
    for profile in rules_form.PROFILES:
        for name in ("warm", "hot"):
            proposed = form.get(f"{profile}.{name}")
            if isinstance(proposed, str) and proposed:
                rows[profile]["thresholds"][name] = proposed
    candidate = rules_form.document_from_rows(rows)
    account_rows = account_rules_form.rows_from_document(in_use["rules"])
    for name in ("warm", "hot"):
        if isinstance(proposed := form.get(f"accounts.{name}"), str) and proposed:
            account_rows["thresholds"][name] = proposed
    account_rules_form.add_to_document(candidate, account_rows)
    answer, errors, elsewhere = await _send(upstream, viewer, candidate, save=False)
    status = 200 if answer is not None else 422
    await read_model.name_moved_leads(answer)
    return await _form_page(
        request,
        viewer,
        upstream,
        rows,
        status,
        preview=answer,
        errors=errors,
        elsewhere=elsewhere,
        account_rows=account_rows,
        from_bands=True,
        based_on=newest_of(in_use),  # the rules its rows came from
    )
