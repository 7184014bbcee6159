"""Retraining: fit a model on the outcomes so far, compare it with the model in use on the same
held-out outcomes, and put it into use only if it ranks them better.

Fitting and measuring run in a process started for the retraining: scikit-learn and what it
allocates (about 100 MB) leave with it instead of staying in the service for good."""

import asyncio
import random
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context

from leadflow_common.access import Principal
from leadflow_common.errors import Conflict
from leadflow_common.events import LeadProfile
from leadflow_common.runtime import ServiceRuntime
from leadflow_scoring.domain.features import lead_features
from leadflow_scoring.domain.rules import Activity, segment_of, temperature_for
from leadflow_scoring.store import repository, versions
from leadflow_scoring.store.state import ScoringState

TRAINING_LOCK = "scoring:training"


HELD_OUT_SHARE = 0.25
# Each kind of outcome is split three ways (held out to compare, fitted on, calibrated on, the
# last in folds of at least two of each): 12 leaves every part enough (4 won and 4 lost let
# through once failed the fit itself, a marketer saw "Internal error").
MIN_EACH = 12


class TrainingBusy(Conflict):
    title = "Training in progress"


class NotEnoughOutcomes(Conflict):
    title = "Not enough outcomes"


def held_out_split(labels: list[int], *, seed: int = 11) -> tuple[list[int], list[int]]:
    """Indices to train on and to hold out, stratified so both keep the conversion rate."""
    won, lost = labels.count(1), labels.count(0)
    if min(won, lost) < MIN_EACH:
        raise NotEnoughOutcomes(
            f"it learns from at least {MIN_EACH} won and {MIN_EACH} lost leads; there are {won} won"
            f" and {lost} lost so far"
        )
    shuffle = random.Random(seed).shuffle
    held_out: list[int] = []
    for label in (0, 1):
        indices = [index for index, value in enumerate(labels) if value == label]
        shuffle(indices)
        held_out += indices[: max(2, round(len(indices) * HELD_OUT_SHARE))]
    chosen = set(held_out)
    return [index for index in range(len(labels)) if index not in chosen], sorted(held_out)


def run_learning(function: str, *args):
    """In the training process: the only place scikit-learn is imported."""
    from leadflow_scoring.domain import learning

    return getattr(learning, function)(*args)


def snapshot_lead(snapshot: dict) -> tuple[LeadProfile, list[Activity]]:
    activities = [
        Activity(type=a["type"], occurred_at=datetime.fromisoformat(a["occurred_at"]))
        for a in snapshot["activities"]
    ]
    return LeadProfile.model_validate(snapshot["profile"]), activities


async def retrain(runtime: ServiceRuntime, state: ScoringState, principal: Principal) -> dict:
    async with runtime.unit_of_work() as uow:
        connection = uow.connection
        if not await uow.try_lock(TRAINING_LOCK):
            raise TrainingBusy("a retraining is already running")
        rows = await repository.outcomes_for_training(connection)
        leads = [(*snapshot_lead(row.snapshot), row.occurred_at) for row in rows]
        labels = [int(row.outcome == "won") for row in rows]
        train, held_out = held_out_split(labels)
        samples = [lead_features(profile, activities, at) for profile, activities, at in leads]
        held_labels = [labels[i] for i in held_out]
        current = [state.score(*leads[i]) for i in held_out]

        loop = asyncio.get_running_loop()
        pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        try:
            candidate = await loop.run_in_executor(
                pool, run_learning, "fit", [samples[i] for i in train], [labels[i] for i in train]
            )
            # Scored as served (a tenth of a point), like the model in use: an identical model
            # must not win on rounding.
            candidate_scores = [candidate.score(samples[i]) for i in held_out]
            candidate_bands = [
                temperature_for(score, state.rules.profile(segment_of(leads[i][0])).thresholds)
                for score, i in zip(candidate_scores, held_out, strict=True)
            ]
            metrics = await loop.run_in_executor(
                pool, run_learning, "evaluate", candidate_scores, held_labels, candidate_bands
            )
            current_metrics = await loop.run_in_executor(
                pool,
                run_learning,
                "evaluate",
                [s.score for s in current],
                held_labels,
                [s.temperature for s in current],
            )
        finally:
            await asyncio.to_thread(pool.shutdown)
        adopted = metrics["auc"] is not None and metrics["auc"] > (current_metrics["auc"] or 0)
        compared_with = state.model_ref.model_dump()
        metrics = {**metrics, "trained_on": len(train), "compared_with": {**compared_with, **current_metrics}}
        version = await versions.add_model(
            connection,
            blob=candidate.dumps(),
            metrics=metrics,
            outcome_count=len(rows),
            in_use=adopted,
            now=datetime.now(UTC),
        )
        await uow.audit(principal, "model.retrained", ("model", version), adopted=adopted)
    if adopted:
        async with runtime.engine.connect() as connection:
            await state.refresh(connection)
    return {"version": version, "adopted": adopted, "metrics": metrics}
