"""Re-scoring one lead in the caller's unit of work, publishing only a change."""

import uuid
from datetime import UTC, datetime
from typing import Literal

from leadflow_common.events import LeadScored, RoutingHints
from leadflow_common.unit_of_work import UnitOfWork
from leadflow_scoring import repository
from leadflow_scoring.state import ScoringState


async def rescore(
    uow: UnitOfWork,
    lead_id: uuid.UUID,
    *,
    state: ScoringState,
    topic: str,
    cause: str,
    now: datetime | None = None,
    publish_on: Literal["change", "band"] = "change",
) -> LeadScored | None:
    """Score the lead as it stands; store and publish `lead.scored` only when the score or the
    temperature changed (with `publish_on="band"`, as the decay sweep asks: only the
    temperature). Returns the published event, if any."""
    now = now or datetime.now(UTC)
    connection = uow.connection
    profile = await repository.load_profile(connection, lead_id)
    if profile is None:
        return None
    result = state.score(profile, await repository.load_activities(connection, lead_id), now)
    model = state.model_ref
    current = await repository.current_score(connection, lead_id)
    reasons = [reason.model_dump() for reason in result.reasons]
    if current is not None:
        same_band = current.temperature == result.temperature
        if same_band and (publish_on == "band" or current.score == result.score):
            if current.score == result.score and current.model != model:
                # Same score from another model: nothing to publish, but the stored score must
                # say which model gave it and why.
                await repository.relabel_score(connection, lead_id, reasons=reasons, model=model.model_dump())
            return None
    revision = current.revision + 1 if current else 1
    await repository.save_score(
        connection,
        lead_id=lead_id,
        revision=revision,
        score=result.score,
        previous_score=current.score if current else None,
        temperature=result.temperature.value,
        reasons=reasons,
        model=model.model_dump(),
        cause=cause,
        scored_at=now,
    )
    scored = LeadScored(
        lead_id=lead_id,
        revision=revision,
        score=result.score,
        previous_score=current.score if current else None,
        temperature=result.temperature,
        previous_temperature=current.temperature if current else None,
        reasons=result.reasons,
        model=model,
        scored_at=now,
        routing=RoutingHints(country=profile.country, language=profile.language, segment=result.segment),
    )
    await uow.publish(topic, scored, subject=lead_id)
    return scored
