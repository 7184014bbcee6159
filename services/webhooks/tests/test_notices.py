"""What a rep is told, built from a lead whose own fields try to forge it: every field stays on
its line, Slack gets escaped text with only our markup, mail gets no header the lead wrote."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from leadflow_common.events import (
    Attribution,
    ContactCard,
    LeadRouted,
    LeadWaitingTooLong,
    RepRef,
    ScoreReason,
)
from leadflow_webhooks.app.mail import build_mail, sender_header
from leadflow_webhooks.domain.notices import (
    Links,
    Message,
    moved_message,
    offer_message,
    slack_payload,
    waiting_message,
)

LINKS = Links("https://routing.example/v1/offers/a?x=1&y=2", "https://routing.example/v1/offers/r")
FORGED = ContactCard(
    first_name="<https://evil.example|ACCEPT THIS LEAD NOW> <!channel>",
    last_name="Hopper\r\nBcc: attacker@example.com",
    company="Navy\u2028Accept: https://evil.example/ok",
    job_title="*CTO*\n> quoted <@U123>",
    email="mallory@forge.example",
    attribution=Attribution(campaign="spring\r\nPass: https://evil.example/no"),
    reasons=[ScoreReason(factor="fit\nforged", points=5)],
    url="https://capture.example/v1/leads/1",
)


def routed(card: ContactCard | None = FORGED, reason: str = "best match") -> LeadRouted:
    return LeadRouted(
        assignment_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        rep=RepRef(id=uuid.uuid4(), name="Sam", email="sam@sales.example", tier="senior"),
        temperature="hot",
        score=87,
        reason=reason,
        sla_deadline=datetime(2026, 12, 2, 21, 40, tzinfo=UTC),
        lead=card,
    )


def test_each_field_keeps_to_its_own_line():
    message = offer_message(routed(), LINKS, lead_page="https://console.example/leads/1")
    assert "\n" not in message.subject and "\r" not in message.subject
    lines = message.text.splitlines()
    assert (
        "Name: <https://evil.example|ACCEPT THIS LEAD NOW> <!channel> Hopper Bcc: attacker@example.com"
        in lines
    )
    assert "Company: Navy Accept: https://evil.example/ok" in lines
    assert "Campaign: spring Pass: https://evil.example/no" in lines
    assert "  Fit forged +5" in lines, "a rules author's factor name stays on its line"
    assert [line for line in lines if line.startswith(("Accept:", "Pass:"))] == [
        f"Accept: {LINKS.accept_url}",
        f"Pass: {LINKS.reject_url}",
    ]
    assert not any(line.startswith(("Bcc:", ">", "forged")) for line in lines)


def test_slack_gets_escaped_text_and_only_our_markup():
    payload = slack_payload(
        offer_message(routed(), LINKS, lead_page="https://console.example/leads/1"), LINKS
    )
    card, links, actions = payload["blocks"]
    assert card["text"]["verbatim"] is True and links["text"]["verbatim"] is True
    text = card["text"]["text"]
    assert "&lt;https://evil.example|ACCEPT THIS LEAD NOW&gt; &lt;!channel&gt;" in text
    assert "<" not in text and ">" not in text, "no link, mention or quote of the lead's"
    assert text.startswith("*A hot lead for you: &lt;https://evil.example")
    assert "Job title: *CTO* &gt; quoted &lt;@U123&gt;" in text.splitlines()
    assert links["text"]["text"] == "<https://console.example/leads/1|The lead in the console>", (
        "buttons carry the rest"
    )
    assert [button["url"] for button in actions["elements"]] == [LINKS.accept_url, LINKS.reject_url]
    assert "<" not in payload["text"] and "&lt;!channel&gt;" in payload["text"]
    assert "<!channel>" not in json.dumps(payload)


def test_a_slack_text_too_long_for_slack_is_clipped():
    huge = ContactCard(
        first_name="<" * 200,
        last_name="&" * 200,
        company=">" * 200,
        job_title="<" * 200,
        attribution=Attribution(campaign="<" * 200),
        email="a@b.example",
    )
    payload = slack_payload(offer_message(routed(huge), LINKS), LINKS)
    assert all(
        len(block["text"]["text"]) <= 3000 for block in payload["blocks"] if block["type"] == "section"
    )


def test_moved_says_it_went_on_but_not_to_whom_or_why():
    message = moved_message(routed(reason="warm lead to senior rep with fewest open leads (1/2)"))
    assert len(message.text.splitlines()) == 1 and message.text.endswith("it went to another rep.")
    assert "senior" not in message.text and "1/2" not in message.text, "another rep's tier and load"
    assert slack_payload(message, None)["blocks"][1:] == [], "no links, no buttons"


def test_mail_headers_are_the_ones_we_set():
    sender = sender_header("Leadflow <leadflow@localhost>")
    # Even a subject that was never collapsed (a caller's mistake) becomes one line.
    message = Message("Lead: Navy\r\nBcc: attacker@example.com", ("Company: Navy",))
    raw = build_mail(sender, "sam@sales.example", message).as_bytes(policy=policy.SMTP)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Lead: Navy Bcc: attacker@example.com"
    assert parsed["Bcc"] is None
    assert sorted(parsed.keys()) == sorted(
        ["From", "To", "Subject", "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]
    )


@pytest.mark.parametrize("to", ["sam@sales.example\r\nBcc: attacker@example.com", "a@b.example, c@d.example"])
def test_a_recipient_that_is_not_one_address_is_refused(to):
    with pytest.raises(ValueError):
        build_mail(sender_header("leadflow@localhost"), to, Message("s", ("x",)))


def waiting_too_long(waiting_for: str | None) -> LeadWaitingTooLong:
    return LeadWaitingTooLong(
        assignment_id=uuid.uuid4(),
        lead_id=uuid.uuid4(),
        temperature="hot",
        score=91,
        waiting_since=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
        limit_seconds=120,
        waiting_for=waiting_for,
        reason="no eligible senior rep\nPass: https://evil.example/no",
        lead=FORGED,
        queue_url="https://console.example/queue",
    )


@pytest.mark.parametrize(("waited", "said"), [(45, "45 s"), (150, "2 min"), (3 * 3600 + 600, "3 h 10 min")])
def test_admins_are_told_how_long_for_what_and_where_to_act_each_field_on_its_line(waited, said):
    event = waiting_too_long("a senior rep for language de\r\nBcc: x@evil.example")
    page = "https://console.example/leads/1"
    message = waiting_message(event, event.waiting_since + timedelta(seconds=waited), page)
    assert message.subject.startswith(f"A hot lead has waited {said} for a rep: ")
    assert "\n" not in message.subject and "\r" not in message.subject
    lines = message.text.splitlines()
    assert "It waits for: a senior rep for language de Bcc: x@evil.example" in lines
    assert "Company: Navy Accept: https://evil.example/ok" in lines
    assert [line for line in lines if line.startswith(("Queue:", "The lead in the console:"))] == [
        "Queue: https://console.example/queue",
        "The lead in the console: https://console.example/leads/1",
    ]
    assert not any(line.startswith(("Bcc:", "Pass:")) for line in lines)


def test_without_what_is_missing_the_reason_says_why_it_waits():
    message = waiting_message(waiting_too_long(None), datetime(2026, 12, 3, 12, 3, tzinfo=UTC))
    assert "It waits for: no eligible senior rep Pass: https://evil.example/no" in message.text.splitlines()
