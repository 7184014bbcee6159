"""Reading scores and models for the API: a lead's score with its history, the evidence behind
the model in use, the trained models, the newest rules version. No state changes here."""

import uuid
from dataclasses import dataclass
from typing import Any

from leadflow_common.errors import NotFound
from leadflow_common.runtime import ServiceRuntime
from leadflow_scoring.domain.scores import CurrentScore, ScoreStep
from leadflow_scoring.store import repository, score_store, versions
from leadflow_scoring.store.versions import TrainedModel


@dataclass(frozen=True)
class ModelEvidence:
    outcomes: int  # outcomes recorded so far
    conversion_by_band: dict[str, Any]  # observed conversion per band the lead had


class ScoreReads:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def lead_score(self, lead_id: uuid.UUID) -> tuple[CurrentScore, list[ScoreStep]]:
        """The lead's score as it stands (404 before its first) and its history, newest first."""
        async with self._runtime.engine.connect() as connection:
            current = await score_store.current_score(connection, lead_id)
            if current is None:
                raise NotFound(f"No score for lead {lead_id} (yet)")
            return current, await repository.score_history_of(connection, lead_id)

    async def model_evidence(self) -> ModelEvidence:
        async with self._runtime.engine.connect() as connection:
            outcomes = await repository.outcome_count(connection)
            conversion = await repository.conversion_by_band(connection)
        return ModelEvidence(outcomes, conversion)

    async def recent_models(self) -> list[TrainedModel]:
        async with self._runtime.engine.connect() as connection:
            return await versions.recent_models(connection)

    async def newest_rules_version(self) -> int:
        """The newest rules version stored (this process may not use it yet: its refresh)."""
        async with self._runtime.engine.connect() as connection:
            return await versions.newest_rules_stored(connection)
