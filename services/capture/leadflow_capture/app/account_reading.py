"""Capture's use cases for reading accounts: one with its people (how each matched and how
sure), and finding them. A rep reads an account only through its people offered to them now,
and sees only those people; everyone else with `leads:read` sees them all."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from leadflow_capture.app.reading import _decode_cursor, _encode_cursor
from leadflow_capture.store import account_reads as accounts_reads
from leadflow_common.access import Principal, Scope
from leadflow_common.account_events import MatchMethod
from leadflow_common.errors import LeadflowError, NotFound
from leadflow_common.events import RepRef, Temperature
from leadflow_common.runtime import ServiceRuntime

PERSON_FIELDS = ("email", "first_name", "last_name", "job_title")


class AccountPersonView(BaseModel):
    lead_id: uuid.UUID
    method: MatchMethod
    confidence: float = Field(description="How sure the match is (1 for domain and manual)")
    linked_by: str = Field(description="system or user")
    linked_at: datetime
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None


class AccountSummary(BaseModel):
    account_id: uuid.UUID
    name: str
    domains: list[str]
    people_count: int = Field(description="Every person linked to it (a rep's `people` may list fewer)")
    company_size: str | None = None
    industry: str | None = None
    country: str | None = None
    owner: RepRef | None = Field(None, description="From routing's account.owner_changed; null: none yet")
    score: float | None = Field(None, description="From scoring's account.scored; null: not scored yet")
    temperature: Temperature | None = None
    created_at: datetime


class AccountView(AccountSummary):
    revision: int
    people: list[AccountPersonView] = Field(description="Linked people, earliest first (a rep: theirs)")
    suggested: list[AccountPersonView] = Field(
        description="Weak matches waiting for a person to link them (POST …/people)"
    )
    updated_at: datetime


class AccountPage(BaseModel):
    accounts: list[AccountSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


class AccountMerged(LeadflowError):
    """A merged account's id: its people are its survivor's (303 to it)."""

    status, title = 303, "See other"

    def __init__(self, into: uuid.UUID):
        super().__init__(f"This account was merged into {into}", headers={"Location": f"/v1/accounts/{into}"})


def _rep_of(principal: Principal) -> uuid.UUID | None:
    return principal.rep_id if principal.limited_to_own(Scope.leads_read) else None


def _summary(row: accounts_reads.AccountRow) -> dict:
    return {
        "account_id": row.id,
        "name": row.name,
        "domains": row.domains,
        "people_count": row.people,
        "company_size": row.company_size,
        "industry": row.industry,
        "country": row.country,
        "owner": RepRef.model_validate(row.owner) if row.owner else None,
        "score": row.score,
        "temperature": row.temperature,
        "created_at": row.created_at,
    }


def _person(row: accounts_reads.PersonRow) -> AccountPersonView:
    return AccountPersonView(
        lead_id=row.lead_id,
        method=MatchMethod(row.method),
        confidence=row.confidence,
        linked_by=row.linked_by,
        linked_at=row.at,
        **{name: row.profile.get(name) for name in PERSON_FIELDS},
    )


class AccountReader:
    def __init__(self, runtime: ServiceRuntime):
        self._runtime = runtime

    async def account(self, principal: Principal, account_id: uuid.UUID) -> AccountView:
        rep_id = _rep_of(principal)
        async with self._runtime.engine.connect() as connection:
            row = await accounts_reads.account(connection, account_id, rep_id)
            if row is None:
                raise NotFound(f"No account {account_id}" + (" with a lead of yours" if rep_id else ""))
            if row.merged_into:
                raise AccountMerged(row.merged_into)
            people = await accounts_reads.people(connection, account_id, rep_id)
            suggested = await accounts_reads.people(connection, account_id, rep_id, suggested=True)
        return AccountView(
            **_summary(row),
            revision=row.revision,
            people=[_person(p) for p in people],
            suggested=[_person(p) for p in suggested],
            updated_at=row.updated_at,
        )

    async def find(
        self, principal: Principal, *, domain: str | None, text: str | None, cursor: str | None, limit: int
    ) -> AccountPage:
        after = _decode_cursor(cursor) if cursor else None
        async with self._runtime.engine.connect() as connection:
            rows = await accounts_reads.find(
                connection,
                domain=domain.strip().lower() if domain else None,
                text=text,
                after=after,
                rep_id=_rep_of(principal),
                limit=limit,
            )
        last = rows[-1] if len(rows) == limit else None
        return AccountPage(
            accounts=[AccountSummary(**_summary(row)) for row in rows],
            next_cursor=_encode_cursor(last.created_at, last.id) if last else None,
        )
