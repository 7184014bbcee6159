"""An account's score from its people, pure (account_score.py), and its place in the rules."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from leadflow_common.events import Temperature
from leadflow_scoring.domain.account_score import AccountRules, Person, score_account, seniority_of
from leadflow_scoring.domain.rules import RuleSet, default_rules

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
RULES = AccountRules()


def person(score: float, temperature: Temperature, title: str | None = None, days_ago: float = 1) -> Person:
    return Person(
        lead_id=uuid.uuid4(),
        score=score,
        temperature=temperature,
        job_title=title,
        last_active_at=NOW - timedelta(days=days_ago),
    )


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("CTO", "c_level"),
        ("Chief Revenue Officer", "c_level"),
        ("VP Sales", "vp"),
        ("Head of Data", "vp"),
        ("Director of Engineering", "director"),  # `cto` is not a word of it
        ("Engineering Manager", "manager"),
        ("Senior Software Engineer", "practitioner"),
        ("Marketing Intern", "junior"),
        ("Junior Developer", "junior"),
        ("Astronaut", "unknown"),
        (None, "unknown"),
    ],
)
def test_a_job_title_has_a_seniority(title, level):
    assert seniority_of(title, RULES.seniority_levels) == level


def test_a_c_level_and_a_practitioner_beat_two_interns():
    leaders = [person(45, Temperature.warm, "CEO"), person(45, Temperature.warm, "Data Engineer")]
    interns = [person(45, Temperature.warm, "Intern"), person(45, Temperature.warm, "Sales Intern")]
    assert score_account(leaders, RULES, NOW).score > score_account(interns, RULES, NOW).score


def test_three_warm_people_make_an_account_hot_one_does_not():
    three = [
        person(45, Temperature.warm, "Engineer"),
        person(50, Temperature.warm, "Analyst"),
        person(42, Temperature.warm, "Developer"),
    ]
    assert score_account(three, RULES, NOW).temperature == Temperature.hot
    assert score_account(three[:1], RULES, NOW).temperature != Temperature.hot


def test_the_reasons_add_up_to_the_score_and_say_each_part():
    people = [person(80, Temperature.hot, "CTO"), person(20, Temperature.cold, "Engineer", days_ago=60)]
    result = score_account(people, RULES, NOW)
    assert round(sum(reason.points for reason in result.reasons), 1) == result.score
    factors = {reason.factor for reason in result.reasons}
    assert {
        "account:engaged_people",
        "account:best_person",
        "account:people_sum",
        "account:recent",
    } <= factors
    assert {"account:seniority:c_level", "account:seniority:practitioner"} <= factors


def test_old_interest_adds_no_recency_and_the_score_stays_within_bounds():
    stale = [person(45, Temperature.warm, days_ago=60)]
    assert "account:recent" not in {reason.factor for reason in score_account(stale, RULES, NOW).reasons}
    crowd = [
        person(100, Temperature.hot, title) for title in ("CEO", "VP", "Director", "Manager", "Engineer")
    ] * 4
    assert score_account(crowd, RULES, NOW).score == 100
    assert score_account([], RULES, NOW).score == 0


def test_the_account_points_and_thresholds_are_part_of_the_validated_rules_document():
    document = default_rules().model_dump(mode="json")
    assert document["account"]["thresholds"]["hot"] == 70
    document["account"]["thresholds"] = {"warm": 80, "hot": 60}
    with pytest.raises(ValidationError, match=r"account\.thresholds\.hot"):
        RuleSet.model_validate(document)
    document["account"] = {"engaged_person": 20, "thresholds": {"hot": 50}}
    assert RuleSet.model_validate(document).account.engaged_person == 20
    del document["account"]  # a document from before accounts still validates
    assert RuleSet.model_validate(document).account == AccountRules()


def test_the_preview_says_which_accounts_change_band_under_candidate_account_rules():
    from leadflow_scoring.domain.account_score import compare_accounts

    warm_pair = [
        person(58, Temperature.warm, "VP Sales"),
        person(48, Temperature.warm, "Engineering Manager"),
    ]
    lone = [person(45, Temperature.warm, "Engineer")]
    accounts = {uuid.uuid4(): warm_pair, uuid.uuid4(): lone}
    lower_hot = RULES.model_copy(update={"thresholds": RULES.thresholds.model_copy(update={"hot": 60})})
    compared = compare_accounts(RULES, lower_hot, accounts, NOW)
    assert compared["accounts"] == 2 and compared["moved"] == 1
    assert compared["moves"] == [{"from": "warm", "to": "hot", "accounts": 1}]
    assert compared["current"].get("hot", 0) == 0 and compared["candidate"]["hot"] == 1
