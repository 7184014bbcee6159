"""Retraining: fit a model on the outcomes so far, compare it with the model in use on the same
held-out outcomes, and put it into use only if it ranks them better."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from leadflow_common.events import LeadProfile
from leadflow_common.runtime import ServiceRuntime
from leadflow_scoring import learning, repository
from leadflow_scoring.features import lead_features
from leadflow_scoring.rules import Activity, segment_of, temperature_for
from leadflow_scoring.state import ScoringState

TRAINING_LOCK = "SELECT pg_try_advisory_xact_lock(hashtextextended('scoring:training', 0))"


class TrainingBusy(RuntimeError):
    pass


def _from_snapshot(snapshot: dict) -> tuple[LeadProfile, list[Activity]]:
    activities = [
        Activity(type=a["type"], occurred_at=datetime.fromisoformat(a["occurred_at"]))
        for a in snapshot["activities"]
    ]
    return LeadProfile.model_validate(snapshot["profile"]), activities


async def retrain(runtime: ServiceRuntime, state: ScoringState) -> dict:
    async with runtime.engine.begin() as connection:
        if not await connection.scalar(text(TRAINING_LOCK)):
            raise TrainingBusy("a retraining is already running")
        rows = await repository.outcomes_for_training(connection)
        leads = [(*_from_snapshot(row.snapshot), row.occurred_at) for row in rows]
        labels = [int(row.outcome == "won") for row in rows]
        train, held_out = learning.held_out_split(len(rows), labels)
        samples = [lead_features(profile, activities, at) for profile, activities, at in leads]

        candidate = await asyncio.to_thread(
            learning.fit, [samples[i] for i in train], [labels[i] for i in train]
        )
        held_labels = [labels[i] for i in held_out]
        # Scored as they would be served (a tenth of a point), like the model in use: an identical
        # model must not win on rounding.
        candidate_scores = [
            round(float(p) * 100, 1) for p in candidate.probabilities([samples[i] for i in held_out])
        ]
        candidate_bands = [
            temperature_for(score, state.rules.profiles[segment_of(leads[i][0])].thresholds)
            for score, i in zip(candidate_scores, held_out, strict=True)
        ]
        current = [state.score(*leads[i]) for i in held_out]
        metrics = learning.evaluate(candidate_scores, held_labels, candidate_bands)
        current_metrics = learning.evaluate(
            [s.score for s in current], held_labels, [s.temperature for s in current]
        )
        adopted = metrics["auc"] is not None and metrics["auc"] > (current_metrics["auc"] or 0)
        compared_with = state.model_ref.model_dump()
        metrics = {**metrics, "trained_on": len(train), "compared_with": {**compared_with, **current_metrics}}
        version = await repository.add_model(
            connection,
            blob=candidate.dumps(),
            metrics=metrics,
            outcome_count=len(rows),
            in_use=adopted,
            now=datetime.now(UTC),
        )
    if adopted:
        async with runtime.engine.connect() as connection:
            await state.refresh(connection)
    return {"version": version, "adopted": adopted, "metrics": metrics}
