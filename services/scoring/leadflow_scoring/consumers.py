"""Scoring's Kafka handlers: each event is applied once, in one transaction with its effects."""

from leadflow_common.events import CloudEvent, LeadActivity, LeadCaptured, LeadMerged
from leadflow_common.idempotency import claim_event
from leadflow_common.runtime import ServiceRuntime
from leadflow_scoring import repository
from leadflow_scoring.rules import RuleSet
from leadflow_scoring.scorer import rescore
from leadflow_scoring.tables import processed_events

CONSUMER = "scoring"


class ScoringHandlers:
    def __init__(self, runtime: ServiceRuntime, rules: RuleSet):
        self._runtime = runtime
        self._rules = rules

    async def handle(self, event: CloudEvent) -> None:
        data = event.data
        if isinstance(data, LeadCaptured):
            lead_id, cause = data.lead.lead_id, "lead.captured"
        elif isinstance(data, LeadMerged):
            lead_id, cause = data.surviving_lead_id, "lead.merged"
        elif isinstance(data, LeadActivity):
            lead_id, cause = data.lead_id, f"activity:{data.type}"
        else:
            return
        async with self._runtime.engine.begin() as connection:
            await repository.lock_lead(connection, lead_id)
            if not await claim_event(connection, processed_events, consumer=CONSUMER, event_id=event.id):
                return
            if isinstance(data, LeadCaptured):
                await repository.save_profile_if_newer(connection, data.lead)
            elif isinstance(data, LeadMerged):
                await repository.save_profile_if_newer(connection, data.lead)
                await repository.mark_absorbed(connection, data.absorbed_lead_id, data.surviving_lead_id)
            else:
                await repository.add_activity(
                    connection,
                    activity_id=data.activity_id,
                    lead_id=lead_id,
                    type=data.type,
                    occurred_at=data.occurred_at,
                )
            scored = await rescore(
                connection, lead_id, rules=self._rules, topics=self._runtime.topics, cause=cause
            )
        if scored is not None:
            self._runtime.relay.wake()
