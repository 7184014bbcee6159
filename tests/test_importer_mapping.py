"""The CSV mapping, pure: columns to lead fields, types, value maps, templates, empties."""

import json
from pathlib import Path

from leadflow_cli.importer import row_to_lead

MAPPING = json.loads((Path(__file__).parents[1] / "data" / "x-education-leads" / "mapping.json").read_text())


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
    mapping = {"columns": {"Visits": {"field": "attributes.visits", "type": "number"}, "Mail": "email"}}
    assert row_to_lead({"Visits": "many", "Mail": "a@example.com"}, mapping) == {
        "attributes": {"visits": "many"},
        "email": "a@example.com",
    }
