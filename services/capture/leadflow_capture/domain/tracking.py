"""Activities and outcomes other systems report, as they are posted and answered, and the event
each becomes. Pure: the models and `to_event`."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from leadflow_common.errors import FieldError
from leadflow_common.events import EventData, LeadActivity, LeadOutcome
from leadflow_common.inputs import InputModel, Occurrence


class PersonRef(InputModel):
    """Names the lead: its id, or the email or phone it was captured with."""

    lead_id: uuid.UUID | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None

    @model_validator(mode="after")
    def names_someone(self) -> Self:
        if not (self.lead_id or self.email or self.phone):
            raise ValueError("name the lead with lead_id, email or phone")
        return self


class ActivityInput(PersonRef):
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = Field(
        examples=["pricing_page_view", "demo_requested", "email_clicked", "call_answered"]
    )
    occurred_at: Occurrence | None = None
    properties: dict[str, Any] = Field(default_factory=dict, max_length=50)


class OutcomeInput(PersonRef):
    outcome: Literal["won", "lost"]
    amount: float | None = Field(default=None, ge=0)
    occurred_at: Occurrence | None = None
    corrects: uuid.UUID | None = Field(
        default=None,
        description="A correction: the outcome_id of the lead's recorded outcome it replaces (admins,"
        " keys and the bootstrap key; a lead's outcome is otherwise final: another one is a 409)",
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = (
        Field(default=None, description="Why the outcome is corrected (required with `corrects`)")
    )


class Published(BaseModel):
    lead_id: uuid.UUID
    event_id: str


class PublishedItem(BaseModel):
    index: int
    status: int = Field(description="202 published, 404 unknown lead, 422 invalid")
    lead_id: uuid.UUID | None = None
    event_id: str | None = None
    errors: list[FieldError] | None = None


class PublishedBatch(BaseModel):
    accepted: int
    rejected: int
    results: list[PublishedItem]


def to_event(item: ActivityInput | OutcomeInput, lead_id: uuid.UUID) -> EventData:
    if isinstance(item, ActivityInput):
        return LeadActivity(
            activity_id=uuid.uuid4(),
            lead_id=lead_id,
            type=item.type,
            occurred_at=item.occurred_at or datetime.now(UTC),
            properties=item.properties,
        )
    return outcome_event(item, lead_id)


def outcome_event(item: OutcomeInput, lead_id: uuid.UUID) -> LeadOutcome:
    return LeadOutcome(
        outcome_id=uuid.uuid4(),
        lead_id=lead_id,
        outcome=item.outcome,
        amount=item.amount,
        occurred_at=item.occurred_at or datetime.now(UTC),
        corrects=item.corrects,
        reason=item.reason,
    )
