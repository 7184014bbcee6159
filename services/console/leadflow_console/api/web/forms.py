"""What is wrong with a form, field by field, in words: the one way every console form turns a
refusal (a service's problem+json, an account rule, or a value the console could not read) into
a message at each field, so a person never sees JSON or a generic "invalid fields".

`FormErrors` maps a form's own field names to messages; `_form` holds what belongs to no field.
The template macros in `_fields.html` show them (`field_error`, `form_errors`)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from leadflow_common.errors import FieldError, LeadflowError
from leadflow_console.api.web.upstream import UpstreamProblem
from leadflow_console.domain import choices

WHOLE_FORM = "_form"
# Pydantic's phrasing, as services pass it on, made into a sentence for a person.
_PREFIXES = ("Value error, ", "Assertion failed, ")


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        # A sentence under the field's label; the first reason a field is wrong is enough.
        self.fields.setdefault(name, message[:1].upper() + message[1:])

    def __bool__(self) -> bool:
        return bool(self.fields)

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def general(self) -> str | None:
        return self.fields.get(WHOLE_FORM)

    @property
    def at_fields(self) -> int:
        return len([name for name in self.fields if name != WHOLE_FORM])


def in_words(message: str) -> str:
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if message.startswith("Input should be a valid integer"):
        return "must be a whole number"
    if message == "Field required":
        return "required"
    if message.startswith("Input should be "):
        return "must be " + message.removeprefix("Input should be ")
    if longest := re.fullmatch(r"String should have at most (\d+) characters?", message):
        return f"at most {longest.group(1)} characters: shorten it"
    if shortest := re.fullmatch(r"String should have at least (\d+) characters?", message):
        return f"at least {shortest.group(1)} characters"
    return message


def _path_parts(name: str) -> list[str]:
    """`working_hours.timezone` → [working_hours, timezone]; `events[2]` → [events]."""
    return [part for part in re.sub(r"\[\d+\]", "", name).split(".") if part]


def form_field(name: str, names: Mapping[str, str], known: Iterable[str]) -> str:
    """The form's field for a service's field path: the form's own mapping of a path or its
    prefix first (`working_hours.start` → `start`), then the path's last part if the form has a
    field of that name, else the whole form."""
    parts = _path_parts(name)
    for length in range(len(parts), 0, -1):
        path = ".".join(parts[:length])
        if path in names:
            return names[path]
    known = set(known)
    for part in reversed(parts):
        if part in known:
            return part
    return WHOLE_FORM


def from_problem(
    problem: UpstreamProblem | LeadflowError,
    known: Iterable[str],
    names: Mapping[str, str] | None = None,
    into: FormErrors | None = None,
) -> FormErrors:
    """A refusal as errors at a form's fields (`known`: the form's field names; `names`: paths
    the service names differently from the form)."""
    errors = into or FormErrors()
    known = list(known)
    listed = [_as_dict(item) for item in (problem.fields or [])]
    for item in listed:
        errors.add(form_field(item.get("name", ""), names or {}, known), in_words(item.get("message", "")))
    if not listed or problem.status != 422:
        errors.add(WHOLE_FORM, problem.detail or problem.title)
    return errors


def _as_dict(item: dict[str, str] | FieldError) -> dict[str, str]:
    return item if isinstance(item, dict) else {"name": item.name, "message": item.message}


# Reading what was typed: each returns the value, or None with the reason at the field.


def whole_number(errors: FormErrors, name: str, text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text:
        errors.add(name, f"required: a whole number from {low} to {high}")
        return None
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        errors.add(name, f"“{text}” is not a whole number (from {low} to {high})")
        return None
    value = int(text)
    if not low <= value <= high:
        errors.add(name, f"must be from {low} to {high}, not {value}")
        return None
    return value


def time_zone(errors: FormErrors, name: str, text: str, required: bool = True) -> str | None:
    """An IANA time zone from the list; a city alone ("Berlin") is answered with the zones it
    may mean."""
    text = text.strip()
    if not text:
        if required:
            errors.add(name, "required: pick a time zone from the list")
        return None
    if choices.known_zone(text):
        return text
    city = text.replace(" ", "_").lower()
    meant = [zone for zone in choices.timezones() if zone.lower().rsplit("/", 1)[-1] == city]
    hint = (
        f" Did you mean {' or '.join(meant[:3])}?"
        if meant
        else " Pick one from the list, e.g. Europe/Berlin."
    )
    errors.add(name, f"“{text}” is not a time zone name.{hint}")
    return None


# Routing names the hours' parts inside `working_hours`; the forms have them side by side.
HOURS_NAMES = {
    "working_hours.timezone": "timezone",
    "working_hours.start": "start",
    "working_hours.end": "end",
}
HOURS_NAMES |= {"working_hours.days": "timezone", "working_hours": "start"}


def working_hours(errors: FormErrors, timezone: str, start: str, end: str) -> dict[str, str | None] | None:
    """Working hours come whole (a zone, a start and an end) or not at all: half of them is
    never dropped in silence."""
    given = {"timezone": timezone.strip(), "start": start, "end": end}
    zone = time_zone(errors, "timezone", timezone, required=any(given.values()))
    if not any(given.values()):
        return None
    for part in ("start", "end"):
        if not given[part]:
            errors.add(part, "required: working hours need a time zone, a start and an end")
    return {"timezone": zone, "start": start, "end": end} if not errors else None
