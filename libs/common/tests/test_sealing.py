"""Sealing personal data in events (crypto-shredding): pure, no broker or database."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from leadflow_common import sealing
from leadflow_common.events import (
    Channel,
    LeadActivity,
    LeadCaptured,
    LeadProfile,
    SubmissionSummary,
    new_event,
)
from leadflow_common.wire import decode_unopened, read_event, typed_event, wire_payload

NOW = datetime(2026, 11, 26, tzinfo=UTC)
LEAD = uuid.uuid4()


def captured() -> LeadCaptured:
    profile = LeadProfile(
        lead_id=LEAD,
        revision=1,
        email="ada@example.com",
        phone="+14155550100",
        first_name="Ada",
        company="Engines",
        country="GB",
        attributes={"course": "maths"},
        channels=[Channel.popup],
        created_at=NOW,
        updated_at=NOW,
    )
    submission = SubmissionSummary(
        submission_id=uuid.uuid4(), channel=Channel.popup, received_at=NOW, message="call me"
    )
    return LeadCaptured(lead=profile, channel=Channel.popup, submission=submission)


def test_on_the_wire_personal_fields_are_ciphertext_and_the_rest_stays_readable():
    event = new_event(captured(), source="test", subject=LEAD)
    key = sealing.new_key()
    wire = wire_payload(event, key)
    for personal in ("ada@example.com", "5550100", "Ada", "Engines", "maths", "call me"):
        assert personal not in wire
    document = json.loads(wire)
    assert document["data"]["lead"]["country"] == "GB" and document["data"]["lead"]["channels"] == ["popup"]
    assert "sealed" in document["data"]["lead"] and "sealed" in document["data"]["submission"]

    opened = typed_event(read_event(wire), key)
    assert opened.data == event.data


def test_without_the_key_the_event_reads_as_one_without_personal_data():
    event = new_event(captured(), source="test", subject=LEAD)
    erased = typed_event(read_event(wire_payload(event, sealing.new_key())), None)
    lead = erased.data.lead
    assert (lead.email, lead.phone, lead.first_name, lead.company) == (None, None, None, None)
    assert lead.attributes == {}
    assert lead.country == "GB" and erased.data.submission.message is None
    # Published after the key is gone: the personal fields are left out, not kept in the clear.
    assert "ada@example.com" not in wire_payload(event, None)


def test_a_sealed_part_opens_only_for_its_own_lead_and_key():
    activity = LeadActivity(
        activity_id=uuid.uuid4(), lead_id=LEAD, type="demo", occurred_at=NOW, properties={"note": "Ada"}
    )
    key = sealing.new_key()
    wire = json.loads(wire_payload(new_event(activity, source="test", subject=LEAD), key))
    with pytest.raises(sealing.UnreadableSeal):
        typed_event(read_event(json.dumps(wire)), sealing.new_key())
    moved = {**wire, "subject": str(uuid.uuid4())}  # the ciphertext carried to another lead's event
    with pytest.raises(sealing.UnreadableSeal):
        typed_event(read_event(json.dumps(moved)), key)
    assert typed_event(read_event(json.dumps(wire)), key).data.properties == {"note": "Ada"}


def test_events_without_personal_data_and_clear_events_pass_unchanged():
    assert not sealing.is_sealable("lead.erased") and not sealing.is_sealable("audit.recorded")
    event = new_event(captured(), source="test", subject=LEAD)
    clear = event.model_dump_json()  # as an older producer, or a test, publishes it
    assert typed_event(read_event(clear), None).data == event.data
    assert read_event(clear).sealed_lead() is None
    assert read_event(wire_payload(event, sealing.new_key())).sealed_lead() == LEAD


def test_the_card_a_score_carries_is_sealed_and_opens_only_with_the_key():
    from leadflow_common.events import ContactCard, LeadScored, ModelRef, Temperature

    card = ContactCard(first_name="Ada", email="ada@example.com", country="GB", channels=[Channel.popup])
    scored = LeadScored(
        lead_id=LEAD,
        revision=1,
        score=80,
        temperature=Temperature.hot,
        reasons=[],
        model=ModelRef(kind="rules", version=1),
        scored_at=NOW,
        card=card,
        card_revision=1,
    )
    key = sealing.new_key()
    wire = wire_payload(new_event(scored, source="test", subject=LEAD), key)
    assert "ada@example.com" not in wire and "Ada" not in wire
    assert typed_event(read_event(wire), key).data.card == card
    erased = typed_event(read_event(wire), None).data.card
    assert (erased.first_name, erased.email, erased.country) == (None, None, "GB")


def test_a_record_with_nothing_to_open_decodes_in_one_pass_to_the_same_event():
    """What a consumer that opens nothing reads straight from the JSON (its `ce_type` header
    naming the type) is the event the two-step read gives without a key."""
    event = new_event(captured(), source="test", subject=LEAD)
    sealed, clear = wire_payload(event, sealing.new_key()), event.model_dump_json()
    for wire in (sealed, clear):
        assert decode_unopened(wire, "lead.captured") == typed_event(read_event(wire), None)
    lead = decode_unopened(sealed, "lead.captured").data.lead
    assert lead.email is None and lead.country == "GB"
    assert decode_unopened(clear, "lead.captured") == event


@pytest.mark.parametrize(
    ("change", "header"),
    [
        ({}, "lead.merged"),  # the header names another type than the event
        ({}, "lead.exploded"),  # no type of the contract
        ({"specversion": None}, "lead.captured"),  # no CloudEvent
        ({"id": ""}, "lead.captured"),
        ({"data": {"lead": "?"}}, "lead.captured"),
    ],
)
def test_the_one_pass_read_refuses_what_the_envelope_read_refuses(change, header):
    document = json.loads(wire_payload(new_event(captured(), source="test", subject=LEAD), sealing.new_key()))
    document.update(change)
    document = {name: value for name, value in document.items() if value is not None}
    with pytest.raises(ValueError):
        decode_unopened(json.dumps(document), header)


def test_text_beyond_ascii_is_sealed_and_opens_unchanged():
    """The payload and its sealed parts are written as UTF-8 JSON (json_text), not `\\u` escapes:
    what opens is what was typed, and the clear part reads the same."""
    typed = captured()
    lead = typed.lead.model_copy(update={"first_name": "Zoë", "company": "Bäckerei Ørsted 東京"})
    event = new_event(typed.model_copy(update={"lead": lead}), source="test", subject=LEAD)
    key = sealing.new_key()
    wire = wire_payload(event, key)
    assert "Zoë" not in wire and "Bäckerei" not in wire
    assert json.loads(wire)["data"]["lead"]["country"] == "GB"
    opened = typed_event(read_event(wire), key)
    assert opened.data.lead.first_name == "Zoë" and opened.data.lead.company == "Bäckerei Ørsted 東京"
