"""What an account's owner is told, pure: that they became its owner (and the previous owner,
that they lost it), their account turning hot (with the people behind it), and a lead of their
account gone to another rep or a queue. Every
text a lead wrote goes through `one_line` here, and `slack_text` on its way to Slack
(notices.slack_payload), as for offers."""

import uuid

from leadflow_common.account_events import AccountOwnerChanged, AccountScored
from leadflow_common.events import AssignmentEvent, CloudEvent, LeadNurtured, Temperature
from leadflow_webhooks.domain.escaping import one_line
from leadflow_webhooks.domain.notices import Message, who_is

HOT = "account_hot"
LEAD_ELSEWHERE = "account_lead"
OWNER = "account_owner"
LOST = "account_owner_lost"
KINDS = frozenset({HOT, LEAD_ELSEWHERE, OWNER, LOST})
PEOPLE_NAMED = 10  # the highest scored people named in a hot account's notice
# The notices table names what a notice is about by an assignment id; an account's turning hot
# is named by the account and the score's revision, so a repeated event is one notice.
HOT_NAMESPACE = uuid.UUID("4f1c1c55-0d5a-4d55-8a55-a0c0c0a7c0de")


def turned_hot(data: AccountScored) -> bool:
    return data.temperature == Temperature.hot and data.previous_temperature != Temperature.hot


def hot_notice_id(data: AccountScored) -> uuid.UUID:
    return uuid.uuid5(HOT_NAMESPACE, f"{data.account_id}:{data.revision}")


def new_owner(data: AccountOwnerChanged) -> bool:
    """The change names an owner who was not the owner before: they are told."""
    return data.owner is not None and data.owner.id != data.previous_owner_id


def owner_notice_id(data: AccountOwnerChanged) -> uuid.UUID:
    """One notice per change, however often its event is redelivered."""
    owner = data.owner.id if data.owner else None
    return uuid.uuid5(HOT_NAMESPACE, f"owner:{data.account_id}:{owner}:{data.at.isoformat()}")


def lost_owner(data: AccountOwnerChanged) -> bool:
    """The change takes the account from an owner it had: they are told."""
    return data.previous_owner_id is not None and data.previous_owner_id != (
        data.owner.id if data.owner else None
    )


def lost_notice_id(data: AccountOwnerChanged) -> uuid.UUID:
    """One notice per change to the previous owner, however often its event is redelivered."""
    return uuid.uuid5(HOT_NAMESPACE, f"lost:{data.account_id}:{data.previous_owner_id}:{data.at.isoformat()}")


def owner_to_tell(event: CloudEvent) -> uuid.UUID | None:
    """The owner a routing decision names: their account's lead went elsewhere."""
    data = event.data
    if isinstance(data, AssignmentEvent) and data.account_owner is not None:
        return data.account_owner.id
    return None


def person_line(card: dict | None, score: float, temperature: Temperature) -> str:
    if not card:
        return f"  (someone no longer on record): score {score:g} ({temperature.value})"
    return f"  {person_name(card)}: score {score:g} ({temperature.value})"


def hot_message(data: AccountScored, cards: dict[uuid.UUID, dict], account_url: str | None) -> Message:
    """The owner's notice: which account, its score and why, and the people behind it."""
    companies = [card.get("company") for card in cards.values() if card.get("company")]
    company = one_line(companies[0]) if companies else "an account of yours"
    people = data.people[:PEOPLE_NAMED]
    engaged = sum(person.temperature != Temperature.cold for person in data.people)
    lines = [
        f"{company} is turning hot: score {data.score:g}, {engaged} of {len(data.people)} people engaged.",
        "",
        "The people behind it:",
        *(person_line(cards.get(person.lead_id), person.score, person.temperature) for person in people),
        "",
        "Because:",
        *(f"  {one_line(reason.factor)}: {reason.points:+g}" for reason in data.reasons),
        "",
        f"Account: {data.account_id}",
    ]
    links = (("The account", account_url),) if account_url else ()
    return Message(f"Your account is turning hot: {company} (score {data.score:g})", tuple(lines), links)


def elsewhere_message(data: AssignmentEvent) -> Message:
    """The owner's notice: a lead of their account went to another rep or to a queue."""
    who = who_is(data.lead)
    if isinstance(data, LeadNurtured):
        where = f"the {one_line(data.queue or 'nurture')} queue"
    else:
        where = one_line(data.rep.name) if data.rep else "a queue"
    reason = one_line(data.reason)
    lines = (
        f"A {data.temperature.value} lead of your account ({who}) went to {where}, not to you ({reason}).",
        f"Lead: {data.lead_id}",
    )
    if data.account_id:
        lines = (*lines, f"Account: {data.account_id}")
    return Message(f"A lead of your account went to {where}: {who}", lines)


HOW_OWNED = {
    "admin": "An admin named you its owner.",
    "system": "You accepted its first lead, so it is yours.",
    "rep": "You took it.",
}


def owner_message(data: AccountOwnerChanged, cards: list[dict], account_url: str | None) -> Message:
    """The new owner's notice: which account, why it is theirs, what that means, its people."""
    companies = [card.get("company") for card in cards if card.get("company")]
    company = one_line(companies[0]) if companies else "an account"
    lines = [
        f"You own {company} now. {HOW_OWNED[data.by]}",
        "Its new leads are offered to you first while you are active and have room;"
        " when one goes to someone else, you are told.",
    ]
    if cards:
        named = [person_name(card) for card in cards[:PEOPLE_NAMED]]
        more = len(cards) - len(named)
        lines += ["", "Its people so far:", *(f"  {name}" for name in named)]
        lines += [f"  and {more} more"] if more > 0 else []
    lines += ["", f"Account: {data.account_id}"]
    links = (("The account", account_url),) if account_url else ()
    return Message(f"You own an account now: {company}", tuple(lines), links)


def lost_message(data: AccountOwnerChanged, cards: list[dict], account_url: str | None) -> Message:
    """The previous owner's notice: which account, who has it now and why, what that means."""
    companies = [card.get("company") for card in cards if card.get("company")]
    company = one_line(companies[0]) if companies else "an account"
    if data.owner is None:
        why = "An admin left it without an owner: the rep who accepts its next lead becomes its owner."
    elif data.by == "admin":
        why = f"An admin named {one_line(data.owner.name)} its owner."
    else:
        why = f"{one_line(data.owner.name)} took it."
    lines = [
        f"You no longer own {company}. {why}",
        "Its new leads are no longer offered to you first; the leads of it you hold stay yours.",
        "",
        f"Account: {data.account_id}",
    ]
    links = (("The account", account_url),) if account_url else ()
    return Message(f"You no longer own an account: {company}", tuple(lines), links)


def person_name(card: dict) -> str:
    name = " ".join(one_line(part) for part in (card.get("first_name"), card.get("last_name")) if part)
    name = name or one_line(card.get("email") or "") or "a person"
    return f"{name}, {one_line(card['job_title'])}" if card.get("job_title") else name
