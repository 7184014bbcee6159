"""The account score's rules in the scoring form, pure (account_rules_form.py): what is in use
shows in the inputs, what is typed goes back whole, and the service's errors find their input."""

from leadflow_console.domain import account_rules_form, rules_form
from leadflow_scoring.domain.rules import RuleSet, default_rules


def form_of(document: dict) -> dict[str, str]:
    rows = account_rules_form.rows_from_document(document)
    typed = {f"account.thresholds.{name}": value for name, value in rows["thresholds"].items()}
    typed |= {f"account.{name}": value for name, value in rows["numbers"].items()}
    return typed | {"account.seniority_levels": rows["seniority_levels"]}


def candidate_of(typed: dict[str, str], document: dict) -> rules_form.Candidate:
    candidate = rules_form.document_from_rows(rules_form.rows_from_document(document))
    account_rules_form.add_to_document(candidate, account_rules_form.rows_from_form(typed))
    return candidate


def test_the_account_rules_in_use_go_through_the_form_unchanged():
    document = default_rules().model_dump(mode="json")
    candidate = candidate_of(form_of(document), document)
    assert RuleSet.model_validate(candidate.document).account == default_rules().account


def test_a_changed_hot_threshold_and_points_are_sent_and_errors_find_their_input():
    document = default_rules().model_dump(mode="json")
    typed = form_of(document) | {"account.thresholds.hot": "55", "account.engaged_person": "x"}
    candidate = candidate_of(typed, document)
    assert candidate.document["account"]["thresholds"]["hot"] == 55
    assert candidate.document["account"]["engaged_person"] == "x", "sent as typed, for the service to name"
    assert candidate.input_for("account.engaged_person") == "account.engaged_person"
    assert candidate.input_for("account.thresholds.hot") == "account.thresholds.hot"


def test_a_document_from_before_accounts_leaves_the_services_defaults():
    document = default_rules().model_dump(mode="json")
    del document["account"]
    candidate = candidate_of(form_of(document), document)
    assert candidate.document["account"] == {}
    assert RuleSet.model_validate(candidate.document).account == default_rules().account
