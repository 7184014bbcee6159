"""Which rules and which model score leads now. Kept in PostgreSQL, so every scoring process
follows a change another one made (it re-reads the versions every few seconds)."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import LeadProfile, ModelRef
from leadflow_scoring import versions
from leadflow_scoring.features import lead_features
from leadflow_scoring.model import ServedModel
from leadflow_scoring.rules import Activity, RuleSet, Score, default_rules, score_lead, segment_of

BUILT_IN_RULES_VERSION = 0
log = logging.getLogger(__name__)


def _load_model(version: int, blob: bytes) -> ServedModel | None:
    try:
        return ServedModel.loads(blob)
    except (ValueError, KeyError, TypeError):
        # Models stored before they were kept as JSON were pickles: score with the rules until
        # the next retraining rather than fail to start.
        log.error("model in use cannot be read; scoring with the rules", extra={"model_version": version})
        return None


@dataclass
class ScoringState:
    rules: RuleSet = field(default_factory=default_rules)
    rules_version: int = BUILT_IN_RULES_VERSION
    model: ServedModel | None = None
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
        latest = await versions.latest_rules(connection)
        if latest is not None and latest.version != self.rules_version:
            self.rules, self.rules_version = RuleSet.model_validate(latest.document), latest.version
            changed = True
        in_use = await versions.model_in_use(connection)
        in_use_version = in_use.version if in_use else None
        if in_use_version != self.model_version:
            self.model = _load_model(in_use.version, in_use.blob) if in_use else None
            self.model_version = in_use_version
            self.model_metrics = in_use.metrics if in_use else None
            self.model_trained_at = in_use.trained_at if in_use else None
            changed = True
        return changed
