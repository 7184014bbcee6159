"""What the leads page was asked for, read from its URL: the filters, the sort, the search box and
the page to continue from, each checked, with an error in words per field. Pure: no I/O.

The search box takes one text and decides what it is: an email (it has an "@"), a phone number
(mostly digits, in any format a person writes one, read with `phonenumbers` in the default
region), or words, each of which must start a word of the lead's name or company."""

import base64
import binascii
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

import phonenumbers

from leadflow_common.events import Channel, Temperature

PAGE_SIZE = 50
# The days a filter, a cursor or the funnel may name: any lead's, with room on either side for
# a time zone (a day at the calendar's end was a 500 once a zone or a day was added to it).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)


class Sort(StrEnum):
    newest = "newest"
    score = "score"


class ListStatus(StrEnum):
    """What a lead's status may be on the list: where its current assignment stands (as the read
    model keeps it), its outcome, or not routed yet."""

    not_routed = "not routed"
    offered = "offered"
    accepted = "accepted"
    waiting = "waiting"
    nurture = "nurture"
    rejected = "rejected"
    moved_on = "moved on"
    completed = "completed"
    closed = "closed"
    won = "won"
    lost = "lost"


SORTS = {Sort.newest: "Newest first", Sort.score: "Highest score first"}
STATUSES = {
    ListStatus.not_routed: "Not routed yet",
    ListStatus.offered: "Offered",
    ListStatus.accepted: "Accepted",
    ListStatus.waiting: "Waiting for a rep",
    ListStatus.nurture: "In the nurture queue",
    ListStatus.rejected: "Passed on",
    ListStatus.moved_on: "Moved on",
    ListStatus.completed: "Completed",
    ListStatus.closed: "Closed",
    ListStatus.won: "Won",
    ListStatus.lost: "Lost",
}
OUTCOMES = (ListStatus.won, ListStatus.lost)
TEMPERATURES = tuple(t.value for t in Temperature)
CHANNELS = tuple(c.value for c in Channel)
MAX_QUERY = 200
WORD = re.compile(r"[^\W_]+")  # letters and digits: what to_tsquery reads as one word
PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")


@dataclass(frozen=True)
class Search:
    """The search box, understood: at most one of the three is set."""

    email: str | None = None
    phone: str | None = None  # E.164
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the last row shown's sort value and id (keyset paging)."""

    value: datetime | float
    lead_id: uuid.UUID


@dataclass(frozen=True)
class LeadCriteria:
    search: Search = Search()
    temperature: Temperature | None = None
    status: ListStatus | None = None
    owner: uuid.UUID | None = None
    channel: Channel | None = None
    campaign: str | None = None
    since: datetime | None = None  # captured at or after
    until: datetime | None = None  # captured before (the day after the "to" date)
    sort: Sort = Sort.newest
    after: Cursor | None = None
    only: tuple[uuid.UUID, ...] | None = None  # of these leads (a search's page, followed)


@dataclass
class ReadCriteria:
    criteria: LeadCriteria
    errors: dict[str, str] = field(default_factory=dict)


def read_criteria(params: dict[str, str], default_region: str, zone: tzinfo = UTC) -> ReadCriteria:
    """The page's URL parameters as criteria; a bad value is left out and named in `errors`.
    From and To are whole days in the viewer's `zone`, where the list shows each time."""
    errors: dict[str, str] = {}
    value = {name: (params.get(name) or "").strip() for name in PARAMETERS}
    choice = {
        name: _one_of(value[name], options, name, errors, words)
        for name, options, words in (
            ("temperature", TEMPERATURES, "Choose cold, warm or hot."),
            ("status", tuple(STATUSES), "Choose a status from the list."),
            ("channel", CHANNELS, "Choose a channel from the list."),
            ("sort", tuple(SORTS), "Choose newest or score."),
        )
    }
    owner = _uuid(value["owner"], "owner", errors, "Choose an owner from the list.")
    since = _day(value["from"], "from", errors)
    until = _day(value["to"], "to", errors)
    if since and until and until < since:
        errors["to"] = "The end date is before the start date."
        until = None
    if len(value["campaign"]) > MAX_QUERY:
        errors["campaign"] = f"At most {MAX_QUERY} characters."
    sort = Sort(choice["sort"] or Sort.newest)
    criteria = LeadCriteria(
        search=read_search(value["q"], default_region, errors),
        temperature=Temperature(choice["temperature"]) if choice["temperature"] else None,
        status=ListStatus(choice["status"]) if choice["status"] else None,
        owner=owner,
        channel=Channel(choice["channel"]) if choice["channel"] else None,
        campaign=value["campaign"] if "campaign" not in errors else None,
        since=datetime.combine(since, time(), zone) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), zone) if until else None,
        sort=sort,
        after=read_cursor(value["after"], sort) if not errors else None,
    )
    return ReadCriteria(criteria, errors)


PARAMETERS = ("q", "temperature", "status", "owner", "channel", "campaign", "from", "to", "sort", "after")


def read_search(text: str, default_region: str, errors: dict[str, str]) -> Search:
    if len(text) > MAX_QUERY:
        errors["q"] = f"At most {MAX_QUERY} characters."
        return Search()
    if not text:
        return Search()
    if "@" in text:
        return Search(email=text.lower())
    if PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 6:
        phone = phone_number(text, default_region)
        if phone is None:
            errors["q"] = "This looks like a phone number but is not one; check the digits."
        return Search(phone=phone)
    words = tuple(word.lower() for word in WORD.findall(text))[:8]
    if not words:  # only signs (`%`, `*`): searching for nothing would list every lead
        errors["q"] = "Type a name, a company, an email or a phone number: letters or digits."
    return Search(words=words)


def phone_number(text: str, default_region: str) -> str | None:
    """The number in E.164, as capture stores it, or None when it cannot be one."""
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def write_cursor(cursor: Cursor) -> str:
    value = cursor.value.isoformat() if isinstance(cursor.value, datetime) else repr(cursor.value)
    return base64.urlsafe_b64encode(f"{value}|{cursor.lead_id}".encode()).decode().rstrip("=")


def read_cursor(text: str, sort: Sort) -> Cursor | None:
    """None for no cursor or one that cannot be read (the list then starts from its top)."""
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        value, lead_id = raw.rsplit("|", 1)
        start = datetime.fromisoformat(value) if sort == Sort.newest else float(value)
        if isinstance(start, datetime) and not FIRST_DAY <= start.date() <= LAST_DAY:
            return None  # past the calendar the database keeps: none of the list's
        return Cursor(start, uuid.UUID(lead_id))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _one_of(text: str, options: tuple[str, ...], name: str, errors: dict[str, str], words: str) -> str | None:
    if not text:
        return None
    if text not in options:
        errors[name] = words
        return None
    return text


def _uuid(text: str, name: str, errors: dict[str, str], words: str) -> uuid.UUID | None:
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        errors[name] = words
        return None


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[name] = "Write a date as YYYY-MM-DD, for example 2026-11-30."
        return None
    if not FIRST_DAY <= day <= LAST_DAY:  # a day past the calendar's end was a 500
        errors[name] = f"Write a date from {FIRST_DAY} to {LAST_DAY}."
        return None
    return day
