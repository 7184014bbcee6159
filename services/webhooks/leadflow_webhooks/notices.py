"""What a rep is told, as text for mail and as a Slack message. Pure: from the routing event,
the links and the kind of notice."""

from dataclasses import dataclass
from datetime import datetime

from leadflow_common.events import AssignmentEvent, ContactCard


@dataclass(frozen=True)
class Links:
    accept_url: str
    reject_url: str


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def _who(card: ContactCard | None) -> str:
    if card is None:
        return "a new lead"
    name = (
        " ".join(part for part in (card.first_name, card.last_name) if part)
        or card.email
        or card.phone
        or "a lead"
    )
    return f"{name}, {card.company}" if card.company else name


def _deadline(at: datetime | None) -> str:
    return at.strftime("%H:%M UTC on %d %b") if at else "soon"


def _card_lines(card: ContactCard | None) -> list[str]:
    if card is None:
        return ["(The contact card is not known yet: open the lead from the console.)"]
    fields = [
        ("Name", " ".join(p for p in (card.first_name, card.last_name) if p)),
        ("Company", card.company),
        ("Job title", card.job_title),
        ("Email", card.email),
        ("Phone", card.phone),
        ("Country", card.country),
        ("Came from", ", ".join(c.value for c in card.channels)),
        ("Campaign", card.attribution.campaign or card.attribution.source),
    ]
    return [f"{label}: {value}" for label, value in fields if value]


def offer_message(event: AssignmentEvent, links: Links, *, reminder: bool = False) -> Message:
    who = _who(event.lead)
    deadline = _deadline(event.sla_deadline)
    lead = f"A {event.temperature.value} lead"
    subject = f"{'Reminder: ' if reminder else ''}{lead} for you: {who} (accept by {deadline})"
    reasons = [
        f"  {reason.factor}: {reason.points:+g}" for reason in (event.lead.reasons if event.lead else [])
    ]
    lines = [
        f"{lead} was offered to you{' and still waits for you' if reminder else ''}.",
        "",
        *_card_lines(event.lead),
        "",
        f"Score {event.score:g} ({event.temperature.value}) because:",
        *(reasons or ["  (no reasons given)"]),
        "",
        f"Accept by {deadline}, or it goes to the next rep.",
        f"Accept: {links.accept_url}",
        f"Pass:   {links.reject_url}",
        "",
        f"Lead: {event.lead_id}",
    ]
    if event.lead and event.lead.url:
        lines.append(f"The whole record: {event.lead.url}")
    return Message(subject, "\n".join(lines))


def moved_message(event: AssignmentEvent) -> Message:
    who = _who(event.lead)
    return Message(
        f"{who} moved to another rep",
        f"The lead offered to you ({who}) was not accepted in time and went to another rep: {event.reason}.",
    )


def slack_payload(message: Message, links: Links | None) -> dict:
    """Slack's incoming-webhook format: the text, and buttons that open the confirmation pages."""
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{message.subject}*\n{message.text}"}}
    ]
    if links:
        buttons = [("Accept", links.accept_url, "primary"), ("Pass", links.reject_url, "danger")]
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": label},
                        "url": url,
                        "style": style,
                    }
                    for label, url, style in buttons
                ],
            }
        )
    return {"text": message.subject, "blocks": blocks}
