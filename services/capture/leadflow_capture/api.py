"""Capture's HTTP endpoints."""

import asyncio
import math
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from leadflow_capture import metrics
from leadflow_capture.bodies import FORM_TYPES, media_type, read_fields
from leadflow_capture.domain import InvalidLead, NormalizedLead, parse_lead
from leadflow_capture.openapi import BODY_PROBLEMS, MAX_BATCH, one_or_many, request_body, schema_ref
from leadflow_capture.people import Accepted, KeyConflict, Submission
from leadflow_capture.request_keys import checked_key, request_hash, scoped_key
from leadflow_common.clients import resolve_client
from leadflow_common.events import Channel
from leadflow_common.http import MAX_LISTED_FIELDS, Problem, field_problem, require_api_key

HONEYPOT_FIELD = "_gotcha"
# Who sent an API submission, for scoping its idempotency key (one key today; see the README).
API_CALLER = "api-key"

router = APIRouter(prefix="/v1")


class AcceptedResponse(BaseModel):
    lead_id: uuid.UUID
    submission_id: uuid.UUID


def validate(fields: dict[str, Any], request: Request) -> NormalizedLead:
    try:
        settings = request.app.state.capture_settings
        return parse_lead(
            fields, default_region=settings.default_region, blocked_domains=settings.blocked_domains
        )
    except InvalidLead as invalid:
        raise Problem(
            422,
            "Validation failed",
            "The submission has invalid fields",
            fields=[{"name": error.name, "message": error.message} for error in invalid.errors],
        ) from None


def allowed_redirect(target: str, request: Request) -> str:
    parts = urlsplit(target)
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    if parts.scheme not in ("http", "https") or origin not in {
        o.lower() for o in request.app.state.capture_settings.origins
    }:
        raise field_problem(
            "redirect_to",
            "not an allowed origin",
            "redirect_to must be on an allowed origin (CAPTURE_ALLOWED_ORIGINS)",
        )
    return target


def client_of(request: Request) -> str:
    """The client a public request counts against (leadflow_common.clients)."""
    peer = request.client.host if request.client else None
    return resolve_client(peer, request.headers.getlist("x-forwarded-for"), request.app.state.trusted_proxies)


def caller_of(channel: Channel, request: Request) -> str:
    return API_CALLER if channel in (Channel.api, Channel.import_) else client_of(request)


async def submit(
    request: Request, lead: NormalizedLead, channel: Channel, fields: dict[str, Any], *, key: str | None
) -> Accepted | KeyConflict:
    """Stored once this returns (the submission's batch has committed), or a conflict when
    the idempotency key was used for another request."""
    submission = Submission(
        lead=lead,
        channel=channel,
        payload=fields,
        idempotency_key=scoped_key(channel, caller_of(channel, request), key) if key else None,
        request_hash=request_hash(fields) if key else None,
    )
    return await request.app.state.submission_writer.submit(submission)


async def store(
    request: Request, lead: NormalizedLead, channel: Channel, fields: dict[str, Any], *, key: str | None
) -> Accepted:
    """As `submit`, with a conflict answered 409."""
    result = await submit(request, lead, channel, fields, key=key)
    if isinstance(result, KeyConflict):
        raise Problem(409, "Conflict", "This Idempotency-Key was used for a different request")
    return result


def idempotency_key(request: Request) -> str | None:
    return checked_key(request.headers.get("idempotency-key"))


def accepted_response(accepted: Accepted) -> JSONResponse:
    body = {"lead_id": str(accepted.lead_id), "submission_id": str(accepted.submission_id)}
    return JSONResponse(body, status_code=202)


def dropped_response(channel: Channel) -> JSONResponse:
    """What a bot that filled the honeypot sees: the usual answer, with nothing behind it."""
    metrics.HONEYPOT_HITS.labels(channel=channel.value).inc()
    return JSONResponse({"lead_id": str(uuid.uuid4()), "submission_id": str(uuid.uuid4())}, status_code=202)


class RateLimited(Problem):
    """429; a person's browser posting a form gets a page they can read (main.py)."""

    def __init__(self, wait: float, *, from_browser_form: bool):
        super().__init__(
            429,
            "Too many requests",
            "Too many submissions from this client; try again later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
        self.from_browser_form = from_browser_form


async def limit_public_submissions(request: Request) -> None:
    """429 once a client has used up its per-minute submissions (CAPTURE_RATE_LIMIT)."""
    buckets = request.app.state.rate_limiter
    if buckets is None:
        return
    wait = buckets.take(client_of(request), time.monotonic())
    if wait:
        metrics.RATE_LIMITED.inc()
        browser = media_type(request) in FORM_TYPES and "text/html" in request.headers.get("accept", "")
        raise RateLimited(wait, from_browser_form=browser)


@router.post(
    "/leads/landing-page",
    status_code=202,
    response_model=AcceptedResponse,
    summary="A landing page's form (form-encoded or JSON)",
    responses={303: {"description": "Redirect to `redirect_to`"}, **BODY_PROBLEMS, 409: {}, 429: {}},
    openapi_extra=request_body(schema_ref("LeadInput"), "application/json", *FORM_TYPES),
    dependencies=[Depends(limit_public_submissions)],
)
async def landing_page(request: Request) -> Response:
    fields = await read_fields(request, allow_form=True)
    if fields.pop(HONEYPOT_FIELD, None):
        return dropped_response(Channel.landing_page)
    redirect_to = fields.pop("redirect_to", None)
    target = allowed_redirect(str(redirect_to), request) if redirect_to else None
    lead = validate(fields, request)
    accepted = await store(request, lead, Channel.landing_page, fields, key=idempotency_key(request))
    if target:
        return RedirectResponse(target, status_code=303)
    return accepted_response(accepted)


POPUP_TRIGGERS = ("exit_intent", "timer", "scroll", "click", "page_load")


@router.post(
    "/leads/popup",
    status_code=202,
    response_model=AcceptedResponse,
    summary="A website popup's form (JSON, cross-origin)",
    responses={**BODY_PROBLEMS, 409: {}, 429: {}},
    openapi_extra=request_body(
        {
            "allOf": [
                schema_ref("LeadInput"),
                {
                    "type": "object",
                    "properties": {
                        "popup_id": {"type": "string", "maxLength": 100},
                        "trigger": {"type": "string", "enum": list(POPUP_TRIGGERS)},
                    },
                },
            ]
        }
    ),
    dependencies=[Depends(limit_public_submissions)],
)
async def popup(request: Request) -> Response:
    fields = await read_fields(request, allow_form=False)
    if fields.pop(HONEYPOT_FIELD, None):
        return dropped_response(Channel.popup)
    popup_id, trigger = fields.pop("popup_id", None), fields.pop("trigger", None)
    problems = []
    if popup_id is not None and (not isinstance(popup_id, str) or not 0 < len(popup_id) <= 100):
        problems.append({"name": "popup_id", "message": "a string of 1 to 100 characters"})
    if trigger is not None and trigger not in POPUP_TRIGGERS:
        problems.append({"name": "trigger", "message": f"one of {', '.join(POPUP_TRIGGERS)}"})
    if problems:
        raise Problem(422, "Validation failed", "The submission has invalid fields", fields=problems)
    kept = {name: value for name, value in (("popup_id", popup_id), ("popup_trigger", trigger)) if value}
    if kept and isinstance(fields.get("attributes", {}), dict):  # anything else fails validation below
        fields["attributes"] = {**fields.get("attributes", {}), **kept}
    lead = validate(fields, request)
    return accepted_response(await store(request, lead, Channel.popup, fields, key=idempotency_key(request)))


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
    dependencies=[Depends(require_api_key)],
    responses={401: {}, 409: {}, **BODY_PROBLEMS},
    openapi_extra=request_body(one_or_many("LeadInput", "leads")),
)
async def submit_leads(request: Request) -> Response:
    fields = await read_fields(request, allow_form=False)
    batch_key = idempotency_key(request)
    if "leads" not in fields:
        lead = validate(fields, request)
        return accepted_response(await store(request, lead, Channel.api, fields, key=batch_key))
    items = fields["leads"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise field_problem("leads", f"a list of 1 to {MAX_BATCH} leads")
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
            lead = validate(item, request)
        except Problem as problem:
            errors = [
                {"name": f"leads[{index}].{f['name']}", "message": f["message"]}
                for f in (problem.fields or [])[:MAX_LISTED_FIELDS]
            ]
            results.append(BatchItemResult(index=index, status=422, errors=errors))
            continue
        key = f"{batch_key}:{index}" if batch_key else None
        results.append(BatchItemResult(index=index, status=202))
        stores.append(submit(request, lead, channel, item, key=key))
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
