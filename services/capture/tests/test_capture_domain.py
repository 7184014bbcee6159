import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_capture.domain.leads import (
    InvalidLead,
    form_to_lead_fields,
    normalize_country,
    parse_company_size,
    parse_lead,
)
from leadflow_capture.domain.merging import merge_leads, merge_submission
from leadflow_common.events import Channel

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def parse(**fields):
    return parse_lead(fields, default_region="US")


def test_email_is_validated_and_lowercased():
    assert parse(email="  Ada.Lovelace@Example.COM ").email == "ada.lovelace@example.com"


def test_phone_becomes_e164_using_the_default_region():
    assert parse(phone="(202) 555-0147").phone == "+12025550147"
    assert parse_lead({"phone": "020 7946 0018"}, default_region="GB").phone == "+442079460018"


@pytest.mark.parametrize(
    ("given", "code"), [("us", "US"), ("DEU", "DE"), ("India", "IN"), ("United Kingdom", "GB")]
)
def test_country_from_code_or_name(given, code):
    assert normalize_country(given) == code


@pytest.mark.parametrize(
    ("given", "bounds"),
    [
        ("11-50", (11, 50)),
        ("500+", (500, None)),
        ("1,000-5,000", (1000, 5000)),
        ("42", (42, 42)),
        (7, (7, 7)),
    ],
)
def test_company_size_parses_ranges(given, bounds):
    assert parse_company_size(given) == bounds


def test_every_bad_field_is_named():
    with pytest.raises(InvalidLead) as raised:
        parse(email="not-an-email", phone="123", country="Atlantis", company_size="lots")
    assert {error.name for error in raised.value.errors} == {"email", "phone", "country", "company_size"}


def test_email_or_phone_is_required():
    with pytest.raises(InvalidLead) as raised:
        parse(first_name="Nobody")
    assert raised.value.errors[0].name == "email"


def test_field_length_and_attribute_limits():
    with pytest.raises(InvalidLead) as raised:
        parse(email="a@example.com", first_name="x" * 201)
    assert raised.value.errors[0].name == "first_name"
    with pytest.raises(InvalidLead) as raised:
        parse(email="a@example.com", attributes={f"k{i}": i for i in range(51)})
    assert raised.value.errors[0].name == "attributes"


def test_an_attribute_too_long_or_of_no_kind_is_one_error_in_words_at_its_name():
    """Pydantic's check of the value's kinds said four errors for one value ("….constrained-str",
    "….int", "….float", "….bool"), and the import could not name the column."""
    with pytest.raises(InvalidLead) as raised:
        parse(email="a@example.com", attributes={"notes": "x" * 501, "tags": ["a"], "ok": 3, " ": 1})
    said = {(error.name, error.message) for error in raised.value.errors}
    assert said == {
        ("attributes.notes", "at most 500 characters"),
        ("attributes.tags", "must be a string, number or boolean"),
        ("attributes", "an attribute needs a name"),
    }
    padded = parse(email="a@example.com", attributes={" notes ": "y" * 500 + "  \n"})
    assert padded.attributes == {"notes": "y" * 500}, "trimmed, then measured"


def test_unknown_fields_become_attributes_and_strings_are_trimmed():
    lead = parse(email="a@example.com", favourite_course=" Data Science ", first_name="  Ada ")
    assert lead.attributes == {"favourite_course": "Data Science"}
    assert lead.profile["first_name"] == "Ada"


def test_form_fields_map_utm_consent_and_the_rest():
    fields = form_to_lead_fields(
        {
            "email": "a@example.com",
            "utm_source": "google",
            "utm_campaign": "spring",
            "consent_email": "on",
            "plan": "pro",
        }
    )
    assert fields["attribution"] == {"source": "google", "campaign": "spring"}
    assert fields["consent"] == {"email": True}
    lead = parse(**fields)
    assert lead.attributes == {"plan": "pro"}


def test_merge_keeps_the_id_lets_newer_values_win_and_never_erases():
    first = merge_submission(
        None,
        parse(email="a@example.com", first_name="Ada", company="Engines", attribution={"source": "google"}),
        lead_id=uuid.uuid4(),
        channel=Channel.landing_page,
        now=NOW,
    ).lead
    second = merge_submission(
        first,
        parse(
            email="a@example.com",
            phone="+12025550147",
            company="Engines Ltd",
            consent={"sms": True},
            attribution={"source": "facebook"},
        ),
        lead_id=uuid.uuid4(),
        channel=Channel.api,
        now=NOW + timedelta(minutes=5),
    ).lead
    assert second.lead_id == first.lead_id
    assert second.revision == 2
    assert second.first_name == "Ada"
    assert second.company == "Engines Ltd"
    assert second.phone == "+12025550147"
    assert second.attribution.source == "google"  # first touch
    assert second.consent["sms"].granted and second.consent["sms"].channel == Channel.api
    assert second.consent["sms"].at == NOW + timedelta(minutes=5)
    assert second.channels == [Channel.landing_page, Channel.api]


def test_merging_two_leads_keeps_the_older_and_fills_its_gaps():
    older = merge_submission(
        None,
        parse(email="a@example.com", first_name="Ada"),
        lead_id=uuid.uuid4(),
        channel=Channel.landing_page,
        now=NOW,
    ).lead
    younger = merge_submission(
        None,
        parse(phone="+12025550147", company="Engines", first_name="A."),
        lead_id=uuid.uuid4(),
        channel=Channel.sms,
        now=NOW + timedelta(days=1),
    ).lead
    merged = merge_leads(older, younger, now=NOW + timedelta(days=2))
    assert merged.lead_id == older.lead_id
    assert merged.first_name == "Ada"
    assert merged.company == "Engines"
    assert merged.email == "a@example.com"
    assert merged.phone == "+12025550147"
    assert merged.revision > max(older.revision, younger.revision)
