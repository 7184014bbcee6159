"""B2B accounts on the wire (topic `leads.accounts`, keyed by account id): the people of one
company are one account, matched by capture, owned by one rep (routing), scored as a buying
group (scoring). Ids, names of companies, domains and scores only: never a person's data, so
nothing here is sealed and an erased person leaves no trace in an account's events."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from leadflow_common.event_base import EventData, RepRef, ScoreReason, Temperature


class MatchMethod(StrEnum):
    """How a lead was matched to its account, strongest first."""

    domain = "domain"  # the email's registrable domain (public-suffix aware)
    website = "website"  # the company website the person gave
    name = "name"  # the company name, normalized and compared fuzzily
    manual = "manual"  # linked by a person (audited)


class AccountUpdated(EventData):
    """An account was created or changed (name, domains, fit fields, people count), or merged
    into another (`merged_into`: its people now belong there)."""

    account_id: uuid.UUID
    revision: int = Field(description="Grows with every change; consumers keep the highest.")
    name: str
    domains: list[str] = Field(default_factory=list)
    company_size: str | None = None
    industry: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    people: int = Field(0, description="How many leads are linked to it now")
    merged_into: uuid.UUID | None = None
    at: datetime


class LeadMatched(EventData):
    """A lead was linked to an account, unlinked from one, or a weak match was suggested
    (`applied` false: nothing changed until a person confirms it)."""

    lead_id: uuid.UUID
    account_id: uuid.UUID | None = Field(description="None: the lead was unlinked")
    previous_account_id: uuid.UUID | None = None
    method: MatchMethod
    confidence: float = Field(ge=0, le=1, description="How sure the match is (1 for domain and manual)")
    applied: bool = Field(True, description="False: only suggested (a weak name match)")
    by: Literal["system", "user"] = "system"
    at: datetime


class AccountSuggestionDismissed(EventData):
    """A person said a weak match suggested for the account (`lead.matched` with `applied`
    false) is wrong: the suggestion is gone, and capture never makes it again for this lead and
    account (linking her by hand still works)."""

    account_id: uuid.UUID
    lead_id: uuid.UUID
    by: Literal["user"] = "user"
    at: datetime


class AccountPerson(BaseModel):
    lead_id: uuid.UUID
    score: float
    temperature: Temperature


class AccountScored(EventData):
    """An account's score from its people changed (scoring): engaged people, best and summed
    engagement, seniority coverage, recency. `temperature` hot with `previous_temperature` not
    hot is the account turning hot: its owner is told, with the people behind it."""

    account_id: uuid.UUID
    revision: int
    score: float = Field(ge=0, le=100)
    previous_score: float | None = None
    temperature: Temperature
    previous_temperature: Temperature | None = None
    reasons: list[ScoreReason] = Field(default_factory=list)
    people: list[AccountPerson] = Field(default_factory=list, description="The people behind the score")
    scored_at: datetime


class AccountOwnerChanged(EventData):
    """An account's owner rep changed (routing): set by an admin, or on the first accept."""

    account_id: uuid.UUID
    owner: RepRef | None
    previous_owner_id: uuid.UUID | None = None
    previous_owner: RepRef | None = Field(
        None, description="The previous owner, while an active rep (they are told they lost it)"
    )
    by: Literal["rep", "admin", "system"]
    at: datetime
