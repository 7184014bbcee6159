"""Re-scoring one lead inside the caller's transaction, publishing only a change."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import LeadScored, ModelRef, RoutingHints, Temperature, new_event
from leadflow_common.outbox import enqueue
from leadflow_common.topics import Topics
from leadflow_scoring import repository
from leadflow_scoring.rules import RuleSet, score_lead
from leadflow_scoring.tables import outbox

SOURCE = "leadflow/scoring"
RULES_MODEL = ModelRef(kind="rules", version=1)


async def rescore(
    connection: AsyncConnection,
    lead_id: uuid.UUID,
    *,
    rules: RuleSet,
    topics: Topics,
    cause: str,
    now: datetime | None = None,
) -> LeadScored | None:
    """Score the lead as it stands; store and publish `lead.scored` only when the score or the
    temperature changed. Returns the published event, if any."""
    now = now or datetime.now(UTC)
    profile = await repository.load_profile(connection, lead_id)
    if profile is None:
        return None
    result = score_lead(profile, await repository.load_activities(connection, lead_id), rules, now)
    current = await repository.current_score(connection, lead_id)
    if current is not None and current.score == result.score and current.temperature == result.temperature:
        return None
    revision = current.revision + 1 if current else 1
    reasons = [reason.model_dump() for reason in result.reasons]
    await repository.save_score(
        connection,
        lead_id=lead_id,
        revision=revision,
        score=result.score,
        previous_score=current.score if current else None,
        temperature=result.temperature.value,
        reasons=reasons,
        model=RULES_MODEL.model_dump(),
        cause=cause,
        scored_at=now,
    )
    scored = LeadScored(
        lead_id=lead_id,
        revision=revision,
        score=result.score,
        previous_score=current.score if current else None,
        temperature=result.temperature,
        previous_temperature=Temperature(current.temperature) if current else None,
        reasons=result.reasons,
        model=RULES_MODEL,
        scored_at=now,
        routing=RoutingHints(country=profile.country, language=profile.language, segment=result.segment),
    )
    await enqueue(connection, outbox, topics.scored, new_event(scored, source=SOURCE, subject=lead_id))
    return scored
