"""Webhooks, edited by an admin (every route: admin only): create an endpoint (its signing
secret shown once, in the answer to the creation), change its events, enable or disable it,
send it a test event, and page through its deliveries, sending one again (a failed one: retry;
any other: replay). The webhooks service owns them and checks everything again. Both pages
follow the present (pages_webhooks_live.py)."""

import uuid
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from leadflow_console.api.web import forms
from leadflow_console.api.web.deps import AdminOnly, UpstreamDep
from leadflow_console.api.web.forms import FormErrors
from leadflow_console.api.web.live_regions import live_region
from leadflow_console.api.web.render import page, redirect
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import JsonObject, Upstream, UpstreamProblem
from leadflow_console.domain.status import DeliveryStatus

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
WEBHOOK_FIELDS = ("url", "events", "description", "enabled")
LIST_PART, ENDPOINT_PART = "_webhooks_live.html", "_webhook_live.html"


async def _event_types(upstream: Upstream, viewer: Viewer) -> list[JsonObject]:
    return await upstream.call_list("webhooks", "GET", "/v1/webhooks/event-types", viewer.token)


async def _list(
    request: Request, viewer: Viewer, upstream: Upstream, status: int = 200, **context: object
) -> Response:
    endpoints = await upstream.call_list("webhooks", "GET", "/v1/webhooks", viewer.token)
    types = await _event_types(upstream, viewer)
    live = live_region(LIST_PART, "/admin/webhooks/stream", viewer=viewer, endpoints=endpoints)
    return page(request, "webhooks.html", viewer, status, live=live, event_types=types, **context)


@router.get("/admin/webhooks", summary="admin: webhook endpoints, and a form to add one")
async def webhooks(request: Request, viewer: AdminOnly, upstream: UpstreamDep) -> Response:
    return await _list(request, viewer, upstream)


def web_address(errors: FormErrors, text: str) -> str:
    text = text.strip()
    parts = urlsplit(text)
    if not text:
        errors.add("url", "required: the receiver's address, starting with https://")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add(
            "url", f"“{text}” is not a web address: it starts with https:// (or http://) and names a host"
        )
    return text


def chosen_events(errors: FormErrors, events: list[str]) -> list[str]:
    if not events:
        errors.add("events", "tick at least one event type: an endpoint without one is never sent anything")
    return events


@router.post("/admin/webhooks", summary="admin: add a webhook endpoint (its secret shown once)")
async def create_webhook(
    request: Request,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    url: Annotated[str, Form(max_length=2048)] = "",
    events: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 (FastAPI copies it)
    description: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    errors = FormErrors()
    body = {
        "url": web_address(errors, url),
        "events": chosen_events(errors, events),
        "description": description,
    }
    typed = {"url": url, "events": events, "description": description}
    if not errors:
        try:
            created = await upstream.call_object("webhooks", "POST", "/v1/webhooks", viewer.token, json=body)
        except UpstreamProblem as problem:
            if problem.status not in (409, 422):
                raise
            errors = forms.from_problem(problem, WEBHOOK_FIELDS)
        else:
            # The secret is in this answer only: the service never shows it again.
            return await _endpoint(request, viewer, upstream, created["id"], 201, secret=created["secret"])
    return await _list(request, viewer, upstream, 422, errors=errors, form=typed)


async def _endpoint(
    request: Request,
    viewer: Viewer,
    upstream: Upstream,
    webhook_id: str,
    status: int = 200,
    before: int | None = None,
    **context: object,
) -> Response:
    shown = await endpoint_shown(upstream, viewer, webhook_id, before)
    types = await _event_types(upstream, viewer)
    stream = f"/admin/webhooks/{webhook_id}/stream"
    live = live_region(
        ENDPOINT_PART, stream, {"before": str(before)} if before else {}, viewer=viewer, **shown
    )
    return page(request, "webhook.html", viewer, status, live=live, event_types=types, **shown, **context)


async def endpoint_shown(
    upstream: Upstream, viewer: Viewer, webhook_id: str, before: int | None
) -> dict[str, object]:
    """An endpoint and a page of its deliveries (those before `before`, or the newest), for its
    page and its stream alike."""
    endpoint = await upstream.call_object("webhooks", "GET", f"/v1/webhooks/{webhook_id}", viewer.token)
    path = f"/v1/webhooks/{webhook_id}/deliveries?limit={PAGE_SIZE + 1}" + (
        f"&before={before}" if before else ""
    )
    found = await upstream.call_list("webhooks", "GET", path, viewer.token)
    deliveries, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    older = deliveries[-1]["seq"] if more and deliveries else None
    return {"endpoint": endpoint, "deliveries": deliveries, "older": older, "paged": before is not None}


@router.get("/admin/webhooks/{webhook_id}", summary="admin: one endpoint and its deliveries, paged")
async def webhook(
    request: Request,
    webhook_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    return await _endpoint(request, viewer, upstream, str(webhook_id), before=before)


@router.post("/admin/webhooks/{webhook_id}/events", summary="admin: change the events an endpoint is sent")
async def change_events(
    request: Request,
    webhook_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    events: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 (FastAPI copies it)
    description: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    errors = FormErrors()
    body = {"events": chosen_events(errors, events), "description": description}
    if not errors:
        path = f"/v1/webhooks/{webhook_id}"
        try:
            await upstream.send("webhooks", "PATCH", path, viewer.token, json=body)
        except UpstreamProblem as problem:
            if problem.status != 422:
                raise
            errors = forms.from_problem(problem, WEBHOOK_FIELDS)
        else:
            return redirect(request, f"/admin/webhooks/{webhook_id}", "Events changed.")
    typed = {"events": events, "description": description}
    return await _endpoint(request, viewer, upstream, str(webhook_id), 422, errors=errors, form=typed)


@router.post("/admin/webhooks/{webhook_id}/enabled", summary="admin: enable or disable an endpoint")
async def set_enabled(
    request: Request,
    webhook_id: uuid.UUID,
    viewer: AdminOnly,
    upstream: UpstreamDep,
    enabled: Annotated[Literal["yes", "no"], Form()],
) -> Response:
    body = {"enabled": enabled == "yes"}
    await upstream.send("webhooks", "PATCH", f"/v1/webhooks/{webhook_id}", viewer.token, json=body)
    notice = (
        "Endpoint enabled." if enabled == "yes" else "Endpoint disabled: nothing is sent to it until enabled."
    )
    return redirect(request, f"/admin/webhooks/{webhook_id}", notice)


@router.post("/admin/webhooks/{webhook_id}/test", summary="admin: send an endpoint a test event now")
async def send_test(
    request: Request, webhook_id: uuid.UUID, viewer: AdminOnly, upstream: UpstreamDep
) -> Response:
    sent = await upstream.call_object("webhooks", "POST", f"/v1/webhooks/{webhook_id}/test", viewer.token)
    delivered = sent["status"] == DeliveryStatus.succeeded
    return redirect(request, f"/admin/webhooks/{webhook_id}", test_result(sent), problem=not delivered)


def test_result(delivery: JsonObject) -> str:
    attempt = delivery["attempts"][-1]
    took = f"in {attempt['latency_ms']} ms"
    if delivery["status"] == DeliveryStatus.succeeded:
        return f"Test event delivered: the receiver answered {attempt['status_code']} {took}."
    if attempt["status_code"] is not None:
        return f"Test event not accepted: the receiver answered {attempt['status_code']} {took}."
    return f"Test event not delivered: {attempt['error']}."


@router.post(
    "/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/again",
    summary="admin: send one delivery again now (retry a failed one, replay any other)",
)
async def send_again(
    request: Request, webhook_id: uuid.UUID, delivery_id: uuid.UUID, viewer: AdminOnly, upstream: UpstreamDep
) -> Response:
    path = f"/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"
    await upstream.send("webhooks", "POST", path, viewer.token)
    return redirect(
        request, f"/admin/webhooks/{webhook_id}", "The delivery is being sent again (same webhook-id)."
    )
