"""Reps are told: an offer at once (mail, and Slack when the rep has it), a reminder when a share
of the SLA has passed without an accept, and the previous rep when a lead moves on. Notices are
kept in PostgreSQL from `leads.routed` and sent by a loop that leases them (a restart resends at
most a notice that was in flight). The links come from routing, which alone holds their key."""

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from leadflow_common.events import (
    AssignmentEvent,
    CloudEvent,
    LeadReassigned,
    LeadRouted,
    LeadWaitingTooLong,
)
from leadflow_common.pacing import idle_wait
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.wire import decode_event
from leadflow_webhooks import metrics
from leadflow_webhooks.app.account_notifier import AccountNotices
from leadflow_webhooks.app.mail import Mailer
from leadflow_webhooks.app.outbound import OutboundClient
from leadflow_webhooks.domain import account_notices
from leadflow_webhooks.domain.notices import (
    Links,
    Message,
    moved_message,
    offer_message,
    slack_payload,
    waiting_message,
)
from leadflow_webhooks.domain.status import NoticeStatus
from leadflow_webhooks.settings import NotifySettings
from leadflow_webhooks.store import notice_store
from leadflow_webhooks.store.notice_store import Channels, Notice

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)
BATCH = 64
# Without a wake-up from this process's consumer, the loop sleeps until the next notice it read
# comes due (a reminder, a retry, a lease ending), at most this long (other processes' offers).
IDLE_POLL_SECONDS = 5.0
# The recipient of admins' notices (a hot lead waiting too long): not a rep; their addresses come
# from the settings (WEBHOOKS_ADMIN_EMAILS, WEBHOOKS_ADMIN_SLACK_URL).
ADMINS = uuid.UUID(int=0)
# Notices that carry no accept links: nothing to ask routing for.
WITHOUT_LINKS = frozenset({"moved", "waiting"}) | account_notices.KINDS


class SlackRefused(Exception):
    """Slack's incoming webhook did not take the message."""


# The routing events `notices_for` makes notices of.
# What the notices are made from (decoded and opened whatever endpoints subscribe to): the reps'
# notices, and the account owners' (their accounts, people's names and titles, scores).
NOTICE_TYPES = frozenset({"lead.routed", "lead.reassigned", "lead.waiting_too_long"}) | frozenset(
    {"account.owner_changed", "lead.captured", "lead.matched", "account.scored"}
)


def notices_for(event: CloudEvent, share: float, now: datetime) -> list[dict]:
    """The notices one routing event calls for."""
    data = event.data
    if isinstance(data, LeadWaitingTooLong):
        return [_notice("waiting", data, ADMINS, event.model_dump_json(), now)]
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


def _notice(
    kind: str, data: AssignmentEvent | LeadWaitingTooLong, rep_id: uuid.UUID, wire: str, due_at: datetime
) -> dict:
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "assignment_id": data.assignment_id,
        "rep_id": rep_id,
        "event": wire,
        "status": NoticeStatus.pending,
        "due_at": due_at,
        "created_at": datetime.now(UTC),
    }


class Notifier:
    def __init__(self, runtime: ServiceRuntime, settings: NotifySettings, outbound: OutboundClient):
        self._runtime = runtime
        self._settings = settings
        self._outbound = outbound
        self._mailer = Mailer(settings)
        self._admins = Channels(
            ADMINS, email=bool(settings.admin_addresses), slack_url=settings.admin_slack_url or None
        )
        self._wake = asyncio.Event()
        self.accounts = AccountNotices(runtime, settings, self._wake.set)  # owners' notices
        self._next_due: datetime | None = None  # the earliest pending notice, as last read
        self._routing = httpx.AsyncClient(
            base_url=settings.routing_url,
            timeout=10,
            headers={"Authorization": f"Bearer {runtime.settings.leadflow_api_key}"},
        )

    async def record(self, events: list[CloudEvent]) -> None:
        """The consumer of leads.routed: each notice kept once, however often events repeat."""
        await self.accounts.record(events)
        now = datetime.now(UTC)
        rows = [row for event in events for row in notices_for(event, self._settings.reminder_share, now)]
        if not rows:
            return
        async with self._runtime.unit_of_work() as uow:
            # A notice nobody can be sent is not kept: no mail server and no Slack, no work.
            reps = {row["rep_id"] for row in rows} - {ADMINS}
            reachable = await notice_store.reps_with_channels(
                uow.connection, reps, mail=bool(self._settings.smtp_host)
            )
            if self._reachable(self._admins):
                reachable.add(ADMINS)
            kept = [row for row in rows if row["rep_id"] in reachable]
            await notice_store.add_notices(uow.connection, kept)
            if kept:  # this process's loop sends them once committed; others at their next poll
                uow.after_commit(self._wake.set)

    async def run(self) -> None:
        try:
            while True:
                try:
                    sent = await self._send_due()
                except Exception as error:
                    # Outcomes not recorded (the database away): the notices stay leased and are
                    # sent again when the lease ends; the loop goes on.
                    log.warning("cannot record notices", extra={"error": type(error).__name__})
                    await asyncio.sleep(1)
                    continue
                if not sent:
                    with contextlib.suppress(TimeoutError):
                        wait = idle_wait(self._next_due, datetime.now(UTC), IDLE_POLL_SECONDS)
                        await asyncio.wait_for(self._wake.wait(), wait)
                    self._wake.clear()
        finally:
            await self._routing.aclose()
            await self._mailer.close()

    async def _send_due(self) -> bool:
        """Claims a batch of due notices, sends them together, records every outcome in one
        transaction. True when the batch was full (more may be due at once); False when it took
        everything due (the loop waits to be woken, or for the next retry)."""
        now = datetime.now(UTC)
        try:
            async with self._runtime.unit_of_work() as uow:
                claimed = await notice_store.claim_due(uow.connection, now, now + LEASE, BATCH)
                due = [notice for notice, _ in claimed]
                channels = {notice.rep_id: of_rep for notice, of_rep in claimed} | {ADMINS: self._admins}
                self._next_due = (
                    None if len(due) == BATCH else await notice_store.next_due(uow.connection, now)
                )
        except Exception as error:
            log.warning("cannot claim notices", extra={"error": type(error).__name__})
            await asyncio.sleep(1)
            return False
        if not due:
            return False
        events = {notice.id: decode_event(notice.event) for notice in due}
        offers = [n for n in due if n.kind not in WITHOUT_LINKS and self._reachable(channels[n.rep_id])]
        links = await self._links(offers)
        results = await asyncio.gather(
            *(self._send(notice, events[notice.id], channels[notice.rep_id], links) for notice in due),
            return_exceptions=True,
        )
        outcomes = [
            self._outcome(notice, events[notice.id], result)
            for notice, result in zip(due, results, strict=True)
        ]
        async with self._runtime.unit_of_work() as uow:
            await notice_store.finish(uow.connection, outcomes)
        # A retry just scheduled is due before whatever was read as next at the claim.
        retries = [row["due_at"] for row in outcomes if row["status"] == NoticeStatus.pending]
        self._next_due = min([*retries, *([self._next_due] if self._next_due else [])], default=None)
        return len(due) == BATCH

    async def _links(self, offers: list[Notice]) -> dict[uuid.UUID, Links] | Exception:
        """Accept and reject links for these offers, from routing in one call; those it leaves
        out were taken meanwhile. Routing unreachable: the error, for each offer to retry on."""
        if not offers:
            return {}
        try:
            body = {"assignment_ids": sorted({str(notice.assignment_id) for notice in offers})}
            answer = await self._routing.post("/v1/offer-links", json=body)
            answer.raise_for_status()
        except httpx.HTTPError as error:
            return error
        return {
            uuid.UUID(made["assignment_id"]): Links(made["accept_url"], made["reject_url"])
            for made in answer.json()["links"]
        }

    def _lead_page(self, lead_id: uuid.UUID) -> str | None:
        console = self._runtime.settings.leadflow_console_url.rstrip("/")
        return f"{console}/leads/{lead_id}" if console else None

    def _reachable(self, channels: Channels) -> bool:
        return bool((channels.email and self._settings.smtp_host) or channels.slack_url)

    async def _send(self, notice: Notice, event: CloudEvent, channels: Channels, links) -> bool:
        """True once sent; False when there is nothing to say any more (the offer was taken) or
        no channel to say it on."""
        if not self._reachable(channels):
            return False
        if notice.kind == "waiting":
            page = self._lead_page(event.data.lead_id)
            await self._tell_admins(waiting_message(event.data, datetime.now(UTC), page))
            return True
        if notice.kind in account_notices.KINDS:
            told = await self.accounts.message(notice, event)
            if told is not None:
                await self._deliver(channels, *told, None)
            return told is not None
        if notice.kind == "moved":
            await self._deliver(
                channels, await self._previous_email(event.data), moved_message(event.data), None
            )
            return True
        if isinstance(links, Exception):
            raise links
        if notice.assignment_id not in links:
            return False  # accepted, rejected or moved on meanwhile
        link = links[notice.assignment_id]
        reminder, page = notice.kind == "reminder", self._lead_page(event.data.lead_id)
        now = datetime.now(UTC)
        message = offer_message(event.data, link, reminder=reminder, lead_page=page, now=now)
        await self._deliver(channels, event.data.rep.email, message, link)
        return True

    def _outcome(self, notice: Notice, event: CloudEvent, result: bool | BaseException) -> dict:
        """The notice's row after this attempt: sent, skipped, to retry with backoff, or failed."""
        now = datetime.now(UTC)
        row = {"notice_id": notice.id, "attempts": notice.attempts, "last_error": notice.last_error}
        row |= {"status": NoticeStatus.pending, "due_at": notice.due_at, "sent_at": None}
        if not isinstance(result, BaseException):
            status = NoticeStatus.sent if result else NoticeStatus.skipped
            metrics.NOTICES.labels(kind=notice.kind, outcome=status).inc()
            if result and notice.kind == "offer":
                metrics.NOTICE_LATENCY.observe((now - event.time).total_seconds())
            return row | {"status": status, "sent_at": now}
        attempts = notice.attempts + 1
        gave_up = attempts >= self._settings.max_attempts
        metrics.NOTICES.labels(kind=notice.kind, outcome="failed" if gave_up else "retried").inc()
        log.warning("a notice could not be sent", extra={"kind": notice.kind, "error": type(result).__name__})
        row |= {"attempts": attempts, "last_error": f"{type(result).__name__}: {result}"[:500]}
        if gave_up:
            return row | {"status": NoticeStatus.failed}
        return row | {"due_at": now + timedelta(seconds=5 * 2**attempts)}

    async def _previous_email(self, data: LeadReassigned) -> str:
        """The address of the rep a lead moved on from: on the event; routing is asked only for
        events published before `previous_rep` was carried."""
        if data.previous_rep is not None:
            return data.previous_rep.email
        rep = await self._routing.get(f"/v1/reps/{data.previous_rep_id}")
        rep.raise_for_status()
        return rep.json()["email"]

    async def _tell_admins(self, message: Message) -> None:
        """Each admin address by mail, then the admins' Slack channel (a retry repeats both)."""
        for address in self._settings.admin_addresses:
            await self._deliver(Channels(ADMINS, slack_url=None), address, message, None)
        if self._admins.slack_url:
            slack_only = Channels(ADMINS, email=False, slack_url=self._admins.slack_url)
            await self._deliver(slack_only, "", message, None)

    async def _deliver(self, channels: Channels, email: str, message: Message, links: Links | None) -> None:
        if channels.email and self._settings.smtp_host:
            await self._mailer.send(email, message)
        if channels.slack_url:
            body = json.dumps(slack_payload(message, links)).encode()
            response = await self._outbound.post(
                channels.slack_url, body, {"content-type": "application/json"}
            )
            if not response.is_success:
                # Not httpx's raise_for_status: its message carries the URL, whose path is the
                # Slack webhook's secret, into the notice's last_error.
                raise SlackRefused(f"Slack answered {response.status_code}")
