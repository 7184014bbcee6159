"""A rules version in use that fails on a lead: that lead is scored by the last version that
worked, the failure is counted, kept for /readyz and handed once to the audit trail; the
built-in rules themselves failing is a bug and raises."""

import uuid
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from leadflow_common.events import LeadProfile, ModelRef
from leadflow_scoring.domain.rules import Profiles, RuleSet, default_rules
from leadflow_scoring.store.state import ScoringState

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def lead(**fields) -> LeadProfile:
    base = {"lead_id": uuid.uuid4(), "revision": 1, "created_at": NOW, "updated_at": NOW}
    return LeadProfile(**{**base, **fields})


def b2b_only() -> RuleSet:
    """A document built around validation (as a stored one from an older release could be):
    no B2C profile, so a B2C lead cannot be scored by it."""
    return RuleSet.model_construct(profiles=Profiles.model_construct(b2b=default_rules().profiles.b2b))


def fallbacks(version: int) -> float:
    value = REGISTRY.get_sample_value(
        "leadflow_scoring_fallbacks_total", {"kind": "rules", "version": str(version)}
    )
    return value or 0.0


def test_a_lead_the_rules_in_use_fail_on_is_scored_by_the_last_version_that_worked():
    state = ScoringState(rules=b2b_only(), rules_version=7, fallback=default_rules(), fallback_version=6)
    before = fallbacks(7)

    score, model = state.score_as_served(lead(company="Acme", job_title="CTO"), [], NOW)
    assert model == ModelRef(kind="rules", version=7) and score.segment == "b2b"
    assert state.degraded == []

    score, model = state.score_as_served(lead(email="someone@example.com"), [], NOW)
    assert model == ModelRef(kind="rules", version=6), "the B2C lead is scored, by version 6"
    assert score.segment == "b2c"
    assert fallbacks(7) == before + 1
    [problem] = state.degraded
    assert (problem.version, problem.problem, problem.detail, problem.fallback_version) == (
        7,
        "fails",
        "AttributeError",
        6,
    )
    assert "version 7 fails on leads" in problem.describe()

    state.score_as_served(lead(email="another@example.com"), [], NOW)
    assert fallbacks(7) == before + 2, "every fallback is counted"
    assert state.take_unreported() == [problem], "audited once, however many leads it fails on"
    assert state.take_unreported() == []


def test_when_the_fallback_fails_too_the_built_in_rules_score():
    state = ScoringState(rules=b2b_only(), rules_version=9, fallback=b2b_only(), fallback_version=8)
    score, model = state.score_as_served(lead(email="someone@example.com"), [], NOW)
    assert model == ModelRef(kind="rules", version=0) and score.segment == "b2c"
    assert {problem.version for problem in state.degraded} == {9}  # 8 is older: history, not the state
    assert {problem.version for problem in state.take_unreported()} == {8, 9}


def test_the_built_in_rules_failing_is_a_bug_and_raises():
    state = ScoringState(rules=b2b_only(), rules_version=0, fallback=b2b_only(), fallback_version=0)
    with pytest.raises(AttributeError):
        state.score_as_served(lead(email="someone@example.com"), [], NOW)
