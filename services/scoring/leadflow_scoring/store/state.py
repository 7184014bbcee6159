"""Which rules and which model score leads now. Kept in PostgreSQL, so every scoring process
follows a change another one made (it re-reads the versions every few seconds).

A colleague's mistake in the rules never stops scoring: a stored version that does not validate
is not put into use, and a version in use that fails on a lead leaves that lead to the last
version that worked (then the built-in rules). Each such problem is kept here until a newer
version is in use: it is what `/readyz`, the metrics and the audit trail report."""

import functools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import LeadProfile, ModelRef
from leadflow_scoring import metrics
from leadflow_scoring.domain.features import lead_features
from leadflow_scoring.domain.model import ServedModel
from leadflow_scoring.domain.rules import Activity, RuleSet, Score, default_rules, score_lead, segment_of
from leadflow_scoring.store import versions

BUILT_IN_RULES_VERSION = 0
# Stored versions read, newest first, to find one that validates (each was validated when saved:
# an invalid one was written around the API, so there are few).
VERSIONS_SEARCHED = 20
log = logging.getLogger(__name__)


def _load_model(version: int, blob: bytes) -> ServedModel | None:
    try:
        return ServedModel.loads(blob)
    except (ValueError, KeyError, TypeError):
        # Models stored before they were kept as JSON were pickles: score with the rules until
        # the next retraining rather than fail to start.
        log.error("model in use cannot be read; scoring with the rules", extra={"model_version": version})
        return None


@dataclass(frozen=True)
class RulesProblem:
    """A rules version (or learned model) that cannot score, and what scores instead."""

    kind: Literal["rules", "learned"]
    version: int
    problem: Literal["invalid", "fails"]  # does not validate / raised on a lead
    detail: str  # the fields at fault, or the error's type: never a lead's data
    fallback_version: int  # the rules version that scores instead
    since: datetime

    def describe(self) -> str:
        what = "does not validate" if self.problem == "invalid" else "fails on leads"
        fallback = f"scoring with rules version {self.fallback_version}"
        return f"{self.kind} version {self.version} {what} ({self.detail}); {fallback}"


@functools.cache
def _ref(kind: Literal["rules", "learned"], version: int) -> ModelRef:
    """One ModelRef per version, not one per lead scored (it is never mutated)."""
    return ModelRef(kind=kind, version=version)


def _invalid_fields(error: ValidationError) -> str:
    paths = [".".join(str(part) for part in item["loc"]) for item in error.errors()[:3]]
    more = error.error_count() - len(paths)
    return ", ".join(paths) + (f" and {more} more" if more > 0 else "")


@dataclass
class ScoringState:
    rules: RuleSet = field(default_factory=default_rules)
    rules_version: int = BUILT_IN_RULES_VERSION
    model: ServedModel | None = None
    model_version: int | None = None
    model_metrics: dict[str, object] | None = None  # AUC, Brier, conversion per band, calibration
    model_trained_at: datetime | None = None
    # What scores a lead the rules in use fail on: the version in use before them, if it had no
    # problem, else the newest valid stored version before them, else the built-in rules.
    fallback: RuleSet = field(default_factory=default_rules)
    fallback_version: int = BUILT_IN_RULES_VERSION
    built_in: RuleSet = field(default_factory=default_rules)
    problems: dict[tuple[str, int], RulesProblem] = field(default_factory=dict)
    unreported: list[RulesProblem] = field(default_factory=list)
    _loaded_once: bool = False

    @property
    def model_ref(self) -> ModelRef:
        if self.model is not None:
            return _ref("learned", self.model_version)
        return _ref("rules", self.rules_version)

    @property
    def degraded(self) -> list[RulesProblem]:
        """Problems of what is in use now, or of a newer rules version that was not put into use."""
        return [
            problem
            for problem in self.problems.values()
            if (problem.kind == "rules" and problem.version >= self.rules_version)
            or (problem.kind == "learned" and problem.version == self.model_version)
        ]

    def take_unreported(self) -> list[RulesProblem]:
        """Problems not yet in the audit trail (each is audited once per process)."""
        taken, self.unreported = self.unreported, []
        return taken

    def score(self, lead: LeadProfile, activities: list[Activity], now: datetime) -> Score:
        return self.score_as_served(lead, activities, now)[0]

    def score_as_served(
        self, lead: LeadProfile, activities: list[Activity], now: datetime
    ) -> tuple[Score, ModelRef]:
        """The lead's score and what gave it: the learned model when one is in use, else the
        rules; both band with the thresholds of the lead's profile in the rules. Whatever fails
        on this lead is skipped for the next in line, said loudly, never raised."""
        segment = segment_of(lead)
        if self.model is not None and self.model_version is not None:
            try:
                thresholds = self.rules.profile(segment).thresholds
                features = lead_features(lead, activities, now)
                score, temperature, reasons = self.model.explain(features, thresholds)
                result = Score(score=score, temperature=temperature, reasons=reasons, segment=segment)
                return result, _ref("learned", self.model_version)
            except Exception as error:
                self._failed("learned", self.model_version, error, fallback_version=self.rules_version)
        chain = self._rules_chain()
        for (version, rules), next_version in zip(chain, [v for v, _ in chain[1:]] + [None], strict=True):
            try:
                return score_lead(lead, activities, rules, now), _ref("rules", version)
            except Exception as error:
                if next_version is None:
                    raise  # the built-in rules themselves: a bug to fix, not a colleague's setting
                self._failed("rules", version, error, fallback_version=next_version)
        raise AssertionError("unreachable: the chain ends by raising")

    def _rules_chain(self) -> list[tuple[int, RuleSet]]:
        """The rules in use, the fallback, the built-in rules: each version once, in that order."""
        chain = [(self.rules_version, self.rules)]
        for version, rules in (
            (self.fallback_version, self.fallback),
            (BUILT_IN_RULES_VERSION, self.built_in),
        ):
            if all(version != known for known, _ in chain):
                chain.append((version, rules))
        return chain

    def _failed(
        self, kind: Literal["rules", "learned"], version: int, error: Exception, *, fallback_version: int
    ) -> None:
        metrics.SCORING_FALLBACKS.labels(kind=kind, version=str(version)).inc()
        if (kind, version) not in self.problems:
            log.error(
                "scoring version fails on a lead; scoring with the fallback",
                extra={"kind": kind, "version": version, "fallback_version": fallback_version},
                exc_info=error,
            )
            self._note(
                RulesProblem(
                    kind, version, "fails", type(error).__name__, fallback_version, datetime.now(UTC)
                )
            )

    def _note(self, problem: RulesProblem) -> None:
        self.problems[(problem.kind, problem.version)] = problem
        self.unreported.append(problem)
        metrics.RULES_DEGRADED.set(len(self.degraded))

    async def refresh(self, connection: AsyncConnection) -> bool:
        """Load newer rules or another model in use; True when anything changed."""
        changed = await self._refresh_rules(connection)
        in_use = await versions.model_in_use(connection)
        in_use_version = in_use.version if in_use else None
        if in_use_version != self.model_version:
            self.model = _load_model(in_use.version, in_use.blob) if in_use else None
            self.model_version = in_use_version
            self.model_metrics = in_use.metrics if in_use else None
            self.model_trained_at = in_use.trained_at if in_use else None
            changed = True
        metrics.RULES_DEGRADED.set(len(self.degraded))
        return changed

    async def _refresh_rules(self, connection: AsyncConnection) -> bool:
        """The newest stored version that validates is put into use; newer ones that do not are
        problems (noted once, not read again)."""
        latest = await versions.latest_rules_version(connection)
        if latest is None or latest == self.rules_version or ("rules", latest) in self.problems:
            return False
        valid: list[tuple[int, RuleSet]] = []
        for version, document in await versions.rules_newest_first(connection, VERSIONS_SEARCHED):
            try:
                valid.append((version, RuleSet.model_validate(document)))
            except ValidationError as error:
                if ("rules", version) not in self.problems:
                    fallback = valid[0][0] if valid else self.rules_version
                    detail = _invalid_fields(error)
                    log.error("stored rules do not validate", extra={"version": version, "fields": detail})
                    self._note(RulesProblem("rules", version, "invalid", detail, fallback, datetime.now(UTC)))
            if len(valid) == 2:
                break
        if not valid or valid[0][0] == self.rules_version:
            return False
        in_use_fails = ("rules", self.rules_version) in self.problems
        if self._loaded_once and not in_use_fails:
            self.fallback, self.fallback_version = self.rules, self.rules_version
        elif len(valid) == 2:
            self.fallback_version, self.fallback = valid[1]
        self.rules_version, self.rules = valid[0]
        self._loaded_once = True
        return True
