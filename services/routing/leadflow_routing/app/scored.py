"""What a consumer batch's events are about: the leads each one locks, and a score as routing
keeps it."""

import uuid
from typing import Any

from leadflow_common.events import LeadMerged, LeadOutcome, LeadScored
from leadflow_routing.domain.policy import LeadToRoute
from leadflow_routing.store.cards import top_reasons


def leads_of(data: LeadScored | LeadOutcome | LeadMerged) -> list[uuid.UUID]:
    if isinstance(data, LeadMerged):
        return [data.surviving_lead_id, data.absorbed_lead_id]
    return [data.lead_id]


def lead_to_route(data: LeadScored) -> LeadToRoute:
    """The lead a score asks to route."""
    return LeadToRoute(
        lead_id=data.lead_id,
        temperature=data.temperature,
        score=data.score,
        country=data.routing.country,
        language=data.routing.language,
        segment=data.routing.segment,
        account_id=data.routing.account_id,
    )


def to_save(data: LeadScored) -> tuple[LeadToRoute, int, list[dict[str, Any]], int | None]:
    """A score as routing keeps it: the lead to route, its revision, its largest reasons, and
    the profile revision its card is from (a newer one than at a lead's end reopens it)."""
    return lead_to_route(data), data.revision, top_reasons(data.reasons), data.card_revision
