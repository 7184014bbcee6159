"""Routing's Kafka handlers: each event is applied once, in one transaction with its effects."""

from datetime import UTC, datetime, timedelta

from leadflow_common.events import CloudEvent, LeadScored
from leadflow_common.idempotency import claim_event
from leadflow_common.runtime import ServiceRuntime
from leadflow_routing import assigner, repository
from leadflow_routing.policy import LeadToRoute
from leadflow_routing.tables import processed_events

CONSUMER = "routing"


class RoutingHandlers:
    def __init__(self, runtime: ServiceRuntime, sla: timedelta):
        self._runtime = runtime
        self._sla = sla

    async def handle(self, event: CloudEvent) -> None:
        if not isinstance(event.data, LeadScored):
            return
        scored = event.data
        lead = LeadToRoute(
            lead_id=scored.lead_id,
            temperature=scored.temperature,
            score=scored.score,
            country=scored.routing.country,
            language=scored.routing.language,
            segment=scored.routing.segment,
        )
        now = datetime.now(UTC)
        async with self._runtime.engine.begin() as connection:
            await repository.lock_lead(connection, lead.lead_id)
            if not await claim_event(connection, processed_events, consumer=CONSUMER, event_id=event.id):
                return
            if not await repository.save_lead_if_newer(connection, lead, scored.revision, now):
                return
            decision = await assigner.on_new_score(
                connection, lead, topics=self._runtime.topics, sla=self._sla, now=now
            )
        if decision is not None:
            self._runtime.relay.wake()
