"""Scoring's Kafka handlers: each event is applied once, with its effects, in the transaction of
its batch."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from leadflow_common.events import (
    CloudEvent,
    LeadActivity,
    LeadCaptured,
    LeadMerged,
    LeadOutcome,
    LeadScored,
)
from leadflow_common.idempotency import claim_event
from leadflow_common.runtime import ServiceRuntime
from leadflow_scoring import metrics, repository
from leadflow_scoring.scorer import rescore
from leadflow_scoring.state import ScoringState
from leadflow_scoring.tables import processed_events

CONSUMER = "scoring"


class ScoringHandlers:
    def __init__(self, runtime: ServiceRuntime, state: ScoringState, on_outcome: Callable[[], None]):
        self._runtime = runtime
        self._state = state
        self._on_outcome = on_outcome

    async def handle(self, events: list[CloudEvent]) -> None:
        """The events in one transaction: their leads locked first, all at once, then each
        applied in order. A lead is re-scored once for the batch, after its last event (a flood
        of one lead's activities costs one score per batch, not one per activity), and before
        an outcome is kept with the lead as it stood."""
        relevant = [(event, *subject_and_cause(event.data)) for event in events]
        relevant = [(event, lead_id, cause) for event, lead_id, cause in relevant if lead_id is not None]
        if not relevant:
            return
        published: list[tuple[CloudEvent, LeadScored]] = []
        async with self._runtime.engine.begin() as connection:
            await repository.lock_leads(connection, [lead_id for _, lead_id, _ in relevant])
            changed: dict[uuid.UUID, tuple[CloudEvent, str]] = {}

            async def score_changed(lead_id: uuid.UUID) -> None:
                if lead_id in changed:
                    event, cause = changed.pop(lead_id)
                    scored = await rescore(
                        connection, lead_id, state=self._state, topics=self._runtime.topics, cause=cause
                    )
                    if scored is not None:
                        published.append((event, scored))

            for event, lead_id, cause in relevant:
                if not await claim_event(connection, processed_events, consumer=CONSUMER, event_id=event.id):
                    continue
                if isinstance(event.data, LeadOutcome):
                    await score_changed(lead_id)
                    await self._record_outcome(connection, event.data)
                    continue
                await self._apply(connection, event.data, lead_id)
                changed[lead_id] = (event, cause)
                if isinstance(event.data, LeadCaptured):
                    await score_changed(lead_id)
                    await self._complete_early_outcomes(connection, lead_id)
            for lead_id in list(changed):
                await score_changed(lead_id)
        if published:
            self._runtime.relay.wake()
        for event, scored in published:
            metrics.SCORES_PUBLISHED.labels(temperature=scored.temperature.value).inc()
            metrics.SCORING_LATENCY.observe((datetime.now(UTC) - event.time).total_seconds())
        if any(isinstance(event.data, LeadOutcome) for event, _, _ in relevant):
            self._on_outcome()

    @staticmethod
    async def _apply(connection, data, lead_id: uuid.UUID) -> None:
        """What the event changes of the lead's profile and activities."""
        if isinstance(data, LeadCaptured | LeadMerged):
            await repository.save_profile_if_newer(connection, data.lead)
        if isinstance(data, LeadMerged):
            await repository.mark_absorbed(connection, data.absorbed_lead_id, data.surviving_lead_id)
        if isinstance(data, LeadActivity):
            await repository.add_activity(
                connection,
                activity_id=data.activity_id,
                lead_id=lead_id,
                type=data.type,
                occurred_at=data.occurred_at,
            )

    async def _record_outcome(self, connection, outcome: LeadOutcome) -> None:
        """Keep the outcome with the lead as it stood, so a model learns from what was known
        before the result, and with the band it had, for the observed conversion per band."""
        known = await self._lead_as_it_stands(connection, outcome.lead_id)
        await repository.add_outcome(
            connection,
            outcome_id=outcome.outcome_id,
            lead_id=outcome.lead_id,
            outcome=outcome.outcome,
            amount=outcome.amount,
            occurred_at=outcome.occurred_at,
            received_at=datetime.now(UTC),
            **known,
        )

    async def _complete_early_outcomes(self, connection, lead_id) -> None:
        """An outcome can overtake its lead (they travel on different topics): it is kept
        without a snapshot and completed with the lead as first known here."""
        if not await repository.has_outcomes_without_snapshot(connection, lead_id):
            return  # the usual case, answered by one indexed lookup
        await repository.complete_outcomes(
            connection, lead_id, **await self._lead_as_it_stands(connection, lead_id)
        )

    async def _lead_as_it_stands(self, connection, lead_id) -> dict:
        profile = await repository.load_profile(connection, lead_id)
        if profile is None:
            return {"snapshot": None, "score": None, "temperature": None}
        activities = await repository.load_activities(connection, lead_id)
        current = await repository.current_score(connection, lead_id)
        return {
            "snapshot": {
                "profile": profile.model_dump(mode="json"),
                "activities": [
                    {"type": a.type, "occurred_at": a.occurred_at.isoformat()} for a in activities
                ],
            },
            "score": current.score if current else None,
            "temperature": current.temperature if current else None,
        }


def subject_and_cause(data) -> tuple[uuid.UUID | None, str]:
    """The lead an event changes and why, or None for events scoring does not read."""
    if isinstance(data, LeadCaptured):
        return data.lead.lead_id, "lead.captured"
    if isinstance(data, LeadMerged):
        return data.surviving_lead_id, "lead.merged"
    if isinstance(data, LeadActivity):
        return data.lead_id, f"activity:{data.type}"
    if isinstance(data, LeadOutcome):
        return data.lead_id, f"outcome:{data.outcome}"
    return None, ""
