"""Codes in words, pure, for every screen and notice alike (the console's pages, a rep's mail):
a channel ("a landing page", not `landing_page`), and a score's lines. The scoring service sends
every line of a score (fit, engagement as earned, faded and capped, the 0-100 bound, a learned
model's baseline) as codes; here they become labels a person reads ("Job title: C-level +25"),
and a card that shows only the largest lines adds one for the rest, so what is shown always adds
up to the score."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pycountry

LIMITED_CARD_LINES = 5

CHANNELS = {
    "landing_page": "a landing page",
    "popup": "a website popup",
    "sms": "an SMS",
    "api": "the API",
    "import": "an import",
}


def channel_words(name: str | None) -> str:
    return CHANNELS.get(name or "", (name or "an unknown channel").replace("_", " "))


FIT_SIMPLE = {
    "has_email": "Gave an email address",
    "has_phone": "Gave a phone number",
    "consent": "Consented to be contacted",
    "free_mail": "Free email address",
    "blocked_domain": "Email domain is blocked",
    "competitor_domain": "Email domain is a competitor's",
}
FIT_GROUPS = {
    "job_title": "Job title",
    "company_size": "Company size",
    "country": "Country",
    "channel": "Channel",
    "source": "Source",
    "field": "Field",
}


@dataclass(frozen=True)
class Line:
    label: str
    points: float


ACRONYMS = {"vp": "VP", "ceo": "CEO", "cto": "CTO", "cfo": "CFO", "coo": "COO", "cmo": "CMO", "it": "IT"}


def words(code: str) -> str:
    """`c_level` → `C-level`, `demo_requested` → `Demo requested`, `vp` → `VP`: a code as a person
    says it."""
    if code.lower() in ACRONYMS:
        return ACRONYMS[code.lower()]
    first, _, rest = code.partition("_")
    if len(first) == 1 and rest:  # a one-letter prefix is part of the word: C-level, B-side
        return f"{first.upper()}-{rest.replace('_', ' ')}"
    text = code.replace("_", " ")
    return text[:1].upper() + text[1:]


def _country(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or (country.name if country else code)


def _fit(code: str) -> str:
    if code in FIT_SIMPLE:
        return FIT_SIMPLE[code]
    group, _, value = code.partition(":")
    if group == "company_size":
        return f"Company size: {value.rstrip('+')} or more employees"
    if group == "country":
        return f"Country: {_country(value)}"
    if group == "job_title":
        return f"Job title: {words(value)}"
    if group == "channel":  # in the lead page's words ("the API", not "api")
        return f"Channel: {channel_words(value)}"
    if group in FIT_GROUPS:
        return f"{FIT_GROUPS[group]}: {value.replace('_', ' ')}"
    return words(code)


def _engagement(code: str) -> str:
    step, _, activity = code.partition(":")
    name = words(activity) if activity else words(step)
    if step == "decay":
        return f"{name}: faded with time"
    if step == "cap":
        return f"{name}: above its cap"
    return name


def _model(code: str) -> str:
    if code == "baseline":
        return "Learned model: baseline for every lead"
    name, equals, value = code.partition("=")
    name = name.removeprefix("attribute:").removeprefix("attribution:").replace(":log", "")
    feature = words(name.replace(":", " "))
    return f"Learned model: {feature} {value}" if equals else f"Learned model: {feature}"


ACCOUNT_LINES = {
    "engaged_people": "Engaged people (warm or hot)",
    "best_person": "Its best person's score",
    "people_sum": "Its people's scores together",
    "recent": "Someone active lately",
    "bounds": "Kept within 0 to 100",
}


def _account(code: str) -> str:
    if code.startswith("seniority:"):
        level = code.removeprefix("seniority:")
        return f"Seniority covered: {'VP' if level == 'vp' else words(level)}"
    return ACCOUNT_LINES.get(code) or words(code)


def label(factor: str) -> str:
    kind, _, rest = factor.partition(":")
    if kind == "account":
        return _account(rest)
    if kind == "fit":
        return _fit(rest)
    if kind == "engagement":
        return _engagement(rest)
    if kind == "model":
        return _model(rest)
    if factor == "bounds":
        return "Kept within 0 to 100"
    return words(factor)


def breakdown(reasons: Sequence[Mapping[str, Any]] | None, limit: int | None = None) -> list[Line]:
    """Every line, labelled; with `limit`, the largest `limit - 1` lines and one for the rest."""
    lines = [Line(label(reason["factor"]), float(reason["points"])) for reason in reasons or []]
    if limit is None or len(lines) <= limit:
        return lines
    largest = set(sorted(range(len(lines)), key=lambda index: -abs(lines[index].points))[: limit - 1])
    kept = [line for index, line in enumerate(lines) if index in largest]  # in the service's order
    rest = [line for index, line in enumerate(lines) if index not in largest]
    return [*kept, Line(f"{len(rest)} other reasons", round(sum(line.points for line in rest), 1))]


def signed(points: float) -> str:
    """+25, \u22122.5: whole points without a decimal, and a real minus sign."""
    text = f"{points:+.1f}".removesuffix(".0")
    return text.replace("-", "\u2212")
