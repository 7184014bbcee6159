"""The console API's bodies and answers."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import MISSING, BaseModel, EmailStr, Field, StringConstraints, field_validator

from leadflow_common.access import Role, Scope, parse_scopes
from leadflow_common.inputs import InputModel, Instant, as_utc

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


REP_ID = "The rep record a rep account works as (routing must have it); `null` for any other role"


class UserIn(InputModel):
    email: EmailStr
    password: str = Field(max_length=256)
    role: Role
    rep_id: uuid.UUID | None = Field(None, description=REP_ID)


class UserChange(InputModel):
    """Fields to change; those left out keep their values. `null` only unlinks a rep record."""

    role: Role | MISSING = MISSING
    rep_id: uuid.UUID | MISSING | None = Field(MISSING, description=REP_ID)
    active: bool | MISSING = MISSING
    password: str | MISSING = Field(MISSING, max_length=256)


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    rep_id: uuid.UUID | None
    active: bool
    created_at: datetime


class KeyIn(InputModel):
    name: Name
    scopes: list[str] = Field(min_length=1, max_length=len(Scope), description="See docs/roles-and-keys.md")
    expires_at: Instant | None = Field(None, description="`null`: never expires; else in the future")

    @field_validator("scopes")
    @classmethod
    def known_scopes(cls, scopes: list[str]) -> list[str]:
        parse_scopes(scopes)  # a ValueError names the scope
        return scopes

    @field_validator("expires_at")
    @classmethod
    def ahead(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and as_utc(expires_at) <= datetime.now(UTC):
            raise ValueError("must be in the future: a key that has expired opens nothing")
        return expires_at


class KeyOut(BaseModel):
    id: uuid.UUID
    name: str
    label: str = Field(description="The key's first characters, to recognise it")
    scopes: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedKey(KeyOut):
    key: str = Field(description="The key itself: shown this once, stored only as a hash")


class SyncIn(InputModel):
    service: Name
    key_uses: dict[uuid.UUID, datetime] = Field(default_factory=dict, max_length=10_000)


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str | None
    target_id: str | None
    service: str
    outcome: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    entries: list[AuditEntry]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the older entries")
