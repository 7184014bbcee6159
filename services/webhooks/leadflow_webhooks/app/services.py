"""The webhooks service's use cases: endpoints (with their secrets), the consumer that turns
events into deliveries, the delivery log, retry and replay. Each change in one unit of work,
audited with it."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import get_args

from leadflow_common.access import Principal
from leadflow_common.errors import Invalid, NotFound
from leadflow_common.events import CloudEvent
from leadflow_common.runtime import ServiceRuntime
from leadflow_webhooks.app import trial
from leadflow_webhooks.app.outbound import OutboundClient
from leadflow_webhooks.domain.addresses import RefusedTarget, check_url
from leadflow_webhooks.domain.schemas import EventType
from leadflow_webhooks.domain.signing import new_secret
from leadflow_webhooks.domain.status import DeliveryStatus
from leadflow_webhooks.settings import WebhooksSettings
from leadflow_webhooks.store import notice_store, repository
from leadflow_webhooks.store.notice_store import Channels as Channels  # the API names these
from leadflow_webhooks.store.repository import Delivery as Delivery
from leadflow_webhooks.store.repository import Endpoint as Endpoint

# The event types a webhook may subscribe to: the API's own list.
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


# Whatever an endpoint subscribed to, it was sent a person's data: it hears of their erasure.
TOLD_TO_EVERY_ENDPOINT = ("lead.erased",)


def _now() -> datetime:
    return datetime.now(UTC)


# How long another process's change to the subscriptions may take to apply in this one.
SUBSCRIBERS_TTL = 2.0


class WebhooksService:
    def __init__(self, runtime: ServiceRuntime, settings: WebhooksSettings, outbound: OutboundClient):
        self._runtime = runtime
        self._settings = settings
        self._outbound = outbound  # for test events, sent while the admin waits
        # Set once deliveries were added or rescheduled: this process's dispatcher sends them now.
        self.deliveries_due = asyncio.Event()
        self._subscribed: list[tuple[uuid.UUID, list[str]]] | None = None
        self._subscribed_until = 0.0

    async def _subscribers(self) -> list[tuple[uuid.UUID, list[str]]]:
        """Enabled endpoints and their event types, read at most every SUBSCRIBERS_TTL seconds:
        most events (captured, scored) have no subscriber, and then cost no transaction."""
        if self._subscribed is None or time.monotonic() >= self._subscribed_until:
            async with self._runtime.engine.connect() as connection:
                self._subscribed = await repository.subscribers(connection)
            self._subscribed_until = time.monotonic() + SUBSCRIBERS_TTL
        return self._subscribed

    async def subscribed_types(self) -> frozenset[str]:
        """The event types some enabled endpoint subscribes to (as of SUBSCRIBERS_TTL): the
        consumer decodes and opens no other for the fan-out."""
        return frozenset(kind for _, types in await self._subscribers() for kind in types)

    def _subscriptions_changed(self) -> None:
        self._subscribed = None  # this process applies its own change at once

    def _checked(self, url: str) -> str:
        try:
            check_url(url, self._settings.hosts_allowed)
        except RefusedTarget as refused:
            raise Invalid.field("url", str(refused)) from None
        return url

    async def create(
        self, principal: Principal, url: str, events: list[str], description: str, enabled: bool
    ) -> Endpoint:
        now = _now()
        async with self._runtime.unit_of_work() as uow:
            created = await repository.insert_endpoint(
                uow.connection,
                id=uuid.uuid4(),
                url=self._checked(url),
                events=sorted(set(events)),
                description=description,
                enabled=enabled,
                secret=new_secret(),
                created_by=principal.actor,
                created_at=now,
                updated_at=now,
            )
            await uow.audit(
                principal, "webhook.created", ("webhook", created.id), events=",".join(created.events)
            )
        self._subscriptions_changed()
        return created

    async def endpoints(self) -> list[Endpoint]:
        async with self._runtime.engine.connect() as connection:
            return await repository.list_endpoints(connection)

    async def endpoint(self, endpoint_id: uuid.UUID) -> Endpoint:
        async with self._runtime.engine.connect() as connection:
            found = await repository.endpoint(connection, endpoint_id)
        if found is None:
            raise NotFound(f"No webhook {endpoint_id}")
        return found

    async def update(self, principal: Principal, endpoint_id: uuid.UUID, changes: dict) -> Endpoint:
        async with self._runtime.unit_of_work() as uow:
            if await repository.endpoint(uow.connection, endpoint_id, lock=True) is None:
                raise NotFound(f"No webhook {endpoint_id}")
            values = dict(changes, updated_at=_now())
            if "url" in values:
                self._checked(values["url"])
            if "events" in values:
                values["events"] = sorted(set(values["events"]))
            if values.get("enabled"):
                values |= {"disabled_reason": None, "failing_since": None}  # enabled again by a person
            updated = await repository.update_endpoint(uow.connection, endpoint_id, **values)
            await uow.audit(
                principal, "webhook.updated", ("webhook", endpoint_id), changed=",".join(sorted(changes))
            )
        self._subscriptions_changed()
        return updated

    async def delete(self, principal: Principal, endpoint_id: uuid.UUID) -> None:
        async with self._runtime.unit_of_work() as uow:
            if not await repository.delete_endpoint(uow.connection, endpoint_id):
                raise NotFound(f"No webhook {endpoint_id}")
            await uow.audit(principal, "webhook.deleted", ("webhook", endpoint_id))
        self._subscriptions_changed()

    async def rotate_secret(
        self, principal: Principal, endpoint_id: uuid.UUID, overlap: timedelta
    ) -> Endpoint:
        """A new secret; the old one still signs (beside it) until the overlap ends."""
        now = _now()
        async with self._runtime.unit_of_work() as uow:
            current = await repository.endpoint(uow.connection, endpoint_id, lock=True)
            if current is None:
                raise NotFound(f"No webhook {endpoint_id}")
            rotated = await repository.update_endpoint(
                uow.connection,
                endpoint_id,
                secret=new_secret(),
                previous_secret=current.secret,
                previous_secret_until=now + overlap,
                updated_at=now,
            )
            await uow.audit(principal, "webhook.secret_rotated", ("webhook", endpoint_id))
        return rotated

    async def deliveries(
        self, endpoint_id: uuid.UUID, status: DeliveryStatus | None, limit: int, before: int | None = None
    ) -> list[tuple[Delivery, list]]:
        await self.endpoint(endpoint_id)
        async with self._runtime.engine.connect() as connection:
            # One snapshot for the deliveries and their attempts: read committed, an attempt
            # recorded between the two reads showed beside its delivery's older status.
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            return await repository.deliveries_of(connection, endpoint_id, status, limit, before)

    async def send_again(
        self,
        principal: Principal,
        endpoint_id: uuid.UUID,
        *,
        delivery_id: uuid.UUID | None = None,
        since: datetime | None = None,
    ) -> int:
        """One delivery, or everything since a time, sent again now (with the same webhook-id)."""
        async with self._runtime.unit_of_work() as uow:
            if await repository.endpoint(uow.connection, endpoint_id) is None:
                raise NotFound(f"No webhook {endpoint_id}")
            count = await repository.reschedule(
                uow.connection, endpoint_id, _now(), delivery_id=delivery_id, since=since
            )
            if delivery_id and count == 0:
                raise NotFound(f"No delivery {delivery_id}")
            await uow.audit(principal, "webhook.replayed", ("webhook", endpoint_id), deliveries=count)
        self.deliveries_due.set()
        return count

    async def send_test(self, principal: Principal, endpoint_id: uuid.UUID) -> uuid.UUID:
        """A test event sent now, once, and logged as a delivery; answers the delivery's id."""
        endpoint = await self.endpoint(endpoint_id)
        now = _now()
        event_id, payload = trial.test_event(endpoint_id, now)
        answer = await trial.send_once(self._outbound, endpoint, event_id, payload, now)
        at = _now()
        delivery_id = uuid.uuid4()
        delivery = {
            "id": delivery_id,
            "endpoint_id": endpoint_id,
            "event_id": event_id,
            "event_type": trial.TEST_EVENT_TYPE,
            "lead_id": "",
            "payload": payload,
            "status": DeliveryStatus.succeeded if answer.delivered else DeliveryStatus.failed,
            "attempts": 1,
            "next_attempt_at": at,
            "last_status_code": answer.status_code,
            "last_error": answer.error,
            "created_at": now,
            "delivered_at": at if answer.delivered else None,
        }
        attempt = {"delivery_id": delivery_id, "attempt": 1, "at": at, "status_code": answer.status_code}
        attempt |= {
            "latency_ms": answer.latency_ms,
            "response_snippet": answer.snippet,
            "error": answer.error,
        }
        async with self._runtime.unit_of_work() as uow:
            await repository.add_tried_delivery(uow.connection, delivery, attempt)
            await uow.audit(
                principal,
                "webhook.tested",
                ("webhook", endpoint_id),
                outcome="succeeded" if answer.delivered else "failed",
                status_code=answer.status_code,
            )
        return delivery_id

    async def delivery(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> tuple[Delivery, list]:
        async with self._runtime.engine.connect() as connection:
            found = await repository.delivery_of(connection, endpoint_id, delivery_id)
        if found is None:
            raise NotFound(f"No delivery {delivery_id}")
        return found

    async def fan_out(self, events: list[CloudEvent]) -> None:
        """The consumer: one pending delivery per subscribed endpoint and event (once, however
        often the event is redelivered); `lead.erased` to every endpoint."""
        now = _now()
        subscribed = await self._subscribers()
        rows = []
        for event in events:
            told = [
                endpoint_id
                for endpoint_id, types in subscribed
                if event.type in types or event.type in TOLD_TO_EVERY_ENDPOINT
            ]
            payload = event.model_dump_json() if told else ""  # once per event, not per endpoint
            rows += [
                {
                    "id": uuid.uuid4(),
                    "endpoint_id": endpoint_id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "lead_id": event.subject,
                    "payload": payload,
                    "status": DeliveryStatus.pending,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for endpoint_id in told
            ]
        if rows:
            async with self._runtime.unit_of_work() as uow:
                await repository.add_deliveries(uow.connection, rows)
                uow.after_commit(self.deliveries_due.set)

    async def channels(self, rep_id: uuid.UUID) -> Channels:
        async with self._runtime.engine.connect() as connection:
            return await notice_store.channels_of(connection, rep_id)

    async def set_channels(self, principal: Principal, channels: Channels) -> Channels:
        if channels.slack_url:
            try:
                check_url(channels.slack_url, self._settings.hosts_allowed)
            except RefusedTarget as refused:
                raise Invalid.field("slack_url", str(refused)) from None
        async with self._runtime.unit_of_work() as uow:
            await notice_store.set_channels(uow.connection, channels, _now())
            await uow.audit(principal, "rep.notifications_updated", ("rep", channels.rep_id))
        return channels
