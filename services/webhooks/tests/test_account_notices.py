"""What an account's owner is told, pure (account_notices.py): the people behind a hot account,
every field a lead typed kept on its line and inert in Slack."""

import uuid
from datetime import UTC, datetime

from leadflow_common.account_events import AccountPerson, AccountScored
from leadflow_common.events import (
    ContactCard,
    LeadNurtured,
    LeadRouted,
    RepRef,
    ScoreReason,
    Temperature,
    Tier,
)
from leadflow_webhooks.domain.account_notices import elsewhere_message, hot_message, hot_notice_id, turned_hot
from leadflow_webhooks.domain.notices import slack_payload

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
OWNER = RepRef(id=uuid.uuid4(), name="Olga Owner", email="olga@sales.example", tier=Tier.senior)


def scored(previous: Temperature | None, now: Temperature, people: list[AccountPerson], revision: int = 3):
    return AccountScored(
        account_id=uuid.uuid4(),
        revision=revision,
        score=83,
        temperature=now,
        previous_temperature=previous,
        reasons=[ScoreReason(factor="account:engaged_people", points=36)],
        people=people,
        scored_at=NOW,
    )


def test_only_a_change_to_hot_is_an_account_turning_hot():
    assert turned_hot(scored(Temperature.warm, Temperature.hot, []))
    assert turned_hot(scored(None, Temperature.hot, []))
    assert not turned_hot(scored(Temperature.hot, Temperature.hot, []))
    assert not turned_hot(scored(Temperature.cold, Temperature.warm, []))


def test_a_repeated_event_is_one_notice_and_each_turn_its_own():
    event = scored(Temperature.warm, Temperature.hot, [])
    assert hot_notice_id(event) == hot_notice_id(event.model_copy())
    assert hot_notice_id(event) != hot_notice_id(event.model_copy(update={"revision": 9}))


def test_the_hot_notice_names_the_people_behind_it_and_no_field_breaks_a_line_or_links():
    people = [
        AccountPerson(lead_id=uuid.uuid4(), score=s, temperature=Temperature.warm) for s in (58, 48, 40)
    ]
    cards = {
        people[0].lead_id: {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "job_title": "VP Sales",
            "company": "Acme",
        },
        people[1].lead_id: {
            "first_name": "Eve\nSubject: you won",
            "job_title": "<https://evil.example|Click> <!channel>",
        },
    }
    message = hot_message(
        scored(Temperature.warm, Temperature.hot, people), cards, "http://console/accounts/x"
    )
    text = message.text
    assert message.subject == "Your account is turning hot: Acme (score 83)"
    assert "  Ada Lovelace, VP Sales: score 58 (warm)" in message.lines
    assert "\nSubject:" not in text and "Eve Subject: you won" in text
    assert "(someone no longer on record): score 40 (warm)" in text, "an erased person is not named"
    assert "3 of 3 people engaged" in text and "account:engaged_people: +36" in text
    slack = str(slack_payload(message, None))
    assert "<https://evil" not in slack and "<!channel>" not in slack and "&lt;!channel&gt;" in slack


def test_the_owner_is_told_where_their_accounts_lead_went():
    other = RepRef(id=uuid.uuid4(), name="Sam\r\nBcc: x", email="sam@sales.example", tier=Tier.senior)
    card = ContactCard(first_name="Grace", last_name="Hopper", company="Navy")
    common = {
        "assignment_id": uuid.uuid4(),
        "lead_id": uuid.uuid4(),
        "temperature": Temperature.hot,
        "score": 90,
        "reason": "hot lead to senior rep with fewest open leads (0/5)",
        "lead": card,
        "account_id": uuid.uuid4(),
        "account_owner": OWNER,
    }
    routed = elsewhere_message(LeadRouted(rep=other, **common))
    assert routed.subject == "A lead of your account went to Sam Bcc: x: Grace Hopper, Navy"
    assert all("\n" not in line for line in routed.lines)
    nurtured = elsewhere_message(LeadNurtured(queue="nurture", **{**common, "temperature": Temperature.cold}))
    assert "went to the nurture queue" in nurtured.subject
