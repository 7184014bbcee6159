"""Capture's HTTP endpoints."""

import asyncio
import json
import math
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from leadflow_capture import metrics
from leadflow_capture.domain import InvalidLead, NormalizedLead, form_to_lead_fields, parse_lead
from leadflow_capture.openapi import BODY_PROBLEMS, MAX_BATCH, one_or_many, request_body, schema_ref
from leadflow_capture.people import Accepted, Submission
from leadflow_common.events import Channel
from leadflow_common.http import Problem, field_problem, require_api_key
from leadflow_common.inputs import unacceptable_field

HONEYPOT_FIELD = "_gotcha"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

router = APIRouter(prefix="/v1")


class AcceptedResponse(BaseModel):
    lead_id: uuid.UUID
    submission_id: uuid.UUID


async def read_limited_body(request: Request) -> bytes:
    """The body, or 413 as soon as it is larger than CAPTURE_MAX_BODY_BYTES."""
    limit = request.app.state.capture_settings.max_body_bytes
    too_large = Problem(413, "Payload too large", f"The body may have at most {limit} bytes")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    # Starlette replays a cached body to request.form() (multipart) once the stream is read.
    request._body = bytes(body)
    return request._body


def storable(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields, or a 422 naming the first one that cannot be stored."""
    if (found := unacceptable_field(fields)) is not None:
        raise field_problem(*found)
    return fields


async def read_fields(request: Request, *, allow_form: bool) -> dict[str, Any]:
    """The submission's fields from a JSON or form body, with 413, 415 and 400 for bodies that
    are too large, of another type, or malformed, and 422 for text that cannot be stored."""
    return storable(await _read_fields(request, allow_form=allow_form))


async def _read_fields(request: Request, *, allow_form: bool) -> dict[str, Any]:
    body = await read_limited_body(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            fields = json.loads(body)
        except (ValueError, RecursionError):
            raise Problem(400, "Malformed JSON", "The body is not valid UTF-8 JSON") from None
        if not isinstance(fields, dict):
            raise field_problem("body", "must be an object", "The body must be a JSON object")
        return fields
    if allow_form and media_type == FORM_TYPES[0]:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise Problem(400, "Malformed form", "The body is not valid UTF-8") from None
        return form_to_lead_fields(dict(pairs))
    if allow_form and media_type == FORM_TYPES[1]:
        form = await request.form()
        return form_to_lead_fields({k: v for k, v in form.items() if isinstance(v, str)})
    accepted = "application/json" + (" or a form" if allow_form else "")
    raise Problem(415, "Unsupported media type", f"Send {accepted}")


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


async def store(
    request: Request,
    lead: NormalizedLead,
    channel: Channel,
    fields: dict[str, Any],
    *,
    idempotency_key: str | None = None,
) -> Accepted:
    """Stored once this returns: the submission's batch has committed."""
    submission = Submission(
        lead=lead,
        channel=channel,
        payload=fields,
        idempotency_key=idempotency_key or request.headers.get("idempotency-key"),
    )
    return await request.app.state.submission_writer.submit(submission)


def accepted_response(accepted: Accepted) -> JSONResponse:
    body = {"lead_id": str(accepted.lead_id), "submission_id": str(accepted.submission_id)}
    return JSONResponse(body, status_code=202)


def dropped_response(channel: Channel) -> JSONResponse:
    """What a bot that filled the honeypot sees: the usual answer, with nothing behind it."""
    metrics.HONEYPOT_HITS.labels(channel=channel.value).inc()
    return JSONResponse({"lead_id": str(uuid.uuid4()), "submission_id": str(uuid.uuid4())}, status_code=202)


async def limit_public_submissions(request: Request) -> None:
    """429 once a client has used up its per-minute submissions (CAPTURE_RATE_LIMIT)."""
    buckets = request.app.state.rate_limiter
    if buckets is None:
        return
    client = request.client.host if request.client else "unknown"
    wait = buckets.take(client, time.monotonic())
    if wait:
        metrics.RATE_LIMITED.inc()
        raise Problem(
            429,
            "Too many requests",
            "Too many submissions from this client; try again later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


@router.post(
    "/leads/landing-page",
    status_code=202,
    response_model=AcceptedResponse,
    summary="A landing page's form (form-encoded or JSON)",
    responses={303: {"description": "Redirect to `redirect_to`"}, **BODY_PROBLEMS, 429: {}},
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
    accepted = await store(request, lead, Channel.landing_page, fields)
    if target:
        return RedirectResponse(target, status_code=303)
    return accepted_response(accepted)


POPUP_TRIGGERS = ("exit_intent", "timer", "scroll", "click", "page_load")


@router.post(
    "/leads/popup",
    status_code=202,
    response_model=AcceptedResponse,
    summary="A website popup's form (JSON, cross-origin)",
    responses={**BODY_PROBLEMS, 429: {}},
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
    return accepted_response(await store(request, lead, Channel.popup, fields))


class BatchItemResult(BaseModel):
    index: int
    status: int
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
    responses={401: {}, **BODY_PROBLEMS},
    openapi_extra=request_body(one_or_many("LeadInput", "leads")),
)
async def submit_leads(request: Request) -> Response:
    fields = await read_fields(request, allow_form=False)
    if "leads" not in fields:
        lead = validate(fields, request)
        return accepted_response(await store(request, lead, Channel.api, fields))
    items = fields["leads"]
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise field_problem("leads", f"a list of 1 to {MAX_BATCH} leads")
    # The CSV importer marks its batches so the lead's channel says where it came from.
    channel = Channel.import_ if request.headers.get("x-leadflow-channel") == "import" else Channel.api
    batch_key = request.headers.get("idempotency-key")
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
                {"name": f"leads[{index}].{f['name']}", "message": f["message"]} for f in problem.fields or []
            ]
            results.append(BatchItemResult(index=index, status=422, errors=errors))
            continue
        key = f"{batch_key}:{index}" if batch_key else None
        results.append(BatchItemResult(index=index, status=202))
        stores.append(store(request, lead, channel, item, idempotency_key=key))
    # Together, in order: the writer commits them in as few transactions as it can.
    stored = iter(await asyncio.gather(*stores))
    for result in results:
        if result.status == 202:
            accepted = next(stored)
            result.lead_id, result.submission_id = accepted.lead_id, accepted.submission_id
    accepted_count = sum(1 for r in results if r.status == 202)
    body = BatchResponse(accepted=accepted_count, rejected=len(results) - accepted_count, results=results)
    return JSONResponse(body.model_dump(mode="json"), status_code=202)
