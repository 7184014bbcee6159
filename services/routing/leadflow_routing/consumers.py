"""Routing's Kafka handlers: each event is applied once, in one transaction with its effects."""

from leadflow_common.events import CloudEvent, LeadMerged, LeadOutcome, LeadScored
from leadflow_common.idempotency import claim_event
from leadflow_common.runtime import ServiceRuntime
from leadflow_routing import assigner, repository
from leadflow_routing.assigner import RoutingContext, routing_context
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

    async def handle(self, event: CloudEvent) -> None:
        data = event.data
        if isinstance(data, LeadScored):
            lead_id = data.lead_id
        elif isinstance(data, LeadOutcome):
            lead_id = data.lead_id
        elif isinstance(data, LeadMerged):
            lead_id = data.surviving_lead_id
        else:
            return  # lead.captured and others: scoring's business, not routing's
        context = self.context()
        async with self._runtime.engine.begin() as connection:
            both = (
                [data.surviving_lead_id, data.absorbed_lead_id] if isinstance(data, LeadMerged) else [lead_id]
            )
            for locked in sorted(both):  # a fixed order: two merges cannot wait on each other
                await repository.lock_lead(connection, locked)
            if not await claim_event(connection, processed_events, consumer=CONSUMER, event_id=event.id):
                return
            if isinstance(data, LeadScored):
                lead = LeadToRoute(
                    lead_id=data.lead_id,
                    temperature=data.temperature,
                    score=data.score,
                    country=data.routing.country,
                    language=data.routing.language,
                    segment=data.routing.segment,
                )
                if not await repository.save_lead_if_newer(connection, lead, data.revision, context.now):
                    return
                await assigner.on_new_score(connection, lead, context)
            elif isinstance(data, LeadOutcome):
                await assigner.close_lead(connection, lead_id, f"outcome: {data.outcome}", context)
            else:
                await assigner.fold_merge(connection, data.absorbed_lead_id, data.surviving_lead_id, context)
        self._runtime.relay.wake()
