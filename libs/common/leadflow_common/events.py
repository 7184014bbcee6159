"""Every event in the contract as a pydantic model: the one schema source for producers,
consumers and the AsyncAPI document.

Messages are CloudEvents 1.0 in structured JSON mode, keyed by lead id. Delivery is at least
once, so each event has a unique `id` that consumers record, and every lead snapshot or score
carries a per-lead `revision` so a consumer can drop one older than what it already holds.
"""

import functools
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from leadflow_common.account_events import (
    AccountOwnerChanged,
    AccountScored,
    AccountSuggestionDismissed,
    AccountUpdated,
    LeadMatched,
)
from leadflow_common.event_base import (
    AttributeValue,
    Attribution,
    Channel,
    CloudEvent,
    ConsentGrant,
    EventData,
    RepRef,
    ScoreReason,
    Temperature,
    Tier,
)
from leadflow_common.record_events import AuditRecorded, ErasureApplied, LeadErased

# Gathered here from the modules beside it (the event base, account and record events), so any
# event is imported from this one module; its own models are public by definition.
__all__ = [
    "AccountOwnerChanged", "AccountScored", "AccountSuggestionDismissed", "AccountUpdated",
    "AttributeValue", "Attribution", "AuditRecorded", "Channel", "CloudEvent", "ConsentGrant",
    "ErasureApplied", "EventData", "LeadErased", "LeadMatched", "RepRef", "ScoreReason",
    "Temperature", "Tier",
]  # fmt: skip


class LeadProfile(BaseModel):
    """A lead as merged so far from every submission of the same person."""

    lead_id: uuid.UUID
    revision: int = Field(description="Grows with every change; consumers keep the highest.")
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    company_size: str | None = None
    company_size_min: int | None = None
    company_size_max: int | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    city: str | None = None
    language: str | None = None
    segment: Literal["b2b", "b2c"] | None = None
    consent: dict[str, ConsentGrant] = Field(default_factory=dict)
    attribution: Attribution = Field(default_factory=Attribution)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    channels: list[Channel] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class SubmissionSummary(BaseModel):
    submission_id: uuid.UUID
    channel: Channel
    received_at: datetime
    message: str | None = None
    withheld: list[str] = Field(
        default_factory=list,
        description="Fields this submission carried but did not change on the lead (a public channel"
        " only adds what is missing); the values stay in the stored submission",
    )


class LeadCaptured(EventData):
    lead: LeadProfile
    account_id: uuid.UUID | None = Field(
        None, description="The B2B account the person belongs to; None for free-mail and unmatched people"
    )
    channel: Channel
    submission: SubmissionSummary


class LeadMerged(EventData):
    surviving_lead_id: uuid.UUID
    absorbed_lead_id: uuid.UUID
    lead: LeadProfile


class LeadActivity(EventData):
    activity_id: uuid.UUID
    lead_id: uuid.UUID
    type: str = Field(examples=["pricing_page_view", "demo_requested", "email_clicked"])
    occurred_at: datetime
    properties: dict[str, Any] = Field(default_factory=dict)


class LeadOutcome(EventData):
    outcome_id: uuid.UUID
    lead_id: uuid.UUID
    outcome: Literal["won", "lost"]
    amount: float | None = None
    occurred_at: datetime
    corrects: uuid.UUID | None = Field(
        None,
        description="A correction: the outcome it replaces (a lead's outcome is counted once, the latest)",
    )
    reason: str | None = Field(None, description="Why it was corrected")


class ModelRef(BaseModel):
    kind: Literal["rules", "learned"]
    version: int


class RoutingHints(BaseModel):
    """What routing matches reps on, carried with the score so routing needs no second topic."""

    country: str | None = None
    language: str | None = None
    segment: Literal["b2b", "b2c"] | None = None
    account_id: uuid.UUID | None = Field(None, description="The lead's B2B account, if any")


class LeadScored(EventData):
    lead_id: uuid.UUID
    revision: int = Field(description="Per-lead score revision; consumers keep the highest.")
    score: float = Field(ge=0, le=100)
    previous_score: float | None = None
    temperature: Temperature
    previous_temperature: Temperature | None = None
    reasons: list[ScoreReason]
    model: ModelRef
    scored_at: datetime
    routing: RoutingHints = Field(default_factory=RoutingHints)
    # Who the lead is, from the profile scored (its personal fields sealed): routing's contact
    # card comes with the score, not from a consumer group of its own on leads.captured.
    card: "ContactCard | None" = Field(None, description="The lead's contact card as scored (sealed)")
    card_revision: int | None = Field(None, description="The profile revision the card is from")


class ContactCard(BaseModel):
    """Who the person is, for whoever acts on the decision: enough to call or write at once."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    job_title: str | None = None
    country: str | None = None
    language: str | None = None
    channels: list[Channel] = Field(default_factory=list)
    attribution: Attribution = Field(default_factory=Attribution)
    reasons: list[ScoreReason] = Field(default_factory=list, description="The score's largest reasons")
    url: str | None = Field(None, description="The lead's golden record in the API")


LeadScored.model_rebuild()  # its card, defined after it


class AssignmentEvent(EventData):
    assignment_id: uuid.UUID
    lead_id: uuid.UUID
    rep: RepRef | None = None
    queue: str | None = Field(default=None, description="Set when the lead waits in a queue")
    temperature: Temperature
    score: float
    reason: str
    sla_deadline: datetime | None = None
    attempt: int = 1
    lead: ContactCard | None = Field(
        None,
        description="The contact card; absent only when it had not reached routing within"
        " ROUTING_CARD_WAIT_SECONDS of the score",
    )
    account_id: uuid.UUID | None = Field(None, description="The lead's B2B account, if any")
    account_owner: RepRef | None = Field(
        None,
        description="The account's owner when the lead went to someone else or to a queue (they are told)",
    )


class LeadRouted(AssignmentEvent):
    pass


class LeadReassigned(AssignmentEvent):
    previous_rep_id: uuid.UUID | None = None
    previous_rep: RepRef | None = Field(
        None,
        description="The rep who had it, offered or accepted (told it moved on); None: it was in a queue",
    )


class LeadNurtured(AssignmentEvent):
    pass


class AssignmentStatusName(StrEnum):
    """An assignment's status as subscribers see it (`assignment.changed`)."""

    offered = "offered"  # with a rep, to accept before `sla_deadline`
    accepted = "accepted"
    rejected = "rejected"  # the rep passed on it (`reason` says why); the next step follows
    expired = "expired"  # the rep let the offer run out; the next step follows
    waiting = "waiting"  # in a queue: `queue` says which, `waiting_for` what no rep offers now
    promoted = "promoted"  # left its queue or its rep (outgrown, given by hand, rep inactive)
    completed = "completed"  # the rep is done with it
    closed = "closed"  # ended by an outcome (won or lost) or a merge
    assigned = "assigned"  # given to a rep by hand


class AssignmentChanged(EventData):
    """One change of one assignment, in the order it happened (per lead, on the lead's
    partition): with the decisions themselves, the whole life of a lead with routing."""

    assignment_id: uuid.UUID
    lead_id: uuid.UUID
    status: AssignmentStatusName
    previous_status: AssignmentStatusName | None = Field(description="None: the assignment is new")
    rep: RepRef | None = Field(description="The rep it is or was with; None in a queue")
    queue: str | None = Field(None, description="`waiting` (for a rep) or `nurture` (cold leads)")
    reason: str = Field(description="Why: the rule that decided, or a rep's reason to reject")
    waiting_for: str | None = Field(
        None, description="When waiting: what no rep offers now, e.g. `a senior rep with capacity`"
    )
    by: Literal["rep", "admin", "system"]
    at: datetime
    sla_deadline: datetime | None = None
    temperature: Temperature
    attempt: int = 1


class LeadWaitingTooLong(EventData):
    """A hot lead has waited for a rep longer than its limit (ROUTING_HOT_WAIT_LIMIT_SECONDS):
    said once per wait, so that someone acts (admins are told by mail or Slack)."""

    assignment_id: uuid.UUID = Field(description="The waiting assignment")
    lead_id: uuid.UUID
    temperature: Temperature
    score: float
    waiting_since: datetime
    limit_seconds: float = Field(description="The wait after which this is said")
    waiting_for: str | None = Field(None, description="What no rep offers now")
    reason: str = Field(description="Why it waits, as its assignment says")
    lead: ContactCard | None = Field(None, description="The contact card, when routing has it")
    queue_url: str | None = Field(None, description="The console's queue page, to assign it by hand")


EVENT_TYPES: dict[str, type[EventData]] = {
    "lead.captured": LeadCaptured,
    "lead.merged": LeadMerged,
    "lead.activity": LeadActivity,
    "lead.outcome": LeadOutcome,
    "lead.scored": LeadScored,
    "lead.routed": LeadRouted,
    "lead.reassigned": LeadReassigned,
    "lead.nurtured": LeadNurtured,
    "assignment.changed": AssignmentChanged,
    "lead.waiting_too_long": LeadWaitingTooLong,
    "audit.recorded": AuditRecorded,
    "lead.erased": LeadErased,
    "lead.erasure_applied": ErasureApplied,
    "account.updated": AccountUpdated,
    "lead.matched": LeadMatched,
    "account.scored": AccountScored,
    "account.owner_changed": AccountOwnerChanged,
    "account.suggestion_dismissed": AccountSuggestionDismissed,
}
TYPE_OF: dict[type[EventData], str] = {model: name for name, model in EVENT_TYPES.items()}


@functools.cache
def event_class(data_type: type[EventData]) -> type[CloudEvent]:
    # pydantic caches parametrized models too, but finding one costs more than the event.
    return CloudEvent[data_type]


def new_event(data: EventData, *, source: str, subject: uuid.UUID | str) -> CloudEvent:
    return event_class(type(data))(
        id=str(uuid.uuid4()),
        source=source,
        type=TYPE_OF[type(data)],
        time=datetime.now(UTC),
        subject=str(subject),
        data=data,
    )
