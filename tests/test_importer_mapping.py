"""The CSV mapping, pure: columns to lead fields, types, value maps, templates, empties."""

import json
from pathlib import Path

import pytest

from leadflow_cli.import_mapping import ImportProblem, check_header, parse_mapping, row_to_lead

MAPPING = parse_mapping(
    json.loads((Path(__file__).parents[1] / "data" / "x-education-leads" / "mapping.json").read_text())
)


def test_an_x_education_row_becomes_a_lead():
    row = {
        "Prospect ID": "7927b2df",
        "Lead Number": "660737",
        "Lead Origin": "API",
        "Lead Source": "Olark Chat",
        "Do Not Email": "Yes",
        "Do Not Call": "No",
        "Converted": "1",
        "TotalVisits": "5",
        "Total Time Spent on Website": "674",
        "Page Views Per Visit": "2.5",
        "Last Activity": "Email Opened",
        "Country": "unknown",
        "City": "Select",
        "What is your current occupation": "Unemployed",
        "Search": "No",
    }
    lead = row_to_lead(row, MAPPING)
    assert lead["email"] == "lead-660737@x-education.example"
    assert lead["attribution"] == {"medium": "API", "source": "Olark Chat"}
    assert lead["consent"] == {"email": False}
    assert lead["attributes"]["total_visits"] == 5
    assert lead["attributes"]["page_views_per_visit"] == 2.5
    assert lead["attributes"]["do_not_call"] is False
    assert lead["attributes"]["ad_search"] is False
    assert "country" not in lead and "city" not in lead, "unknown and Select mean not given"
    assert "converted" not in json.dumps(lead).lower(), "the outcome is never sent as a lead field"


def test_values_that_do_not_convert_are_sent_as_given_for_capture_to_judge():
    mapping = parse_mapping(
        {"columns": {"Visits": {"field": "attributes.visits", "type": "number"}, "Mail": "email"}}
    )
    assert row_to_lead({"Visits": "many", "Mail": "a@example.com"}, mapping) == {
        "attributes": {"visits": "many"},
        "email": "a@example.com",
    }


def test_every_mistake_in_a_mapping_is_said_at_once_before_a_row_is_sent():
    document = {
        "colums": {},
        "columns": {
            "Mail": "emial",  # capture would file it under attributes without a word
            "Opt in": {"field": "consent.mail", "type": "bool"},
            "Visits": {"field": "attributes.visits", "type": "integer"},
            "Source": {"fild": "attribution.source"},
        },
        "templates": {"email": "lead-{}@x.example"},
        "empty": "Select",
    }
    with pytest.raises(ImportProblem) as raised:
        parse_mapping(document, "map.json")
    said = str(raised.value)
    assert said.startswith("map.json has mistakes:")
    for words in (
        "unknown key 'colums'",
        "column 'Mail': 'emial' is not a lead field",
        "column 'Opt in': 'consent.mail' is not a field; consent has email, sms",
        "column 'Visits': type 'integer' is not one of string, number, bool",
        "column 'Source': a lead field, or",
        "template 'email': name a column inside each {}",
        'empty: a list of texts meaning "not given"',
    ):
        assert words in said, (words, said)


def test_the_files_first_line_must_hold_every_column_the_mapping_reads():
    mapping = parse_mapping({"columns": {"Mail": "email"}, "templates": {"attributes.ref": "x-{Number}"}})
    assert mapping.needed_columns() == ["Mail", "Number"]
    assert check_header(mapping, ["Number", "Mail", "Notes"]) == ["Notes"], "what is left out is said"
    with pytest.raises(ImportProblem, match="columns the file does not have: 'Number'"):
        check_header(mapping, ["Mail", "Notes"])
    with pytest.raises(ImportProblem, match="names a column twice: 'Mail'"):
        check_header(mapping, ["Mail", "Number", "Mail"])
