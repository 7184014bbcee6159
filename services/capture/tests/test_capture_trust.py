"""The trust rule for public channels and the bounds on what a lead accumulates (merging.py)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadflow_capture.domain.leads import parse_lead
from leadflow_capture.domain.merging import MAX_LEAD_ATTRIBUTE_BYTES, MAX_LEAD_ATTRIBUTES, merge_submission
from leadflow_capture.domain.people import KeyConflict, People, StoredLead, Submission, plan_batch
from leadflow_common.events import Channel, LeadProfile

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KNOWN = {
    "email": "ada@example.com",
    "phone": "+12025550147",
    "first_name": "Ada",
    "job_title": "CTO",
    "consent": {"email": True, "sms": True},
    "attributes": {"plan": "pro"},
}
HOSTILE = {
    "email": "ada@example.com",
    "phone": "+12025550199",
    "first_name": "Mallory",
    "job_title": "Intern",
    "city": "Paris",
    "consent": {"email": False, "sms": False},
    "attributes": {"plan": "free", "note": "added"},
}


def known_lead() -> LeadProfile:
    lead = parse_lead(KNOWN, default_region="US")
    return merge_submission(None, lead, lead_id=uuid.uuid4(), channel=Channel.api, now=NOW).lead


def merge(channel: Channel, fields: dict):
    lead = parse_lead(fields, default_region="US")
    later = NOW + timedelta(hours=1)
    return merge_submission(known_lead(), lead, lead_id=uuid.uuid4(), channel=channel, now=later)


@pytest.mark.parametrize("channel", [Channel.landing_page, Channel.popup])
def test_a_public_form_only_fills_what_is_missing(channel):
    merged = merge(channel, HOSTILE)
    lead = merged.lead
    assert (lead.phone, lead.first_name, lead.job_title) == ("+12025550147", "Ada", "CTO")
    assert lead.city == "Paris", "an empty field is filled"
    assert lead.attributes == {"plan": "pro", "note": "added"}
    assert lead.consent["email"].granted and lead.consent["sms"].granted
    assert set(merged.withheld) == {
        "phone",
        "first_name",
        "job_title",
        "attributes.plan",
        "consent.email",
        "consent.sms",
    }


def test_the_api_with_a_key_may_replace_and_withdraw():
    merged = merge(Channel.api, HOSTILE)
    assert (merged.lead.first_name, merged.lead.phone) == ("Mallory", "+12025550199")
    assert not merged.lead.consent["email"].granted and merged.withheld == []


def test_an_sms_may_withdraw_sms_consent_only():
    merged = merge(Channel.sms, {"phone": "+12025550147", "consent": {"sms": False, "email": False}})
    assert merged.lead.consent["sms"].granted is False and merged.lead.consent["sms"].channel == Channel.sms
    assert merged.lead.consent["email"].granted is True and merged.withheld == ["consent.email"]


def test_a_new_lead_takes_everything_from_a_public_form():
    lead = parse_lead(HOSTILE, default_region="US")
    merged = merge_submission(None, lead, lead_id=uuid.uuid4(), channel=Channel.popup, now=NOW)
    assert merged.lead.first_name == "Mallory" and merged.withheld == []


def test_a_lead_keeps_at_most_the_bounded_number_and_size_of_attributes():
    lead = known_lead()
    for round_ in range(10):
        attributes = {f"a{round_}_{i}": "x" * 500 for i in range(50)}
        submission = parse_lead({"email": "ada@example.com", "attributes": attributes}, default_region="US")
        lead = merge_submission(lead, submission, lead_id=uuid.uuid4(), channel=Channel.popup, now=NOW).lead
    assert len(lead.attributes) <= MAX_LEAD_ATTRIBUTES
    assert len(lead.model_dump_json().encode()) < MAX_LEAD_ATTRIBUTE_BYTES + 4096


def stored(profile: LeadProfile) -> StoredLead:
    return StoredLead(profile.lead_id, profile.email, profile.phone, None, profile)


def profile_of(email=None, phone=None, days=1) -> LeadProfile:
    created = NOW - timedelta(days=days)
    return LeadProfile(
        lead_id=uuid.uuid4(), revision=1, email=email, phone=phone, created_at=created, updated_at=created
    )


def test_a_public_form_naming_two_people_links_neither():
    ada, bob = profile_of(email="ada@example.com", days=2), profile_of(phone="+12025550147")
    fields = {"email": "ada@example.com", "phone": "+12025550147"}
    submission = Submission(parse_lead(fields, default_region="US"), Channel.landing_page, fields)
    plan = plan_batch([submission], People([stored(ada), stored(bob)]), {}, clock=lambda: NOW)
    assert plan.absorptions == [] and plan.results[0].lead_id == ada.lead_id
    lead, _ = plan.leads[ada.lead_id]
    assert lead.phone is None, "the phone stays with the lead that holds it"
    assert plan.captured[0].data.submission.withheld == ["phone"]


def test_the_same_key_with_another_body_is_a_conflict():
    fields = {"email": "ada@example.com"}
    first = Submission(parse_lead(fields, default_region="US"), Channel.popup, fields, "k", "hash-1")
    other = Submission(parse_lead(fields, default_region="US"), Channel.popup, fields, "k", "hash-2")
    again = Submission(parse_lead(fields, default_region="US"), Channel.popup, fields, "k", "hash-1")
    plan = plan_batch([first, other, again], People([]), {}, clock=lambda: NOW)
    accepted, conflict, repeat = plan.results
    assert isinstance(conflict, KeyConflict)
    assert repeat.replayed and repeat.submission_id == accepted.submission_id
    assert len(plan.submissions) == 1
