"""Sends due deliveries: signed, to the address checked at this moment (outbound.py), 2xx
within the timeout or it is retried on the schedule. A claimed delivery is leased, so a process
that dies mid-send leaves it to be sent again (at least once, with the same webhook-id)."""

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import httpx

from leadflow_common.runtime import ServiceRuntime
from leadflow_webhooks import metrics, repository
from leadflow_webhooks.addresses import RefusedTarget
from leadflow_webhooks.outbound import OutboundClient
from leadflow_webhooks.repository import Delivery, Endpoint
from leadflow_webhooks.schedule import next_attempt, outcome_of
from leadflow_webhooks.settings import WebhooksSettings
from leadflow_webhooks.signing import signature_headers

log = logging.getLogger(__name__)
SNIPPET = 500  # characters of a response kept in the delivery log


class Dispatcher:
    def __init__(self, runtime: ServiceRuntime, settings: WebhooksSettings):
        self._runtime = runtime
        self._settings = settings
        self._rng = random.Random()
        self._client = OutboundClient(settings.hosts_allowed, settings.timeout_seconds, settings.concurrency)

    async def run(self) -> None:
        tasks: set[asyncio.Task] = set()
        next_gauges = 0.0
        try:
            while True:
                free = self._settings.concurrency - len(tasks)
                claimed = await self._claim(free) if free else []
                for delivery in claimed:
                    task = asyncio.create_task(self._deliver(delivery))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if time.monotonic() >= next_gauges:
                    await self._update_gauges()
                    next_gauges = time.monotonic() + 5
                if not claimed:
                    await asyncio.sleep(self._settings.poll_seconds)
        finally:
            for task in tasks:
                task.cancel()
            await self._client.close()

    async def _claim(self, limit: int) -> list[Delivery]:
        now = datetime.now(UTC)
        try:
            async with self._runtime.unit_of_work() as uow:
                lease = now + timedelta(seconds=self._settings.lease_seconds)
                return await repository.claim_due(uow.connection, now, lease, limit)
        except Exception as error:
            log.warning("cannot claim deliveries", extra={"error": type(error).__name__})
            await asyncio.sleep(1)
            return []

    async def _deliver(self, delivery: Delivery) -> None:
        async with self._runtime.engine.connect() as connection:
            endpoint = await repository.endpoint(connection, delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            return  # deleted or disabled meanwhile: the lease runs out, nothing is sent
        started = time.perf_counter()
        status_code, snippet, error = None, None, None
        try:
            response = await self._send(endpoint, delivery)
            status_code, snippet = response.status_code, response.text[:SNIPPET]
        except RefusedTarget as refused:
            error = f"refused: {refused}"
        except (httpx.HTTPError, OSError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:SNIPPET]
        latency_ms = int((time.perf_counter() - started) * 1000)
        await self._record(endpoint, delivery, status_code, snippet, error, latency_ms)

    async def _send(self, endpoint: Endpoint, delivery: Delivery) -> httpx.Response:
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": "Leadflow-Webhooks/0.1",
            **signature_headers(delivery.event_id, delivery.payload, endpoint.live_secrets(now), now),
        }
        return await self._client.post(endpoint.url, delivery.payload.encode(), headers)

    async def _record(
        self, endpoint: Endpoint, delivery: Delivery, status_code, snippet, error, latency_ms
    ) -> None:
        now = datetime.now(UTC)
        outcome = outcome_of(status_code)
        async with self._runtime.unit_of_work() as uow:
            await repository.record_attempt(
                uow.connection,
                delivery,
                at=now,
                status_code=status_code,
                latency_ms=latency_ms,
                response_snippet=snippet,
                error=error,
            )
            values = {"attempts": delivery.attempts + 1, "last_status_code": status_code, "last_error": error}
            if outcome.delivered:
                values |= {"status": "succeeded", "delivered_at": now}
                await repository.update_endpoint(uow.connection, endpoint.id, failing_since=None)
                metrics.DELIVERY_ATTEMPTS.labels(outcome="delivered").inc()
                metrics.LATENCY.observe((now - delivery.created_at).total_seconds())
            else:
                retry_at = next_attempt(self._settings.delays, delivery.attempts + 1, now, self._rng)
                values |= {"next_attempt_at": retry_at} if retry_at else {"status": "failed"}
                metrics.DELIVERY_ATTEMPTS.labels(outcome=_failure_kind(error, outcome, retry_at)).inc()
                await self._note_failure(uow, endpoint, now, gone=outcome.disable_endpoint)
            await repository.update_delivery(uow.connection, delivery.id, **values)

    async def _note_failure(self, uow, endpoint: Endpoint, now: datetime, *, gone: bool) -> None:
        failing_since = endpoint.failing_since or now
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
            await repository.update_endpoint(uow.connection, endpoint.id, failing_since=now)

    async def _update_gauges(self) -> None:
        try:
            async with self._runtime.engine.connect() as connection:
                pending, oldest = await repository.backlog(connection, datetime.now(UTC))
            metrics.BACKLOG.set(pending)
            metrics.OLDEST_PENDING.set(oldest)
        except Exception as error:
            log.warning("cannot read the backlog", extra={"error": type(error).__name__})


def _failure_kind(error: str | None, outcome, retry_at) -> str:
    if error and error.startswith("refused"):
        return "refused"
    if outcome.disable_endpoint:
        return "gone"
    return "failed" if retry_at else "gave_up"
