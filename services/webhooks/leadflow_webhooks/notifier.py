"""Reps are told: an offer at once (mail, and Slack when the rep has it), a reminder when a share
of the SLA has passed without an accept, and the previous rep when a lead moves on. Notices are
kept in PostgreSQL from `leads.routed` and sent by a loop that leases them (a restart resends at
most a notice that was in flight). The links come from routing, which alone holds their key."""

import asyncio
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from leadflow_common.events import AssignmentEvent, CloudEvent, LeadReassigned, LeadRouted, decode_event
from leadflow_common.runtime import ServiceRuntime
from leadflow_webhooks import metrics, notice_store
from leadflow_webhooks.mail import send_mail
from leadflow_webhooks.notice_store import Channels, Notice
from leadflow_webhooks.notices import Links, Message, moved_message, offer_message, slack_payload
from leadflow_webhooks.outbound import OutboundClient
from leadflow_webhooks.settings import NotifySettings

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BATCH = 16


def notices_for(event: CloudEvent, share: float, now: datetime) -> list[dict]:
    """The notices one routing event calls for."""
    data = event.data
    if not isinstance(data, LeadRouted | LeadReassigned) or data.rep is None:
        return []
    wire = event.model_dump_json()
    rows = [_notice("offer", data, data.rep.id, wire, now)]
    if data.sla_deadline:
        remind_at = event.time + (data.sla_deadline - event.time) * share
        rows.append(_notice("reminder", data, data.rep.id, wire, max(now, remind_at)))
    if isinstance(data, LeadReassigned) and data.previous_rep_id:
        rows.append(_notice("moved", data, data.previous_rep_id, wire, now))
    return rows


def _notice(kind: str, data: AssignmentEvent, rep_id: uuid.UUID, wire: str, due_at: datetime) -> dict:
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "assignment_id": data.assignment_id,
        "rep_id": rep_id,
        "event": wire,
        "status": "pending",
        "due_at": due_at,
        "created_at": datetime.now(UTC),
    }


class Notifier:
    def __init__(self, runtime: ServiceRuntime, settings: NotifySettings, outbound: OutboundClient):
        self._runtime = runtime
        self._settings = settings
        self._outbound = outbound
        self._routing = httpx.AsyncClient(
            base_url=settings.routing_url,
            timeout=10,
            headers={"Authorization": f"Bearer {runtime.settings.leadflow_api_key}"},
        )

    async def record(self, events: list[CloudEvent]) -> None:
        """The consumer of leads.routed: each notice kept once, however often events repeat."""
        now = datetime.now(UTC)
        rows = [row for event in events for row in notices_for(event, self._settings.reminder_share, now)]
        if not rows:
            return
        async with self._runtime.unit_of_work() as uow:
            # A notice nobody can be sent is not kept: no mail server and no Slack, no work.
            reachable = await notice_store.reps_with_channels(
                uow.connection, {row["rep_id"] for row in rows}, mail=bool(self._settings.smtp_host)
            )
            await notice_store.add_notices(
                uow.connection, [row for row in rows if row["rep_id"] in reachable]
            )

    async def run(self) -> None:
        try:
            while True:
                now = datetime.now(UTC)
                try:
                    async with self._runtime.unit_of_work() as uow:
                        due = await notice_store.claim_due(uow.connection, now, now + LEASE, BATCH)
                except Exception as error:
                    log.warning("cannot claim notices", extra={"error": type(error).__name__})
                    due = []
                await asyncio.gather(*(self._handle(notice) for notice in due))
                if not due:
                    await asyncio.sleep(0.2)
        finally:
            await self._routing.aclose()

    async def _handle(self, notice: Notice) -> None:
        event = decode_event(notice.event)
        try:
            sent = await self._send(notice, event)
            status = "sent" if sent else "skipped"
            async with self._runtime.unit_of_work() as uow:
                await notice_store.finish(uow.connection, notice.id, status=status, sent_at=datetime.now(UTC))
            metrics.NOTICES.labels(kind=notice.kind, outcome=status).inc()
            if sent and notice.kind == "offer":
                metrics.NOTICE_LATENCY.observe((datetime.now(UTC) - event.time).total_seconds())
        except Exception as error:
            await self._failed(notice, error)

    async def _failed(self, notice: Notice, error: Exception) -> None:
        attempts = notice.attempts + 1
        gave_up = attempts >= self._settings.max_attempts
        values = {"attempts": attempts, "last_error": f"{type(error).__name__}: {error}"[:500]}
        values |= (
            {"status": "failed"}
            if gave_up
            else {"due_at": datetime.now(UTC) + timedelta(seconds=5 * 2**attempts)}
        )
        async with self._runtime.unit_of_work() as uow:
            await notice_store.finish(uow.connection, notice.id, **values)
        metrics.NOTICES.labels(kind=notice.kind, outcome="failed" if gave_up else "retried").inc()
        log.warning("a notice could not be sent", extra={"kind": notice.kind, "error": type(error).__name__})

    async def _send(self, notice: Notice, event: CloudEvent) -> bool:
        """True once sent; False when there is nothing to say any more (the offer was taken) or
        no channel to say it on."""
        async with self._runtime.engine.connect() as connection:
            channels = await notice_store.channels_of(connection, notice.rep_id)
        if not (channels.email and self._settings.smtp_host) and not channels.slack_url:
            return False
        if notice.kind == "moved":
            rep = await self._routing.get(f"/v1/reps/{notice.rep_id}")
            rep.raise_for_status()
            await self._deliver(channels, rep.json()["email"], moved_message(event.data), None)
            return True
        answer = await self._routing.post(f"/v1/assignments/{notice.assignment_id}/links")
        if answer.status_code in (404, 409):
            return False  # accepted, rejected or moved on meanwhile
        answer.raise_for_status()
        links = Links(answer.json()["accept_url"], answer.json()["reject_url"])
        message = offer_message(event.data, links, reminder=notice.kind == "reminder")
        await self._deliver(channels, event.data.rep.email, message, links)
        return True

    async def _deliver(self, channels: Channels, email: str, message: Message, links: Links | None) -> None:
        if channels.email and self._settings.smtp_host:
            await send_mail(self._settings, email, message)
        if channels.slack_url:
            body = json.dumps(slack_payload(message, links)).encode()
            response = await self._outbound.post(
                channels.slack_url, body, {"content-type": "application/json"}
            )
            response.raise_for_status()
