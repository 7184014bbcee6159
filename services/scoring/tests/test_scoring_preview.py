"""Previewing candidate rules: AUC as the chance a won lead outranks a lost one, and the bands
of recent leads before and after."""

import uuid
from datetime import UTC, datetime

from leadflow_common.events import LeadProfile
from leadflow_scoring.domain.preview import KnownOutcome, auc, compare
from leadflow_scoring.domain.rules import default_rules

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def lead(title: str) -> LeadProfile:
    return LeadProfile(
        lead_id=uuid.uuid4(),
        revision=1,
        email="x@bigco.example",
        job_title=title,
        company_size="1000+",
        created_at=NOW,
        updated_at=NOW,
    )


def test_auc_counts_pairs_and_ties_half():
    assert auc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert auc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.3, 0.7, 0.5, 0.1], [True, False, True, False]) == 0.5
    assert auc([0.3, 0.7], [True, True]) is None  # no lost lead: nothing to rank


def test_lowering_the_thresholds_moves_a_recent_lead_up_and_is_measured_on_known_outcomes():
    current = default_rules()
    candidate = current.model_copy(deep=True)
    for profile in (candidate.profiles.b2b, candidate.profiles.b2c):
        profile.thresholds.warm, profile.thresholds.hot = 1.0, 2.0
    recent = [(lead("CTO"), []), (lead("Intern"), [])]
    known = [
        KnownOutcome(lead("CEO"), [], at=NOW, won=True),
        KnownOutcome(lead("Student"), [], at=NOW, won=False),
    ]
    result = compare(current, candidate, recent, known, NOW)
    assert result["recent"]["leads"] == 2
    assert result["recent"]["current"] == {"cold": 2}  # the CTO scores 35, the intern 0
    assert result["recent"]["candidate"] == {"hot": 1, "cold": 1}
    cto = recent[0][0].lead_id
    assert result["recent"]["moves"] == [{"from": "cold", "to": "hot", "leads": 1, "examples": [str(cto)]}]
    assert result["recent"]["moved"] == 1
    assert result["outcomes"]["current"]["auc"] == result["outcomes"]["candidate"]["auc"] == 1.0
    assert result["outcomes"]["current"]["conversion_by_band"] == {
        "cold": {"leads": 2, "won": 1, "conversion": 0.5}
    }
    assert result["outcomes"]["candidate"]["conversion_by_band"]["hot"] == {
        "leads": 1,
        "won": 1,
        "conversion": 1.0,
    }


def test_calibration_bins_put_predictions_beside_what_was_won():
    from leadflow_scoring.domain.learning import calibration

    bins = calibration([5, 8, 55, 95, 100], [0, 1, 1, 1, 1])
    assert bins == [
        {"predicted": 0.065, "observed": 0.5, "leads": 2},
        {"predicted": 0.55, "observed": 1.0, "leads": 1},
        {"predicted": 0.975, "observed": 1.0, "leads": 2},  # 100 joins the top bin
    ]
