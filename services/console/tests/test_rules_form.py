import json
from pathlib import Path

import pytest

from leadflow_console.domain.rules_form import (
    SPARE_ROWS,
    document_from_rows,
    field_title,
    in_words,
    json_problem,
    place_errors,
    rows_from_document,
    rows_from_form,
    with_spare_rows,
)

# The scoring service's shipped rules, read as a file: a service never imports another.
DEFAULTS = json.loads((Path(__file__).parents[2] / "scoring/leadflow_scoring/default_rules.json").read_text())


def as_form(rows) -> dict[str, str]:
    """The inputs a browser would post for these rows."""
    form = {}
    for profile, rules in rows.items():
        for name, value in rules["thresholds"].items():
            form[f"{profile}.thresholds.{name}"] = value
        form[f"{profile}.half_life_days"] = rules["half_life_days"]
        for name, value in {**rules["signals"], **rules["domains"]}.items():
            form[f"{profile}.{name}"] = value
        form[f"{profile}.fields"] = rules["fields"]
        for section, items in rules["sections"].items():
            for index, row in enumerate(items):
                for column, value in row.items():
                    form[f"{profile}.{section}.{index}.{column}"] = value
    return form


def test_the_form_of_a_document_posts_the_same_document_back():
    rows = rows_from_document(DEFAULTS)
    assert len(rows["b2b"]["sections"]["job_titles"]) == 5 + SPARE_ROWS
    assert rows["b2b"]["sections"]["job_titles"][0]["keywords"].startswith("ceo, cto")
    candidate = document_from_rows(rows_from_form(as_form(rows)))
    assert candidate.errors == {}
    assert candidate.document == DEFAULTS


def test_edits_rows_added_and_removed_reach_the_document():
    form = as_form(rows_from_document(DEFAULTS))
    form["b2b.thresholds.hot"] = "65"
    # The countries have no rows in the defaults: their first spare row.
    form["b2b.countries.0.key"], form["b2b.countries.0.points"] = "de", "12.5"
    form["b2b.job_titles.4.remove"] = "on"  # students no longer lose points
    document = document_from_rows(rows_from_form(form)).document["profiles"]["b2b"]
    assert document["thresholds"]["hot"] == 65
    assert document["countries"] == {"DE": 12.5}
    assert [rule["level"] for rule in document["job_titles"]] == ["c_level", "vp", "director", "manager"]


def test_service_errors_land_at_the_input_they_came_from():
    form = as_form(rows_from_document(DEFAULTS))
    form["b2b.job_titles.0.level"] = form["b2b.job_titles.0.keywords"] = form["b2b.job_titles.0.points"] = ""
    form["b2b.job_titles.2.points"] = "lots"
    form["b2c.activities.1.cap"] = "x"
    form["b2b.countries.0.key"], form["b2b.countries.0.points"] = "Germany", "5"
    rows = rows_from_form(form)
    candidate = document_from_rows(rows)
    assert candidate.document["profiles"]["b2b"]["job_titles"][1]["points"] == "lots"  # sent as typed
    # Shown again, the typed value is in the row the error names.
    assert with_spare_rows(rows)["b2b"]["sections"]["job_titles"][1]["points"] == "lots"
    fields = [
        {
            "name": "profiles.b2b.thresholds.hot",
            "message": "Value error, hot (30) must not be below warm (40)",
        },
        {
            "name": "profiles.b2b.job_titles[1].points",
            "message": "Input should be a valid number, unable to parse",
        },
        {
            "name": "profiles.b2c.activities.pricing_page_view.cap",
            "message": "Input should be a valid number",
        },
        {
            "name": "profiles.b2b.countries.GERMANY.[key]",
            "message": "String should match pattern '^[A-Z]{2}$'",
        },
        {"name": "profiles.b2b.fields[0].field", "message": "'x' is not a lead field"},
    ]
    at_inputs, elsewhere = place_errors(candidate, fields)
    assert at_inputs == {
        "b2b.thresholds.hot": "Hot (30) must not be below warm (40)",
        "b2b.job_titles.1.points": "Enter a number",  # the emptied row before it is gone
        "b2c.activities.1.cap": "Enter a number",
        "b2b.countries.0.key": "Enter a two-letter country code, such as DE",
    }
    assert elsewhere == [
        "b2b.fields[0].field: 'x' is not a lead field (field rules are edited in the advanced view)"
    ]
    assert place_errors(candidate, [{"name": "", "message": "These rules fail on a recent lead"}]) == (
        {},
        ["These rules fail on a recent lead"],
    )


def test_the_error_summary_names_fields_in_words():
    assert field_title("b2b.thresholds.hot") == "B2B thresholds hot"
    assert field_title("b2c.job_titles.2.points") == "B2C job titles, row 3, points"
    assert field_title("b2b.countries.0.key") == "B2B countries, row 1, country code"  # as its header
    assert field_title("b2c.company_sizes.1.min_employees") == "B2C company sizes, row 2, from employees"


def test_a_key_listed_twice_is_an_error_at_the_second():
    form = as_form(rows_from_document(DEFAULTS))
    form["b2b.sources.1.key"] = "referral"
    assert document_from_rows(rows_from_form(form)).errors == {
        "b2b.sources.1.key": "referral is already listed above"
    }


def test_messages_in_words():
    assert in_words("Input should be greater than or equal to 0") == "Enter 0 or more"
    assert in_words("Input should be greater than 0") == "Enter more than 0"


def test_text_that_is_not_json_is_said_in_words_with_where():
    for text, said in (
        ('{"a": 1 "b": 2}', "not valid JSON at line 1, column 9: a comma is missing"),
        ('{"a": 1,}', "not valid JSON at line 1, column 9: a name must be in double quotes"),
        ('{"a": 1} x', "there is more after the rules' closing brace"),
    ):
        with pytest.raises(json.JSONDecodeError) as raised:
            json.loads(text)
        assert said in json_problem(raised.value)
