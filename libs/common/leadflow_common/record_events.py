"""The record-keeping events: who did what (the audit trail), and an erasure's request and each
service's answer. `events.py` re-exports them with the rest of the contract."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from leadflow_common.event_base import EventData


class AuditRecorded(EventData):
    """Who did what, for the audit trail the console keeps. Ids only: never a secret, never a
    person's name, email, phone or address."""

    actor: str = Field(description="`user:<id>`, `key:<id>`, `bootstrap` or `anonymous`")
    action: str = Field(description="For example `rules.updated`, `assignment.accepted`, `key.revoked`")
    target_type: str | None = None
    target_id: str | None = None
    service: str
    outcome: Literal["succeeded", "refused", "failed"] = Field(
        "succeeded", description="`failed`: a service found something it could not use (e.g. `rules.invalid`)"
    )
    details: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class LeadErased(EventData):
    """A person asked to be erased: every service removes what it holds of this lead that says
    who they are, keeps ids, counts and scores, and answers with `lead.erasure_applied`. The
    lead's key is already destroyed: its sealed events, wherever they are, no longer open."""

    erasure_id: uuid.UUID
    lead_id: uuid.UUID
    requested_at: datetime


class ErasureApplied(EventData):
    """One service has erased what it held of one lead (capture follows each erasure's progress)."""

    erasure_id: uuid.UUID
    lead_id: uuid.UUID
    service: str
    applied_at: datetime
