"""A lead's outcome is final: repeated, corrected by an admin or a manager, never flipped by a rep
(pure)."""

import uuid
from datetime import UTC, datetime

import pytest

from leadflow_capture.domain.outcome_rules import OutcomeFinal, OutcomeReport, RecordedOutcome, judge
from leadflow_common.access import BOOTSTRAP, Principal, PrincipalKind, Role
from leadflow_common.errors import Forbidden, Invalid

WON = RecordedOutcome(uuid.uuid4(), uuid.uuid4(), "won", datetime(2026, 12, 2, 12, tzinfo=UTC), "event-1")
REP = Principal(PrincipalKind.user, "7", role=Role.rep, rep_id=uuid.uuid4())
ADMIN = Principal(PrincipalKind.user, "1", role=Role.admin)
MARKETER = Principal(PrincipalKind.user, "2", role=Role.marketer)
MANAGER = Principal(PrincipalKind.user, "3", role=Role.manager)
KEY = Principal(PrincipalKind.key, "crm")


def test_the_first_report_stands_and_a_repeat_of_it_is_answered_with_it():
    assert judge(None, OutcomeReport("won"), REP) == "first"
    assert judge(WON, OutcomeReport("won"), REP) == "same"


def test_another_result_without_naming_the_recorded_one_is_a_conflict_naming_corrects():
    with pytest.raises(OutcomeFinal) as refused:
        judge(WON, OutcomeReport("lost"), ADMIN)
    assert refused.value.status == 409
    assert (
        refused.value.fields[0].name == "corrects" and str(WON.outcome_id) in refused.value.fields[0].message
    )
    assert "recorded as won at 2026-12-02 12:00 UTC" in refused.value.detail


@pytest.mark.parametrize("who", [REP, MARKETER])
def test_reps_and_marketers_do_not_correct(who):
    with pytest.raises(Forbidden):
        judge(WON, OutcomeReport("lost", WON.outcome_id, "changed my mind"), who)


@pytest.mark.parametrize("who", [ADMIN, MANAGER, KEY, BOOTSTRAP])
def test_an_admin_a_manager_a_key_or_the_bootstrap_key_corrects_naming_the_outcome_and_saying_why(who):
    assert judge(WON, OutcomeReport("lost", WON.outcome_id, "the contract fell through"), who) == "correct"


def test_a_correction_must_name_the_latest_say_why_and_change_something():
    with pytest.raises(OutcomeFinal):
        judge(WON, OutcomeReport("lost", uuid.uuid4(), "why"), ADMIN)
    with pytest.raises(Invalid) as no_reason:
        judge(WON, OutcomeReport("lost", WON.outcome_id, None), ADMIN)
    assert no_reason.value.fields[0].name == "reason"
    with pytest.raises(Invalid) as same:
        judge(WON, OutcomeReport("won", WON.outcome_id, "why"), ADMIN)
    assert same.value.fields[0].name == "outcome"
    with pytest.raises(Invalid) as nothing:
        judge(None, OutcomeReport("lost", uuid.uuid4(), "why"), ADMIN)
    assert nothing.value.fields[0].name == "corrects"
