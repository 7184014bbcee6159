import json
import uuid
from datetime import UTC, datetime

import pytest

from leadflow_common.events import (
    LeadActivity,
    LeadScored,
    ModelRef,
    ScoreReason,
    Temperature,
    new_event,
)
from leadflow_common.http import field_name
from leadflow_common.topics import Topics
from leadflow_common.wire import UnknownEventType, decode_event

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_events_round_trip_as_cloudevents():
    lead_id = uuid.uuid4()
    data = LeadScored(
        lead_id=lead_id,
        revision=1,
        score=72.5,
        temperature=Temperature.hot,
        reasons=[ScoreReason(factor="fit:has_email", points=72.5)],
        model=ModelRef(kind="rules", version=1),
        scored_at=NOW,
    )
    event = new_event(data, source="leadflow/scoring", subject=lead_id)
    wire = json.loads(event.model_dump_json())
    assert {"specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"} <= set(wire)
    assert wire["type"] == "lead.scored" and wire["subject"] == str(lead_id)
    decoded = decode_event(event.model_dump_json())
    assert isinstance(decoded.data, LeadScored)
    assert decoded.data == data


def test_decode_rejects_unknown_types_and_bad_data():
    event = new_event(
        LeadActivity(activity_id=uuid.uuid4(), lead_id=uuid.uuid4(), type="page_view", occurred_at=NOW),
        source="test",
        subject="x",
    )
    wire = json.loads(event.model_dump_json())
    with pytest.raises(UnknownEventType):
        decode_event(json.dumps({**wire, "type": "lead.exploded"}))
    with pytest.raises(ValueError):
        decode_event(json.dumps({**wire, "data": {"type": "page_view"}}))
    with pytest.raises(ValueError):
        decode_event(b"{not json")


def test_topic_names_follow_the_contract_and_take_a_prefix():
    assert Topics().main_topics() == [
        "leads.captured",
        "leads.merged",
        "leads.activities",
        "leads.outcomes",
        "leads.scored",
        "leads.routed",
        "leads.erased",
        "leads.accounts",
        "leadflow.audit",
    ]
    assert "t1.leads.routed.dlq" in Topics("t1.").all_topics()


def test_field_names_read_as_the_client_sent_them():
    assert field_name(("body", "leads", 3, "email")) == "leads[3].email"
    assert field_name(("query", "limit")) == "limit"
