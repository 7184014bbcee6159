"""The account score's rules as part of the scoring form, pure: its points and thresholds as
inputs (`account.engaged_person`, `account.thresholds.hot`, …), the seniority levels carried as
they are (edited in the JSON view, as field rules are), and the inputs typed back into the
document's `account` part, each input named for the service's field errors."""

import json
from collections.abc import Mapping

from leadflow_console.domain.rules_form import Candidate, _number, _text

NUMBERS = (
    ("engaged_person", "Per engaged person, warm or hot (points)"),
    ("engaged_people_counted", "Engaged people counted at most"),
    ("best_person_weight", "Times the best person's score"),
    ("people_sum_weight", "Times the people's scores together"),
    ("people_sum_cap", "At most from the people's scores together (points)"),
    ("recent", "Someone active lately (points)"),
    ("recent_days", "Lately: within (days)"),
    ("seniority_cap", "At most from seniority coverage (points)"),
)
THRESHOLDS = ("warm", "hot")
AccountRows = dict


def rows_from_document(document: dict) -> AccountRows:
    """The account rules in use as the form shows them (a document from before accounts: none,
    the service's defaults then apply)."""
    rules = document.get("account") or {}
    thresholds = rules.get("thresholds") or {}
    return {
        "thresholds": {name: _text(thresholds.get(name)) for name in THRESHOLDS},
        "numbers": {name: _text(rules.get(name)) for name, _ in NUMBERS},
        "seniority_levels": json.dumps(rules["seniority_levels"]) if "seniority_levels" in rules else "",
    }


def rows_from_form(form: Mapping[str, str]) -> AccountRows:
    def typed(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    return {
        "thresholds": {name: typed(f"account.thresholds.{name}") for name in THRESHOLDS},
        "numbers": {name: typed(f"account.{name}") for name, _ in NUMBERS},
        "seniority_levels": typed("account.seniority_levels"),
    }


def add_to_document(candidate: Candidate, rows: AccountRows) -> None:
    """The typed account rules into the candidate's document; an empty input leaves the
    service's default."""
    rules: dict = {}
    thresholds = {name: _number(text) for name, text in rows["thresholds"].items() if text}
    if thresholds:
        rules["thresholds"] = thresholds
    for name in THRESHOLDS:
        candidate._exact[f"account.thresholds.{name}"] = f"account.thresholds.{name}"
    for name, _ in NUMBERS:
        if rows["numbers"][name]:
            rules[name] = _number(rows["numbers"][name])
        candidate._exact[f"account.{name}"] = f"account.{name}"
    if rows["seniority_levels"]:
        try:
            rules["seniority_levels"] = json.loads(rows["seniority_levels"])
        except json.JSONDecodeError:
            candidate.errors["account.seniority_levels"] = "Not JSON: edit the levels in the advanced view"
    candidate._exact["account.seniority_levels"] = "account.seniority_levels"
    candidate.document["account"] = rules
