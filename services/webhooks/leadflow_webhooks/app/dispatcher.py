"""Sends due deliveries: signed, to the address checked at this moment (outbound.py), 2xx
within the timeout or it is retried on the schedule. A claimed delivery is leased, so a process
that dies mid-send leaves it to be sent again (at least once, with the same webhook-id).

Deliveries are claimed in batches with their endpoints, sent concurrently, and their outcomes
recorded together (one transaction for every attempt that finished meanwhile, as capture's writer
commits requests): per-delivery transactions cost more than the HTTP request they record."""

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from leadflow_common.pacing import idle_wait
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_webhooks import metrics
from leadflow_webhooks.app.outbound import OutboundClient, failure_in_words
from leadflow_webhooks.domain.addresses import RefusedTarget
from leadflow_webhooks.domain.schedule import Outcome, next_attempt, outcome_of
from leadflow_webhooks.domain.signing import signature_headers
from leadflow_webhooks.domain.status import DeliveryStatus
from leadflow_webhooks.settings import WebhooksSettings
from leadflow_webhooks.store import repository
from leadflow_webhooks.store.repository import Delivery, Endpoint

log = logging.getLogger(__name__)
SNIPPET = 500  # characters of a response kept in the delivery log
RECORD_LINGER_SECONDS = 0.02


@dataclass(frozen=True)
class Attempt:
    delivery: Delivery
    endpoint: Endpoint
    at: datetime
    status_code: int | None
    snippet: str | None
    error: str | None
    latency_ms: int


class Dispatcher:
    def __init__(self, runtime: ServiceRuntime, settings: WebhooksSettings, wake: asyncio.Event):
        self._runtime = runtime
        self._settings = settings
        self._wake = wake  # set when deliveries were added or a slot or a lead came free
        self._rng = random.Random()
        self._client = OutboundClient(settings.hosts_allowed, settings.timeout_seconds, settings.concurrency)
        self._finished: asyncio.Queue[Attempt] = asyncio.Queue()
        self._next_due: datetime | None = None  # the earliest retry or lease end, as last read

    async def run(self) -> None:
        tasks: set[asyncio.Task] = set()
        recorder = asyncio.create_task(self._record_finished())
        next_gauges = 0.0
        try:
            while True:
                self._wake.clear()
                free = self._settings.concurrency - len(tasks)
                claimed = await self._claim(free) if free > 0 else []
                for delivery, endpoint in claimed:
                    task = asyncio.create_task(self._deliver(delivery, endpoint))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if time.monotonic() >= next_gauges:
                    await self._update_gauges()
                    next_gauges = time.monotonic() + 5
                # No slot free, or fewer due than slots (nothing more is due now): wait to be
                # woken (a delivery added, an attempt recorded) or for the next retry.
                if len(claimed) < max(free, 1):
                    with contextlib.suppress(TimeoutError):
                        # A recorded attempt wakes the loop, which reads the next due time again.
                        wait = idle_wait(self._next_due, datetime.now(UTC), self._settings.poll_seconds)
                        await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            for task in (*tasks, recorder):
                task.cancel()
            await self._client.close()

    async def _claim(self, limit: int) -> list[tuple[Delivery, Endpoint]]:
        now = datetime.now(UTC)
        try:
            async with self._runtime.unit_of_work() as uow:
                lease = now + timedelta(seconds=self._settings.lease_seconds)
                # Each with its endpoint, read by the same statement.
                due = await repository.claim_due_to(uow.connection, now, lease, limit)
                # Fewer than asked: nothing else is due now; when the next is (a retry, a lease).
                self._next_due = None if len(due) == limit else await repository.next_due(uow.connection, now)
        except Exception as error:
            log.warning("cannot claim deliveries", extra={"error": type(error).__name__})
            await asyncio.sleep(1)
            return []
        return due

    async def _deliver(self, delivery: Delivery, endpoint: Endpoint) -> None:
        started = time.perf_counter()
        status_code, snippet, error = None, None, None
        try:
            response = await self._send(endpoint, delivery)
            status_code, snippet = response.status_code, response.text[:SNIPPET]
        except RefusedTarget as refused:
            error = f"refused: {refused}"
        except (httpx.HTTPError, OSError) as failure:
            error = failure_in_words(failure)
            log.info("delivery failed", extra={"error": f"{type(failure).__name__}: {failure}"[:SNIPPET]})
        latency_ms = int((time.perf_counter() - started) * 1000)
        at = datetime.now(UTC)
        self._finished.put_nowait(Attempt(delivery, endpoint, at, status_code, snippet, error, latency_ms))

    async def _send(self, endpoint: Endpoint, delivery: Delivery) -> httpx.Response:
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": "Leadflow-Webhooks/0.1",
            **signature_headers(delivery.event_id, delivery.payload, endpoint.live_secrets(now), now),
        }
        return await self._client.post(endpoint.url, delivery.payload.encode(), headers)

    async def _record_finished(self) -> None:
        while True:
            finished = [await self._finished.get()]
            # The attempts finishing meanwhile are recorded with it: a recording waits a moment
            # (what it delays is only a lead's next delivery), one transaction for several.
            await asyncio.sleep(RECORD_LINGER_SECONDS)
            while not self._finished.empty():
                finished.append(self._finished.get_nowait())
            try:
                await self._record(finished)
            except Exception as error:
                log.warning("cannot record deliveries", extra={"error": type(error).__name__})
                # One attempt whose delivery went meanwhile (its endpoint deleted) must not leave
                # the others unrecorded; what still fails stays leased and is sent again when
                # the lease ends (at least once).
                for attempt in finished if len(finished) > 1 else ():
                    with contextlib.suppress(Exception):
                        await self._record([attempt])
            self._wake.set()  # the next delivery of these leads may go now

    async def _record(self, finished: list[Attempt]) -> None:
        rows = [self._rows(attempt) for attempt in finished]
        async with self._runtime.unit_of_work() as uow:
            await repository.record_attempts(uow.connection, rows)
            for endpoint, outcomes in _by_endpoint(finished):
                await self._note_endpoint(uow, endpoint, outcomes)
        for attempt, row in zip(finished, rows, strict=True):  # counted once recorded
            metrics.DELIVERY_ATTEMPTS.labels(outcome=row["outcome"]).inc()
            if row["outcome"] == "delivered":
                metrics.LATENCY.observe((attempt.at - attempt.delivery.created_at).total_seconds())

    def _rows(self, attempt: Attempt) -> dict:
        """The attempt's log row, its delivery's new state, and its outcome for the metrics."""
        delivery, outcome = attempt.delivery, outcome_of(attempt.status_code)
        tried = {
            "delivery_id": delivery.id,
            "attempt": delivery.attempts + 1,
            "at": attempt.at,
            "status_code": attempt.status_code,
            "latency_ms": attempt.latency_ms,
            "response_snippet": attempt.snippet,
            "error": attempt.error,
        }
        state = {
            "delivery_id": delivery.id,
            "attempts": delivery.attempts + 1,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
            "status": DeliveryStatus.pending,
            "delivered_at": None,
            "next_attempt_at": delivery.next_attempt_at,
        }
        if outcome.delivered:
            state |= {"status": DeliveryStatus.succeeded, "delivered_at": attempt.at}
            return {"attempt": tried, "delivery": state, "outcome": "delivered"}
        retry_at = next_attempt(self._settings.delays, delivery.attempts + 1, attempt.at, self._rng)
        state |= {"next_attempt_at": retry_at} if retry_at else {"status": DeliveryStatus.failed}
        failure = _failure_kind(attempt.error, outcome, retry_at)
        return {"attempt": tried, "delivery": state, "outcome": failure}

    async def _note_endpoint(self, uow: UnitOfWork, endpoint: Endpoint, outcomes: list[Attempt]) -> None:
        """An endpoint's health after these attempts: a 410 disables it, a success ends its
        failing period, failures start one or, past the limit, disable it."""
        results = [outcome_of(attempt.status_code) for attempt in outcomes]
        now = outcomes[-1].at
        gone = any(result.disable_endpoint for result in results)
        if not gone and any(result.delivered for result in results):
            if endpoint.failing_since is not None:
                await repository.update_endpoint(uow.connection, endpoint.id, failing_since=None)
            return
        failing_since = endpoint.failing_since or outcomes[0].at
        too_long = (now - failing_since).total_seconds() >= self._settings.disable_after_seconds
        if gone or too_long:
            reason = (
                "the receiver answered 410 Gone" if gone else f"failing since {failing_since.isoformat()}"
            )
            await repository.update_endpoint(
                uow.connection,
                endpoint.id,
                enabled=False,
                disabled_reason=reason,
                failing_since=failing_since,
            )
            # The event that says so: on leadflow.audit, as every change is.
            await uow.audit(
                "service:webhooks",
                "webhook.disabled",
                ("webhook", endpoint.id),
                reason="gone" if gone else "failing",
            )
        elif endpoint.failing_since is None:
            await repository.update_endpoint(uow.connection, endpoint.id, failing_since=failing_since)

    async def _update_gauges(self) -> None:
        try:
            async with self._runtime.engine.connect() as connection:
                pending, oldest = await repository.backlog(connection, datetime.now(UTC))
            metrics.BACKLOG.set(pending)
            metrics.OLDEST_PENDING.set(oldest)
        except Exception as error:
            log.warning("cannot read the backlog", extra={"error": type(error).__name__})


def _by_endpoint(finished: list[Attempt]) -> list[tuple[Endpoint, list[Attempt]]]:
    grouped: dict = {}
    for attempt in finished:
        grouped.setdefault(attempt.endpoint.id, (attempt.endpoint, []))[1].append(attempt)
    return list(grouped.values())


def _failure_kind(error: str | None, outcome: Outcome, retry_at: datetime | None) -> str:
    if error and error.startswith("refused"):
        return "refused"
    if outcome.disable_endpoint:
        return "gone"
    return "failed" if retry_at else "gave_up"
