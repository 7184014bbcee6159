"""Re-scoring leads in the caller's unit of work, publishing only a change: a batch's leads read
and written together (`score_store.py`), one lead being a batch of one."""

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from leadflow_common.events import ContactCard, LeadProfile, LeadScored, ModelRef, RoutingHints, Temperature
from leadflow_common.unit_of_work import Outgoing, UnitOfWork
from leadflow_scoring.app.account_scorer import rescore_accounts
from leadflow_scoring.domain.rules import Activity, CurrentScore, Score
from leadflow_scoring.store import accounts as account_store
from leadflow_scoring.store import score_store
from leadflow_scoring.store.account_facts import PersonPart
from leadflow_scoring.store.state import ScoringState


async def rescore_many(
    uow: UnitOfWork,
    causes: dict[uuid.UUID, str],
    *,
    state: ScoringState,
    topic: str,
    now: datetime | None = None,
    publish_on: Literal["change", "band"] = "change",
    accounts_topic: str | None = None,
    left_accounts: frozenset[uuid.UUID] = frozenset(),
) -> dict[uuid.UUID, LeadScored]:
    """Score each lead (`causes`: why, by lead) as it stands; store and publish `lead.scored`
    only when the score or the temperature changed (with `publish_on="band"`, as the decay
    sweep asks: only the temperature). The accounts of these leads, and those some of them just
    left (`left_accounts`), are re-scored after them (on `accounts_topic`). Returns the
    published events by lead, in `causes`' order."""
    now = now or datetime.now(UTC)
    connection = uow.connection
    profiles = await score_store.profiles_of(connection, list(causes))
    found = [lead_id for lead_id in causes if lead_id in profiles]
    if not found:
        return {}
    activities = await score_store.recent_activities_of(connection, found)
    currents = await score_store.current_scores(connection, found)
    accounts = await account_store.accounts_of(connection, found)
    saved: list[dict[str, Any]] = []
    relabelled: list[dict[str, Any]] = []
    published: dict[uuid.UUID, LeadScored] = {}
    standing: dict[uuid.UUID, tuple[float, Temperature]] = {}  # each lead's score as stored after
    for lead_id in found:
        profile, current = profiles[lead_id], currents.get(lead_id)
        result, model = state.score_as_served(profile, activities[lead_id], now)
        standing[lead_id] = (result.score, result.temperature)
        if current is not None:
            same_band = current.temperature == result.temperature
            if same_band and (publish_on == "band" or current.score == result.score):
                standing[lead_id] = (current.score, current.temperature)
                if current.score == result.score and current.model != model:
                    # Same score from another model: nothing to publish, but the stored score
                    # must say which model gave it and why.
                    reasons = [reason.model_dump() for reason in result.reasons]
                    relabelled.append({"lead": lead_id, "reasons": reasons, "model": model.model_dump()})
                continue
        row, published[lead_id] = _new_score(
            lead_id, profile, current, result, model, causes[lead_id], now, accounts.get(lead_id)
        )
        saved.append(row)
    await score_store.relabel_scores(connection, relabelled)
    await score_store.save_scores(connection, saved)
    # Together: the cards they carry are sealed with keys read in one statement for them all.
    await uow.publish_all(topic, [Outgoing(scored, lead_id) for lead_id, scored in published.items()])
    if accounts_topic is not None:
        # The accounts' people of the batch as just scored, and the accounts they left.
        parts = [_part(lead, profiles[lead], activities[lead], standing[lead]) for lead in accounts]
        touched, rules = set(accounts.values()) | left_accounts, state.rules.account
        await rescore_accounts(uow, touched, rules=rules, topic=accounts_topic, now=now, parts=parts)
    await audit_problems(uow, state)  # with the scores a fallback gave
    return published


def _part(
    lead_id: uuid.UUID, profile: LeadProfile, activities: list[Activity], standing: tuple[float, Temperature]
) -> PersonPart:
    """The lead's part of her account's score, from what was just read and scored."""
    latest = max((activity.occurred_at for activity in activities), default=None)
    return PersonPart(
        lead_id=lead_id,
        score=standing[0],
        temperature=standing[1].value,
        job_title=profile.job_title,
        last_active_at=latest or profile.updated_at,
    )


def _new_score(
    lead_id: uuid.UUID,
    profile: LeadProfile,
    current: CurrentScore | None,
    result: Score,
    model: ModelRef,
    cause: str,
    now: datetime,
    account_id: uuid.UUID | None,
) -> tuple[dict[str, Any], LeadScored]:
    """A changed score: its row (the next revision) and the `lead.scored` that announces it."""
    revision = current.revision + 1 if current else 1
    previous = current.score if current else None
    row = {
        "lead_id": lead_id,
        "revision": revision,
        "score": result.score,
        "previous_score": previous,
        "temperature": result.temperature.value,
        "reasons": [reason.model_dump() for reason in result.reasons],
        "model": model.model_dump(),
        "cause": cause,
        "scored_at": now,
    }
    event = LeadScored(
        lead_id=lead_id,
        revision=revision,
        score=result.score,
        previous_score=previous,
        temperature=result.temperature,
        previous_temperature=current.temperature if current else None,
        reasons=result.reasons,
        model=model,
        scored_at=now,
        routing=RoutingHints(
            country=profile.country,
            language=profile.language,
            segment=result.segment,
            account_id=account_id,
        ),
        card=card_of(profile),
        card_revision=profile.revision,
    )
    return row, event


def card_of(profile: LeadProfile) -> ContactCard:
    """The contact card routing puts on its decisions, from the profile just scored."""
    return ContactCard(
        **{name: getattr(profile, name) for name in CARD_PROFILE_FIELDS},
        channels=profile.channels,
        attribution=profile.attribution,
    )


CARD_PROFILE_FIELDS = (
    *("first_name", "last_name", "email", "phone", "company", "job_title"),
    *("country", "language"),
)


async def audit_problems(uow: UnitOfWork, state: ScoringState) -> None:
    """Each rules or model version that failed, in the audit trail once, naming the version
    that scored instead (ids and field paths only: never a lead's data)."""
    for problem in state.take_unreported():
        await uow.audit(
            "service:scoring",
            f"{'model' if problem.kind == 'learned' else 'rules'}.{problem.problem}",
            ("model" if problem.kind == "learned" else "rules", problem.version),
            outcome="failed",
            fallback_rules_version=problem.fallback_version,
            detail=problem.detail,
        )
