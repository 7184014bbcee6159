"""Capture's rules as pure functions: what a valid submission is and its normalized form (how
submissions merge into one lead is `merging.py`). No I/O here."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import pycountry
from pydantic import ConfigDict, Field, StringConstraints, ValidationError

from leadflow_capture.domain.attributes import ATTRIBUTES_SCHEMA, attribute_errors
from leadflow_capture.domain.identifiers import (
    email_mixes_scripts,
    is_blocked,
    is_pay_number,
    normalize_email,
    normalize_phone,
)
from leadflow_capture.domain.shown_text import SHOWN_FIELDS, link_errors
from leadflow_common.errors import FieldError, Invalid
from leadflow_common.events import AttributeValue
from leadflow_common.inputs import InputModel, Occurrence

T = TypeVar("T")
V = TypeVar("V", bound=str | int)
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
PROFILE_FIELDS = ("first_name", "last_name", "company", "job_title", "city", "language", "segment")
TRUTHY = {"1", "true", "on", "yes", "y"}


class ConsentInput(InputModel):
    email: bool | None = None
    sms: bool | None = None


class AttributionInput(InputModel):
    source: ShortText | None = None
    medium: ShortText | None = None
    campaign: ShortText | None = None
    term: ShortText | None = None
    content: ShortText | None = None
    referrer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    landing_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class LeadInput(InputModel):
    """A lead as any channel submits it. Unknown top-level fields become `attributes`."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "first_name": "Ada",
                    "company": "Analytical Engines",
                    "job_title": "CTO",
                    "company_size": "51-200",
                    "country": "GB",
                    "consent": {"email": True},
                    "attribution": {"source": "google", "campaign": "spring"},
                }
            ]
        },
    )

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    company: ShortText | None = None
    job_title: ShortText | None = None
    company_size: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | int | None = None
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    city: ShortText | None = None
    language: Annotated[str, StringConstraints(strip_whitespace=True, max_length=35)] | None = None
    segment: Literal["b2b", "b2c"] | None = None
    message: LongText | None = None
    consent: ConsentInput | None = None
    attribution: AttributionInput | None = None
    # Checked by hand (`parse_lead`), one error a value in words: pydantic's check of the union
    # said four ("attributes.notes.constrained-str", ".int", ".float", ".bool") for one value too long.
    attributes: Annotated[dict[str, Any], ATTRIBUTES_SCHEMA] = Field(default_factory=dict)
    occurred_at: Occurrence | None = None


class InvalidLead(Invalid):
    """A submission with invalid fields: 422, each named (the one error handler answers it)."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("The submission has invalid fields", fields=errors)
        self.errors = errors


@dataclass(frozen=True)
class NormalizedLead:
    email: str | None
    phone: str | None
    profile: dict[str, Any]
    consent: dict[str, bool]
    attribution: dict[str, str]
    attributes: dict[str, AttributeValue]
    message: str | None = None
    occurred_at: datetime | None = None
    company_size: tuple[int | None, int | None] | None = field(default=None)


@dataclass(frozen=True)
class Screening:
    """What a submission must pass beyond its shape: the operator's blocked email domains (and
    every domain under them), and on a public channel, where anyone can type anything, no email
    mixing look-alike scripts and, unless the operator allows them, no premium-rate or
    shared-cost phone number (a rep's call back would pay whoever typed it)."""

    blocked_domains: frozenset[str] = frozenset()
    refuse_mixed_scripts: bool = False
    refuse_pay_numbers: bool = False
    refuse_links: bool = False  # in what a rep's mail shows (shown_text.py)


NO_SCREENING = Screening()


def form_to_lead_fields(form: Mapping[str, str]) -> dict[str, Any]:
    """An HTML form's flat fields in the shape of `LeadInput`: `utm_*` into attribution,
    `consent_email`/`consent_sms` checkboxes into consent, `attributes[...]`/unknown fields kept."""
    lead: dict[str, Any] = {}
    attribution: dict[str, str] = {}
    consent: dict[str, bool] = {}
    for name, value in form.items():
        if name.startswith("utm_"):
            attribution[name.removeprefix("utm_")] = value
        elif name in ("referrer", "landing_url"):
            attribution[name] = value
        elif name in ("consent_email", "consent_sms"):
            consent[name.removeprefix("consent_")] = value.strip().lower() in TRUTHY
        elif value.strip() != "":
            lead[name] = value
    if attribution:
        lead["attribution"] = attribution
    if consent:
        lead["consent"] = consent
    return lead


def parse_lead(
    fields: Mapping[str, Any], *, default_region: str, screening: Screening = NO_SCREENING
) -> NormalizedLead:
    """Validate and normalize one submission, or raise InvalidLead naming every bad field."""
    try:
        lead = LeadInput.model_validate(fields)
    except ValidationError as error:
        raise InvalidLead(
            [FieldError(name=".".join(str(p) for p in e["loc"]), message=e["msg"]) for e in error.errors()]
        ) from None
    return normalize(lead, default_region=default_region, screening=screening)


def screen(email: str | None, phone: str | None, screening: Screening) -> list[FieldError]:
    """The valid identifiers' problems under this screening (see Screening)."""
    errors = []
    if email and is_blocked(email, screening.blocked_domains):
        errors.append(FieldError(name="email", message="this email domain is not accepted"))
    if email and screening.refuse_mixed_scripts and email_mixes_scripts(email):
        errors.append(
            FieldError(
                name="email",
                message="mixes scripts whose letters look alike (such as Cyrillic among Latin letters)",
            )
        )
    if phone and screening.refuse_pay_numbers and is_pay_number(phone):
        errors.append(
            FieldError(name="phone", message="premium-rate and shared-cost numbers are not accepted")
        )
    return errors


def normalize(lead: LeadInput, *, default_region: str, screening: Screening = NO_SCREENING) -> NormalizedLead:
    errors: list[FieldError] = []

    def check(name: str, parse: Callable[[V], T], value: V | None) -> T | None:
        if value in (None, ""):
            return None
        try:
            return parse(value)
        except ValueError as error:
            errors.append(FieldError(name=name, message=str(error)))
            return None

    email = check("email", normalize_email, lead.email)
    phone = check("phone", lambda v: normalize_phone(v, default_region), lead.phone)
    errors += screen(email, phone, screening)
    if screening.refuse_links:
        errors += link_errors({name: getattr(lead, name) for name in SHOWN_FIELDS})
    country = check("country", normalize_country, lead.country)
    size = check("company_size", parse_company_size, lead.company_size)
    if not lead.email and not lead.phone:
        errors.append(FieldError(name="email", message="at least one of email or phone is required"))

    given = {**dict(lead.model_extra or {}), **lead.attributes}
    # Trimmed before they are checked, as every text is (a CSV's padding is not a character).
    attributes = {
        name.strip(): value.strip() if isinstance(value, str) else value for name, value in given.items()
    }
    errors += attribute_errors(attributes)
    if errors:
        raise InvalidLead(errors)

    profile = {name: getattr(lead, name) for name in PROFILE_FIELDS if getattr(lead, name) not in (None, "")}
    if country:
        profile["country"] = country
    if size:
        profile["company_size"] = str(lead.company_size).strip()
        profile["company_size_min"], profile["company_size_max"] = size
    consent = {k: v for k, v in (lead.consent.model_dump() if lead.consent else {}).items() if v is not None}
    given = lead.attribution.model_dump(exclude_none=True) if lead.attribution else {}
    attribution = {name: value for name, value in given.items() if value != ""}  # a form's empty utm_ field
    return NormalizedLead(
        email=email,
        phone=phone,
        profile=profile,
        consent=consent,
        attribution=attribution,
        attributes=attributes,
        message=lead.message or None,
        occurred_at=lead.occurred_at,
        company_size=size,
    )


def normalize_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code from a code (alpha-2 or alpha-3) or an English name."""
    candidate = value.strip()
    country = None
    if len(candidate) in (2, 3):
        code = candidate.upper()
        country = (
            pycountry.countries.get(alpha_2=code) if len(code) == 2 else pycountry.countries.get(alpha_3=code)
        )
    if country is None:
        try:
            country = pycountry.countries.lookup(candidate)
        except LookupError:
            raise ValueError("not an ISO 3166 country code or name") from None
    return country.alpha_2


_SIZE = re.compile(
    r"^\s*(\d[\d,. ]*)\s*(?:(-|\u2013|to)\s*(\d[\d,. ]*)|(\+|or more))?\s*(employees)?\s*$", re.I
)


# The largest employers have about two million people: a size past this is a typing mistake
# (or a probe), and would otherwise count as the biggest company there is.
LARGEST_COMPANY_SIZE = 10_000_000


def parse_company_size(value: str | int) -> tuple[int | None, int | None]:
    """`"11-50"` → (11, 50); `"500+"` → (500, None); `42` → (42, 42)."""
    if isinstance(value, int):
        return _sized(value, value)
    match = _SIZE.match(value)
    if not match:
        raise ValueError('company size must look like "11-50", "500+" or "42"')

    def number(text: str) -> int:
        return int(re.sub(r"[,. ]", "", text)[:12])  # 12 digits are past any size allowed

    low = number(match.group(1))
    if match.group(3):
        high = number(match.group(3))
        if high < low:
            raise ValueError("company size range is reversed")
        return _sized(low, high)
    if match.group(4):
        return _sized(low, None)
    return _sized(low, low)


def _sized(low: int, high: int | None) -> tuple[int, int | None]:
    if low < 1:
        raise ValueError("company size must be positive")
    if max(low, high or low) > LARGEST_COMPANY_SIZE:
        raise ValueError(f"company size may be at most {LARGEST_COMPANY_SIZE:,}")
    return low, high
