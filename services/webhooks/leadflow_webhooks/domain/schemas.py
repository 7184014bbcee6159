"""The webhooks API's bodies and answers."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import MISSING, AnyHttpUrl, BaseModel, Field, StringConstraints, UrlConstraints, field_validator

from leadflow_common.inputs import InputModel, Instant
from leadflow_webhooks.domain.addresses import MAX_URL_LENGTH
from leadflow_webhooks.domain.status import DeliveryStatus

EventType = Literal[
    "lead.routed",
    "lead.reassigned",
    "lead.nurtured",
    "assignment.changed",
    "lead.waiting_too_long",
    "lead.scored",
    "lead.captured",
    "lead.merged",
    "account.updated",
    "lead.matched",
    "account.scored",
    "account.owner_changed",
    "account.suggestion_dismissed",
]
EVENT_MEANINGS: dict[str, str] = {
    "lead.routed": "a lead was given to a rep (one that waits for a rep: assignment.changed, waiting)",
    "lead.reassigned": "a lead moved to another rep",
    "lead.nurtured": "a lead was sent to nurturing instead of a rep",
    "assignment.changed": "an assignment changed: offered, waiting, accepted, rejected, expired, closed",
    "lead.waiting_too_long": "a hot lead has waited for a rep past the limit",
    "lead.scored": "a lead's score or temperature changed",
    "lead.captured": "a new lead arrived",
    "lead.merged": "a lead was merged into an earlier one",
    "account.updated": "a B2B account was created, changed or merged into another",
    "lead.matched": "a lead joined, left or was suggested for an account",
    "account.scored": "an account's score or temperature changed (hot: it is turning hot)",
    "account.owner_changed": "an account got a new owner rep",
    "account.suggestion_dismissed": "a person dismissed a lead suggested for an account by a weak match",
}
# One endpoint may take every type.
MAX_EVENTS = 16
Url = Annotated[
    AnyHttpUrl,
    UrlConstraints(max_length=MAX_URL_LENGTH),
    Field(description="http or https, at most 2,048 characters; a public internet address"),
]
Description = Annotated[str, StringConstraints(max_length=500)]


class WebhookIn(InputModel):
    url: Url
    events: list[EventType] = Field(min_length=1, max_length=MAX_EVENTS)
    description: Description = ""
    enabled: bool = True


class WebhookChange(InputModel):
    """Fields to change; those left out keep their values. `null` only clears a description."""

    url: Url | MISSING = MISSING
    events: list[EventType] | MISSING = Field(MISSING, min_length=1, max_length=MAX_EVENTS)
    description: Description | MISSING | None = Field(MISSING, description='`null` or `""` clears it')
    enabled: bool | MISSING = MISSING

    @field_validator("description")
    @classmethod
    def cleared(cls, description: str | None) -> str:
        return description or ""  # stored as "": no description


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class CreatedWebhook(WebhookOut):
    secret: str = Field(description="`whsec_…`: shown once; verify signatures with it")


class Rotation(InputModel):
    overlap_seconds: int = Field(
        86_400, ge=0, le=7 * 86_400, description="How long the old secret still signs"
    )


class RotatedSecret(BaseModel):
    secret: str
    previous_secret_until: datetime | None


class AttemptOut(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    response_snippet: str | None
    error: str | None


class DeliveryOut(BaseModel):
    id: uuid.UUID
    seq: int = Field(description="Its place in the log: `before` of the next page")
    event_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    event_type: str
    lead_id: str
    status: DeliveryStatus
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None = Field(
        description="When a pending delivery is tried next (null while it waits for `waiting_for`)"
    )
    waiting_for: uuid.UUID | None = Field(
        default=None,
        description="The same lead's earlier pending delivery to this endpoint: this one is sent"
        " after it (per-lead order)",
    )
    created_at: datetime
    delivered_at: datetime | None


class EventTypeOut(BaseModel):
    type: str
    meaning: str


class Replay(InputModel):
    since: Instant = Field(description="Every delivery created since then is sent again")


class Rescheduled(BaseModel):
    scheduled: int
