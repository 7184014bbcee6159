"""Capture's HTTP endpoints."""

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from leadflow_capture.api.bodies import FORM_TYPES, from_browser_form, read_fields
from leadflow_capture.api.openapi import BODY_PROBLEMS, MAX_BATCH, one_or_many, request_body, schema_ref
from leadflow_capture.api.visitor_pages import page_response, thank_you_page
from leadflow_capture.app.services import Intake
from leadflow_capture.deps import IdempotencyKeyDep, IntakeDep, get_public_intake
from leadflow_capture.domain.leads import InvalidLead
from leadflow_capture.domain.people import Accepted, KeyConflict
from leadflow_common.access import Principal, Scope
from leadflow_common.auth import public_route, requires
from leadflow_common.errors import FieldError, Invalid
from leadflow_common.events import Channel
from leadflow_common.http import MAX_LISTED_FIELDS, Problem

HONEYPOT_FIELD = "_gotcha"
router = APIRouter(prefix="/v1")


class AcceptedResponse(BaseModel):
    lead_id: uuid.UUID
    submission_id: uuid.UUID


def accepted_response(accepted: Accepted) -> JSONResponse:
    body = {"lead_id": str(accepted.lead_id), "submission_id": str(accepted.submission_id)}
    return JSONResponse(body, status_code=202)


def landing_answer(request: Request, accepted: Accepted, redirect_to: object, intake: Intake) -> Response:
    """303 to an allowed `redirect_to`. Otherwise a person whose browser posted the form reads
    capture's thank-you page (a `redirect_to` given but refused is reported to the operator), and
    a script reads the usual 202. The submission is stored either way."""
    target = intake.redirect_target(redirect_to) if redirect_to not in (None, "") else None
    if target:
        return RedirectResponse(target, status_code=303)
    if from_browser_form(request):
        return page_response(thank_you_page(request.headers.get("referer")), 202)
    return accepted_response(accepted)


@router.post(
    "/leads/landing-page",
    status_code=202,
    response_model=AcceptedResponse,
    summary="A landing page's form (form-encoded or JSON)",
    responses={
        202: {
            "content": {"text/html": {}},
            "description": "Accepted (for a browser's form post without an allowed `redirect_to`: "
            "a thank-you page)",
        },
        303: {"description": "Redirect to an allowed `redirect_to`"},
        **BODY_PROBLEMS,
        409: {},
        429: {},
    },
    openapi_extra=public_route(request_body(schema_ref("LeadInput"), "application/json", *FORM_TYPES)),
)
async def landing_page(request: Request) -> Response:
    intake, key = await get_public_intake(request)
    fields = await read_fields(request, allow_form=True)
    # What the visitor typed, for the page naming the fields to correct (main.answer_problem).
    request.state.submitted = fields
    # A bot that filled the honeypot is answered as anyone else: validated, then redirected or
    # answered alike, after a real submission's time (Intake.drop).
    trapped = fields.pop(HONEYPOT_FIELD, None)
    redirect_to = fields.pop("redirect_to", None)
    lead = intake.validate(fields, Channel.landing_page)
    if trapped:
        accepted = await intake.drop(Channel.landing_page)
    else:
        accepted = await intake.store(lead, Channel.landing_page, fields, key=key)
    return landing_answer(request, accepted, redirect_to, intake)


POPUP_TRIGGERS = ("exit_intent", "timer", "scroll", "click", "page_load")


@router.post(
    "/leads/popup",
    status_code=202,
    response_model=AcceptedResponse,
    summary="A website popup's form (JSON, cross-origin)",
    responses={**BODY_PROBLEMS, 409: {}, 429: {}},
    openapi_extra=public_route(
        request_body(
            {
                "allOf": [
                    schema_ref("LeadInput"),
                    {
                        "type": "object",
                        # `null` is "not given", as for every field of a lead from a form.
                        "properties": {
                            "popup_id": {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "null"}]},
                            "trigger": {
                                "anyOf": [{"type": "string", "enum": list(POPUP_TRIGGERS)}, {"type": "null"}]
                            },
                        },
                    },
                ]
            }
        )
    ),
)
async def popup(request: Request) -> Response:
    intake, key = await get_public_intake(request)
    fields = await read_fields(request, allow_form=False)
    trapped = fields.pop(HONEYPOT_FIELD, None)
    popup_id, trigger = fields.pop("popup_id", None), fields.pop("trigger", None)
    problems: list[FieldError] = []
    if popup_id is not None and (not isinstance(popup_id, str) or not 0 < len(popup_id) <= 100):
        problems.append(FieldError(name="popup_id", message="a string of 1 to 100 characters"))
    if trigger is not None and trigger not in POPUP_TRIGGERS:
        problems.append(FieldError(name="trigger", message=f"one of {', '.join(POPUP_TRIGGERS)}"))
    if problems:
        raise Problem(422, "Validation failed", "The submission has invalid fields", fields=problems)
    kept = {name: value for name, value in (("popup_id", popup_id), ("popup_trigger", trigger)) if value}
    if kept and isinstance(fields.get("attributes", {}), dict):  # anything else fails validation below
        fields["attributes"] = {**fields.get("attributes", {}), **kept}
    lead = intake.validate(fields, Channel.popup)
    if trapped:
        return accepted_response(await intake.drop(Channel.popup))
    return accepted_response(await intake.store(lead, Channel.popup, fields, key=key))


class BatchItemResult(BaseModel):
    index: int
    status: int = Field(description="202 accepted, 409 key used for another lead, 422 invalid")
    lead_id: uuid.UUID | None = None
    submission_id: uuid.UUID | None = None
    errors: list[dict[str, str]] | None = None


class BatchResponse(BaseModel):
    accepted: int
    rejected: int
    results: list[BatchItemResult]


@router.post(
    "/leads",
    status_code=202,
    response_model=AcceptedResponse | BatchResponse,
    summary='One lead, or up to 1,000 as {"leads": [...]}, server to server',
    responses={409: {}, **BODY_PROBLEMS},
    openapi_extra=request_body(one_or_many("LeadInput", "leads")),
)
async def submit_leads(
    request: Request,
    principal: Annotated[Principal, requires(Scope.leads_write)],  # first: a 401 before anything
    intake: IntakeDep,
    batch_key: IdempotencyKeyDep,
) -> Response:
    fields = await read_fields(request, allow_form=False)
    caller = principal.actor
    if "leads" not in fields:
        lead = intake.validate(fields, Channel.api)
        return accepted_response(await intake.store(lead, Channel.api, fields, key=batch_key, caller=caller))
    items = fields["leads"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise Invalid.field("leads", f"a list of 1 to {MAX_BATCH} leads")
    # The CSV importer marks its batches so the lead's channel says where it came from.
    channel = Channel.import_ if request.headers.get("x-leadflow-channel") == "import" else Channel.api
    results: list[BatchItemResult] = []
    stores = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors = [{"name": f"leads[{index}]", "message": "must be an object"}]
            results.append(BatchItemResult(index=index, status=422, errors=errors))
            continue
        try:
            lead = intake.validate(item, channel)
        except InvalidLead as problem:
            errors = [
                {"name": f"leads[{index}].{field.name}", "message": field.message}
                for field in problem.errors[:MAX_LISTED_FIELDS]
            ]
            results.append(BatchItemResult(index=index, status=422, errors=errors))
            continue
        key = f"{batch_key}:{index}" if batch_key else None
        results.append(BatchItemResult(index=index, status=202))
        stores.append(intake.submit(lead, channel, item, key=key, caller=caller))
    # Together, in order: the writer commits them in as few transactions as it can.
    stored = iter(await asyncio.gather(*stores))
    for result in results:
        if result.status != 202:
            continue
        accepted = next(stored)
        if isinstance(accepted, KeyConflict):
            result.status = 409
            result.errors = [{"name": f"leads[{result.index}]", "message": "key used for another lead"}]
        else:
            result.lead_id, result.submission_id = accepted.lead_id, accepted.submission_id
    accepted_count = sum(1 for r in results if r.status == 202)
    body = BatchResponse(accepted=accepted_count, rejected=len(results) - accepted_count, results=results)
    return JSONResponse(body.model_dump(mode="json"), status_code=202)
