"""Routing's Kafka handlers: each event is applied once, with its effects, in the transaction of
its batch."""

import uuid

from leadflow_common.events import CloudEvent, LeadMerged, LeadOutcome, LeadScored
from leadflow_common.idempotency import claim_event
from leadflow_common.runtime import ServiceRuntime
from leadflow_routing import assigner, repository
from leadflow_routing.assigner import CapacityView, RoutingContext, routing_context
from leadflow_routing.policy import LeadToRoute
from leadflow_routing.settings import RoutingSettings
from leadflow_routing.tables import processed_events

CONSUMER = "routing"


class RoutingHandlers:
    def __init__(self, runtime: ServiceRuntime, settings: RoutingSettings):
        self._runtime = runtime
        self._settings = settings

    def context(self) -> RoutingContext:
        return routing_context(self._runtime, self._settings)

    async def handle(self, events: list[CloudEvent]) -> None:
        """The events in one transaction: their leads locked first, all at once and in order
        (the lock order routing keeps everywhere: leads, then capacity), then each applied."""
        relevant = [
            event for event in events if isinstance(event.data, LeadScored | LeadOutcome | LeadMerged)
        ]
        if not relevant:
            return  # lead.captured and others: scoring's business, not routing's
        context = self.context()
        capacity = CapacityView()
        async with self._runtime.engine.begin() as connection:
            await repository.lock_leads(
                connection, [lead for event in relevant for lead in leads_of(event.data)]
            )
            for event in relevant:
                await self._apply(connection, event, context, capacity)
        self._runtime.relay.wake()

    async def _apply(
        self, connection, event: CloudEvent, context: RoutingContext, capacity: CapacityView
    ) -> None:
        if not await claim_event(connection, processed_events, consumer=CONSUMER, event_id=event.id):
            return
        data = event.data
        if isinstance(data, LeadScored):
            lead = LeadToRoute(
                lead_id=data.lead_id,
                temperature=data.temperature,
                score=data.score,
                country=data.routing.country,
                language=data.routing.language,
                segment=data.routing.segment,
            )
            if await repository.save_lead_if_newer(connection, lead, data.revision, context.now):
                await assigner.on_new_score(connection, lead, context, capacity=capacity)
        elif isinstance(data, LeadOutcome):
            await assigner.close_lead(connection, data.lead_id, f"outcome: {data.outcome}", context)
            capacity.forget()
        else:
            await assigner.fold_merge(connection, data.absorbed_lead_id, data.surviving_lead_id, context)
            capacity.forget()


def leads_of(data: LeadScored | LeadOutcome | LeadMerged) -> list[uuid.UUID]:
    if isinstance(data, LeadMerged):
        return [data.surviving_lead_id, data.absorbed_lead_id]
    return [data.lead_id]
