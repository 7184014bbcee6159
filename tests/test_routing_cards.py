"""A lead's first routing decision carries its contact card even when its score reaches routing
before the card does (two topics, two consumer groups): the decision waits for the card, and
for no longer than ROUTING_CARD_WAIT_SECONDS."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from harness import eventually
from sqlalchemy import text
from test_routing_flow import scenario

from leadflow_common import keyring
from leadflow_common.events import (
    Channel,
    LeadCaptured,
    LeadErased,
    LeadOutcome,
    LeadProfile,
    SubmissionSummary,
    new_event,
)
from leadflow_common.wire import RawEvent, typed_event

pytestmark = pytest.mark.integration


def captured_event(lead_id: uuid.UUID, first_name: str):
    now = datetime.now(UTC)
    profile = LeadProfile(
        lead_id=lead_id,
        revision=1,
        email=f"{first_name.lower()}@example.com",
        first_name=first_name,
        created_at=now,
        updated_at=now,
    )
    submission = SubmissionSummary(submission_id=uuid.uuid4(), channel=Channel.landing_page, received_at=now)
    data = LeadCaptured(lead=profile, channel=Channel.landing_page, submission=submission)
    return new_event(data, source="test", subject=lead_id)


async def waiting_since(s, lead_id: uuid.UUID) -> datetime | None:
    async with s.runtime.engine.connect() as connection:
        statement = text("SELECT since FROM routing.awaiting_cards WHERE lead_id = :lead")
        return (await connection.execute(statement, {"lead": lead_id})).scalar()


async def awaiting(s, lead_id: uuid.UUID) -> bool:
    return await waiting_since(s, lead_id) is not None


async def test_a_lead_scored_before_its_card_is_routed_when_the_card_comes_and_carries_it(settings, topics):
    async with scenario(settings, topics, card_wait_seconds=60) as s:
        await s.rep("senior")
        lead = uuid.uuid4()
        async with s.runtime.engine.begin() as connection:  # capture's part: the key seals the card
            key = (await keyring.create(connection, [lead]))[lead]
        await s.score(lead, "hot", 90)
        assert await eventually(lambda: awaiting(s, lead))
        assert await s.current(lead) is None, "no decision without the card"

        await s.publish(s.topics.captured, captured_event(lead, "Ada"))
        await s.until_status(lead, "offered")
        [routed] = await s.routed_events(until=lambda events: len(events) >= 1)
        assert not await awaiting(s, lead)
    assert routed["type"] == "lead.routed" and routed["subject"] == str(lead)
    card = typed_event(RawEvent.model_validate(routed), key).data.lead
    assert (card.first_name, card.email) == ("Ada", "ada@example.com")


@pytest.mark.timed  # the decision's time, to within a second
async def test_a_card_that_never_comes_holds_the_decision_only_for_the_wait(settings, topics):
    # Sweeper rounds of 60 s: the lead goes out when its wait ends, not at the next round.
    async with scenario(settings, topics, card_wait_seconds=1.5, sweep_seconds=60) as s:
        await s.rep("senior")
        cardless_before = await cardless_decisions(s)
        lead = uuid.uuid4()
        await s.score(lead, "hot", 90)
        since = await eventually(lambda: waiting_since(s, lead), interval=0.05)
        await s.until_status(lead, "offered", timeout=10)
        [routed] = await s.routed_events(until=lambda events: len(events) >= 1)
        assert await cardless_decisions(s) == cardless_before + 1, "counted for the operators"
    routed_at = datetime.fromisoformat(routed["time"])
    assert since + timedelta(seconds=1.5) <= routed_at < since + timedelta(seconds=2.5)
    assert routed["data"]["lead"] is None


async def cardless_decisions(s) -> float:
    metrics = (await s.client.get("/metrics")).text
    [value] = re.findall(r"^leadflow_routing_cardless_decisions_total (\S+)$", metrics, re.MULTILINE)
    return float(value)


def outcome(lead_id: uuid.UUID):
    data = LeadOutcome(outcome_id=uuid.uuid4(), lead_id=lead_id, outcome="won", occurred_at=datetime.now(UTC))
    return "outcomes", new_event(data, source="test", subject=lead_id)


def erasure(lead_id: uuid.UUID):
    data = LeadErased(erasure_id=uuid.uuid4(), lead_id=lead_id, requested_at=datetime.now(UTC))
    return "captured", new_event(data, source="test", subject=lead_id)  # where capture sends it


@pytest.mark.parametrize("ending", [outcome, erasure], ids=["outcome", "erasure"])
async def test_a_lead_whose_story_ends_while_it_waits_is_not_routed_when_its_card_comes(
    settings, topics, ending
):
    async with scenario(settings, topics, card_wait_seconds=60) as s:
        await s.rep("senior")
        ended, marker = uuid.uuid4(), uuid.uuid4()
        await s.score(ended, "hot", 90)
        await s.score(marker, "hot", 88)
        assert await eventually(lambda: awaiting(s, ended))
        topic, event = ending(ended)
        await s.publish(getattr(s.topics, topic), event)
        assert await eventually(lambda: not_awaiting(s, ended))

        # Both cards on one partition, in order: once the marker is routed, the ended lead's
        # card has been recorded too.
        await s.publish(s.topics.captured, captured_event(ended, "Grace"), key=ended)
        await s.publish(s.topics.captured, captured_event(marker, "Alan"), key=ended)
        await s.until_status(marker, "offered")
        assert await s.current(ended) is None


async def not_awaiting(s, lead_id: uuid.UUID) -> bool:
    return not await awaiting(s, lead_id)
