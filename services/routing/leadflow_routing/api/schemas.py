"""Routing's request and response bodies."""

import uuid
from datetime import datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import MISSING, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from leadflow_common.events import Temperature, Tier
from leadflow_common.inputs import InputModel
from leadflow_routing.domain.policy import AssignmentStatus

CODE_LENGTH = 8
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=CODE_LENGTH)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Segment = Literal["b2b", "b2c"]


class WorkingHoursInput(InputModel):
    timezone: str = Field(examples=["Europe/Berlin"])
    start: time = Field(examples=["09:00"])
    end: time = Field(examples=["17:30"])
    days: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 is Monday")

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone") from None
        return value

    @field_validator("days")
    @classmethod
    def weekdays(cls, values: list[int]) -> list[int]:
        if not values or any(day not in range(7) for day in values):
            raise ValueError("days are 0 (Monday) to 6")
        return sorted(set(values))

    def document(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
        }


def _fitting(values: list[str]) -> list[str]:
    # A change of case can lengthen text ("ß".upper() is "SS"): a code must still fit as stored,
    # or the rep is saved and then cannot be answered.
    if any(len(value) > CODE_LENGTH for value in values):
        raise ValueError(f"a code has at most {CODE_LENGTH} characters")
    return values


def _countries(values: list[str] | None) -> list[str] | None:
    """ISO 3166-1 alpha-2 codes, upper case ("Germany" is refused, not stored as a code)."""
    if values is None:
        return None
    codes = _fitting([value.upper() for value in values])
    for code in codes:
        if pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166 country code (two letters, e.g. DE)")
    return codes


def _languages(values: list[str] | None) -> list[str] | None:
    """ISO 639-1 codes, lower case, a region allowed after them ("pt-br")."""
    if values is None:
        return None
    codes = _fitting([value.lower() for value in values])
    for code in codes:
        if pycountry.languages.get(alpha_2=code.split("-")[0]) is None:
            raise ValueError(f"{code!r} is not an ISO 639-1 language code (two letters, e.g. de)")
    return codes


class RepInput(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Sam Senior", "email": "sam@example.com", "tier": "senior", "capacity": 5}]
        },
    )

    name: Name
    email: EmailStr
    tier: Tier
    capacity: int = Field(ge=0, le=10_000, description="Open leads the rep can hold at once")
    territories: list[Code] = Field(default_factory=list, description="ISO 3166 alpha-2; empty takes any")
    languages: list[Code] = Field(
        default_factory=list, description="ISO 639-1; empty takes any; a lead giving none goes to any rep"
    )
    segments: list[Segment] = Field(default_factory=list, description="Empty takes any")
    active: bool = True
    available: bool = Field(default=True, description="Presence: false while away")
    working_hours: WorkingHoursInput | None = Field(
        default=None, description="When set, takes leads only then"
    )

    _territories = field_validator("territories")(classmethod(lambda cls, v: _countries(v)))
    _languages = field_validator("languages")(classmethod(lambda cls, v: _languages(v)))


class RepUpdate(InputModel):
    """Fields to change; those left out keep their values. `null` only clears working hours."""

    name: Name | MISSING = MISSING
    email: EmailStr | MISSING = MISSING
    tier: Tier | MISSING = MISSING
    capacity: int | MISSING = Field(default=MISSING, ge=0, le=10_000)
    territories: list[Code] | MISSING = MISSING
    languages: list[Code] | MISSING = MISSING
    segments: list[Segment] | MISSING = MISSING
    active: bool | MISSING = MISSING
    available: bool | MISSING = MISSING
    working_hours: WorkingHoursInput | MISSING | None = Field(
        default=MISSING, description="`null`: takes leads at any time"
    )

    _territories = field_validator("territories")(classmethod(lambda cls, v: _countries(v)))
    _languages = field_validator("languages")(classmethod(lambda cls, v: _languages(v)))


class Presence(InputModel):
    """What a rep sets about themselves: whether they take leads now, and when they work. A
    field left out keeps its value; `null` only clears working hours."""

    available: bool | MISSING = MISSING
    working_hours: WorkingHoursInput | MISSING | None = Field(
        default=MISSING, description="`null`: takes leads at any time"
    )


class RepOut(RepInput):
    model_config = ConfigDict(extra="ignore")
    # A rep stored before codes were checked is still answered as stored.
    _territories = field_validator("territories")(classmethod(lambda cls, v: v))
    _languages = field_validator("languages")(classmethod(lambda cls, v: v))

    id: uuid.UUID
    open_leads: int
    last_assigned_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lead_id: uuid.UUID
    rep_id: uuid.UUID | None
    queue: str | None
    status: AssignmentStatus
    reason: str
    temperature: Temperature
    score: float
    attempt: int
    sla_deadline: datetime | None
    created_at: datetime
    updated_at: datetime
    waiting_for: str | None = Field(None, description="Waiting: what no rep offers now")


class AssignmentChange(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    assignment_id: uuid.UUID
    rep_id: uuid.UUID | None
    status: str
    reason: str
    at: datetime


class AssignmentDetail(BaseModel):
    assignment: AssignmentOut
    history: list[AssignmentChange] = Field(description="Every routing step of this lead, oldest first")


class Rejection(InputModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    expected_status: AssignmentStatus | None = Field(
        default=None,
        description="The status the rep saw (e.g. `offered` on a page showing the offer): if the"
        " assignment is in another now, 409 and nothing changes",
    )


class OfferLinksRequest(InputModel):
    assignment_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class OfferLinksOut(BaseModel):
    assignment_id: uuid.UUID
    accept_url: str
    reject_url: str
    expires_at: datetime


class OfferLinksList(BaseModel):
    links: list[OfferLinksOut] = Field(
        description="One entry per assignment still offered; the others are left out"
    )


class QueueEntry(BaseModel):
    """A lead waiting for a rep (no personal data: the console names it)."""

    assignment_id: uuid.UUID
    lead_id: uuid.UUID
    temperature: Temperature
    score: float
    since: datetime = Field(description="When it began waiting")
    waiting_for: str | None = Field(description="What no rep offers now, e.g. `a senior rep with capacity`")
    reason: str
    attempt: int


class HandAssignmentIn(InputModel):
    rep_id: uuid.UUID
    override_capacity: bool = Field(False, description="Assign although the rep is at capacity")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = (
        None
    )
