"""The webhooks API: endpoints, their secrets, the delivery log, retry and replay."""

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.inputs import LARGEST_BIGINT
from leadflow_webhooks.app.services import EVENT_TYPES, Delivery, Endpoint
from leadflow_webhooks.deps import WebhooksDep
from leadflow_webhooks.domain.schemas import (
    EVENT_MEANINGS,
    AttemptOut,
    CreatedWebhook,
    DeliveryOut,
    EventTypeOut,
    Replay,
    Rescheduled,
    RotatedSecret,
    Rotation,
    WebhookChange,
    WebhookIn,
    WebhookOut,
)
from leadflow_webhooks.domain.status import DeliveryStatus

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Admin = Annotated[Principal, requires(Scope.webhooks_admin)]


def webhook_out(endpoint: Endpoint) -> dict:
    fields = ("id", "url", "events", "description", "enabled", "disabled_reason", "created_at", "updated_at")
    return {field: getattr(endpoint, field) for field in fields}


@router.post(
    "", status_code=201, summary="Subscribe an endpoint (the secret is shown once)", responses={422: {}}
)
async def create_webhook(body: WebhookIn, principal: Admin, webhooks: WebhooksDep) -> CreatedWebhook:
    created = await webhooks.create(
        principal, str(body.url), list(body.events), body.description, body.enabled
    )
    return CreatedWebhook(**webhook_out(created), secret=created.secret)


@router.get("", summary="Every endpoint")
async def list_webhooks(principal: Admin, webhooks: WebhooksDep) -> list[WebhookOut]:
    return [WebhookOut(**webhook_out(endpoint)) for endpoint in await webhooks.endpoints()]


@router.get("/event-types", summary="The event types an endpoint may subscribe to, with what each means")
async def event_types(principal: Admin) -> list[EventTypeOut]:
    return [EventTypeOut(type=name, meaning=EVENT_MEANINGS[name]) for name in EVENT_TYPES]


@router.get("/{webhook_id}", summary="One endpoint", responses={404: {}})
async def get_webhook(webhook_id: uuid.UUID, principal: Admin, webhooks: WebhooksDep) -> WebhookOut:
    return WebhookOut(**webhook_out(await webhooks.endpoint(webhook_id)))


@router.patch(
    "/{webhook_id}",
    summary="Change an endpoint (enabling it clears why it was disabled)",
    responses={404: {}, 422: {}},
)
async def update_webhook(
    webhook_id: uuid.UUID, body: WebhookChange, principal: Admin, webhooks: WebhooksDep
) -> WebhookOut:
    changes = body.model_dump(exclude_unset=True, mode="json")
    return WebhookOut(**webhook_out(await webhooks.update(principal, webhook_id, changes)))


@router.delete(
    "/{webhook_id}", status_code=204, summary="Remove an endpoint and its deliveries", responses={404: {}}
)
async def delete_webhook(webhook_id: uuid.UUID, principal: Admin, webhooks: WebhooksDep) -> None:
    await webhooks.delete(principal, webhook_id)


@router.post(
    "/{webhook_id}/secret",
    summary="A new secret; the old one keeps signing beside it for the overlap",
    responses={404: {}},
)
async def rotate_secret(
    webhook_id: uuid.UUID, body: Rotation, principal: Admin, webhooks: WebhooksDep
) -> RotatedSecret:
    rotated = await webhooks.rotate_secret(principal, webhook_id, timedelta(seconds=body.overlap_seconds))
    return RotatedSecret(secret=rotated.secret, previous_secret_until=rotated.previous_secret_until)


@router.get(
    "/{webhook_id}/deliveries",
    summary="The delivery log: each attempt's status, latency, response",
    responses={404: {}},
)
async def deliveries(
    webhook_id: uuid.UUID,
    principal: Admin,
    webhooks: WebhooksDep,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[
        int | None,
        Query(
            ge=1, le=LARGEST_BIGINT, description="The next page: deliveries older than the one of this `seq`"
        ),
    ] = None,
) -> list[DeliveryOut]:
    found = await webhooks.deliveries(webhook_id, status, limit, before)
    return [delivery_out(delivery, tries) for delivery, tries in found]


def delivery_out(delivery: Delivery, tries: list) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        seq=delivery.seq,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        lead_id=delivery.lead_id,
        status=delivery.status,
        attempts=[AttemptOut.model_validate(attempt._mapping) for attempt in tries],
        next_attempt_at=delivery.next_attempt_at
        if delivery.status is DeliveryStatus.pending and delivery.waiting_for is None
        else None,
        waiting_for=delivery.waiting_for,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
    )


@router.post(
    "/{webhook_id}/test",
    status_code=201,
    summary="Send a test event now, once (enabled or not); answers the delivery with the receiver's answer",
    responses={404: {}},
)
async def send_test(webhook_id: uuid.UUID, principal: Admin, webhooks: WebhooksDep) -> DeliveryOut:
    delivery_id = await webhooks.send_test(principal, webhook_id)
    return delivery_out(*await webhooks.delivery(webhook_id, delivery_id))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    summary="Send one delivery again now (a failed one: retry; any other: replay)",
    responses={404: {}},
)
async def retry(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, principal: Admin, webhooks: WebhooksDep
) -> Rescheduled:
    return Rescheduled(scheduled=await webhooks.send_again(principal, webhook_id, delivery_id=delivery_id))


@router.post(
    "/{webhook_id}/replay", status_code=202, summary="Send again everything since a time", responses={404: {}}
)
async def replay(webhook_id: uuid.UUID, body: Replay, principal: Admin, webhooks: WebhooksDep) -> Rescheduled:
    return Rescheduled(scheduled=await webhooks.send_again(principal, webhook_id, since=body.since))
