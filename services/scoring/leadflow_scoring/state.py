"""Which rules and which model score leads now. Kept in PostgreSQL, so every scoring process
follows a change another one made (it re-reads the versions every few seconds)."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import LeadProfile, ModelRef
from leadflow_scoring import repository
from leadflow_scoring.features import lead_features
from leadflow_scoring.learning import LearnedModel
from leadflow_scoring.rules import Activity, RuleSet, Score, default_rules, score_lead, segment_of

BUILT_IN_RULES_VERSION = 0


@dataclass
class ScoringState:
    rules: RuleSet = field(default_factory=default_rules)
    rules_version: int = BUILT_IN_RULES_VERSION
    model: LearnedModel | None = None
    model_version: int | None = None
    model_metrics: dict | None = None
    model_trained_at: datetime | None = None

    @property
    def model_ref(self) -> ModelRef:
        if self.model is not None:
            return ModelRef(kind="learned", version=self.model_version)
        return ModelRef(kind="rules", version=self.rules_version)

    def score(self, lead: LeadProfile, activities: list[Activity], now: datetime) -> Score:
        """The learned model's score when one is in use, else the rules'; both band with the
        thresholds of the lead's profile in the rules."""
        if self.model is None:
            return score_lead(lead, activities, self.rules, now)
        segment = segment_of(lead)
        thresholds = self.rules.profiles[segment].thresholds
        score, temperature, reasons = self.model.explain(lead_features(lead, activities, now), thresholds)
        return Score(score=score, temperature=temperature, reasons=reasons, segment=segment)

    async def refresh(self, connection: AsyncConnection) -> bool:
        """Load newer rules or another model in use; True when anything changed."""
        changed = False
        latest = await repository.latest_rules(connection)
        if latest is not None and latest.version != self.rules_version:
            self.rules, self.rules_version = RuleSet.model_validate(latest.document), latest.version
            changed = True
        in_use = await repository.model_in_use(connection)
        in_use_version = in_use.version if in_use else None
        if in_use_version != self.model_version:
            # Unpickling a model is CPU work: off the event loop.
            self.model = await asyncio.to_thread(LearnedModel.loads, in_use.blob) if in_use else None
            self.model_version = in_use_version
            self.model_metrics = in_use.metrics if in_use else None
            self.model_trained_at = in_use.trained_at if in_use else None
            changed = True
        return changed
