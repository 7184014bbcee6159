"""What a rep is told, as text for mail and as a Slack message. Pure: from the routing event,
the links and the kind of notice.

Every text the lead (or a rep, or a rules author) wrote goes through `one_line` before it joins a
line of ours, so no field starts a line of its own; Slack's rendering escapes the whole text for
mrkdwn, and our links are Slack's link markup and buttons, never text the lead could imitate."""

from dataclasses import dataclass
from datetime import datetime

from leadflow_common.events import AssignmentEvent, ContactCard, LeadWaitingTooLong
from leadflow_common.in_words import channel_words, label, signed
from leadflow_webhooks.domain.escaping import one_line, slack_link, slack_text

SLACK_TEXT_LIMIT = 3000  # characters in a section's text object; a longer one is refused


@dataclass(frozen=True)
class Links:
    accept_url: str
    reject_url: str


@dataclass(frozen=True)
class Message:
    subject: str  # one line
    lines: tuple[str, ...]  # the body, each field on one line of it
    links: tuple[tuple[str, str], ...] = ()  # ours, label and URL, after the body

    @property
    def text(self) -> str:
        """The message as plain text (mail's body): the lines, then a line per link."""
        links = [f"{label}: {url}" for label, url in self.links]
        return "\n".join([*self.lines, *([""] if links else []), *links])


def _name(card: ContactCard) -> str:
    return " ".join(one_line(part) for part in (card.first_name, card.last_name) if part)


def who_is(card: ContactCard | None) -> str:
    """The lead as a notice names it, on one line."""
    if card is None:
        return "a new lead"
    name = _name(card) or one_line(card.email or card.phone or "") or "a lead"
    return f"{name}, {one_line(card.company)}" if card.company else name


def _deadline(at: datetime | None) -> str:
    return at.strftime("%H:%M UTC on %d %b") if at else "soon"


def _card_lines(card: ContactCard | None) -> list[str]:
    if card is None:
        return ["(The contact card is not known yet: open the lead from the console.)"]
    fields = [
        ("Name", _name(card)),
        ("Company", card.company),
        ("Job title", card.job_title),
        ("Email", card.email),
        ("Phone", card.phone),
        ("Country", card.country),
        ("Came through", ", ".join(channel_words(c.value) for c in card.channels)),
        ("Campaign", card.attribution.campaign),
        ("Source", card.attribution.source),
    ]
    return [f"{label}: {one_line(value)}" for label, value in fields if value]


def _reason_lines(score: float, card: ContactCard | None) -> list[str]:
    """The card's largest reasons in the console's words, and one line for the rest, so the
    lines add up to the score (the card carries its largest reasons only)."""
    reasons = card.reasons if card else []
    if not reasons:
        return ["  (no reasons given)"]
    lines = [f"  {one_line(label(reason.factor))} {signed(reason.points)}" for reason in reasons]
    rest = round(score - sum(reason.points for reason in reasons), 1)
    return [*lines, f"  Everything else {signed(rest)}"] if abs(rest) >= 0.1 else lines


def offer_message(
    event: AssignmentEvent,
    links: Links,
    *,
    reminder: bool = False,
    lead_page: str | None = None,
    now: datetime | None = None,
) -> Message:
    """`lead_page`: the lead in the console (the card's own URL is the API's, for sales tools);
    `now`: when it is sent, to say how long is left in every reader's zone, not only UTC's."""
    who = who_is(event.lead)
    deadline = _deadline(event.sla_deadline)
    if now and event.sla_deadline:
        deadline += f", {_duration((event.sla_deadline - now).total_seconds())} from this message"
    lead = f"A {event.temperature.value} lead"
    subject = f"{'Reminder: ' if reminder else ''}{lead} for you: {who} (accept by {deadline})"
    lines = [
        f"{lead} was offered to you{' and still waits for you' if reminder else ''}.",
        "",
        *_card_lines(event.lead),
        "",
        f"Score {event.score:g} ({event.temperature.value}) because:",
        *_reason_lines(event.score, event.lead),
        "",
        f"Accept by {deadline}, or it goes to the next rep.",
        f"Lead: {event.lead_id}",
    ]
    ours = [("Accept", links.accept_url), ("Pass", links.reject_url)]
    if lead_page:
        ours.append(("The lead in the console", lead_page))
    return Message(subject, tuple(lines), tuple(ours))


def moved_message(event: AssignmentEvent) -> Message:
    who = who_is(event.lead)
    # It may have run out, been passed on, turned hotter than the rep's tier takes, been given
    # to another rep by hand (offered or accepted), or left a rep made inactive: the notice says
    # only what is true of all, and not why the next rep was chosen (that told her another
    # rep's tier and load).
    return Message(
        f"{who} moved to another rep",
        (f"The lead you had ({who}) is no longer yours: it went to another rep.",),
    )


def waiting_message(event: LeadWaitingTooLong, now: datetime, lead_page: str | None = None) -> Message:
    """The admins' notice: a hot lead no rep has taken within its limit, and where to act."""
    who = who_is(event.lead)
    waited = _duration((now - event.waiting_since).total_seconds())
    lines = [
        f"A hot lead (score {event.score:g}) has waited since {_deadline(event.waiting_since)},"
        f" {waited}, and no rep has taken it.",
        f"It waits for: {one_line(event.waiting_for or event.reason)}",
        "",
        *_card_lines(event.lead),
        "",
        "Assign it to a rep by hand on the queue page, or free or add a rep who can take it.",
        f"Lead: {event.lead_id}",
    ]
    ours = [("Queue", event.queue_url)] if event.queue_url else []
    if lead_page:
        ours.append(("The lead in the console", lead_page))
    return Message(f"A hot lead has waited {waited} for a rep: {who}", tuple(lines), tuple(ours))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 0):.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


def _mrkdwn(text: str) -> dict:
    # verbatim: Slack turns no bare URL, #channel or @here in the text into a link or a mention.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _clipped(text: str) -> str:
    return text if len(text) <= SLACK_TEXT_LIMIT else text[: SLACK_TEXT_LIMIT - 1] + "…"


def slack_payload(message: Message, links: Links | None) -> dict:
    """Slack's incoming-webhook format: the text escaped for mrkdwn (only the subject's bold and
    the links are markup, ours), and buttons that open the confirmation pages."""
    subject = slack_text(message.subject)
    body = slack_text("\n".join(message.lines))
    blocks: list[dict] = [{"type": "section", "text": _mrkdwn(_clipped(f"*{subject}*\n{body}"))}]
    buttoned = {links.accept_url, links.reject_url} if links else set()
    shown = [slack_link(url, label) for label, url in message.links if url not in buttoned]
    if shown:
        blocks.append({"type": "section", "text": _mrkdwn(_clipped("\n".join(shown)))})
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
    return {"text": subject, "blocks": blocks}
