"""Which rep a lead of a B2B account goes to first, pure: the account's owner, whatever the
lead's temperature, when they are active, available and have a free slot. Otherwise the usual
policy decides (policy.py) and the owner is told where it went."""

import uuid
from datetime import datetime

from leadflow_common.events import Temperature
from leadflow_routing.domain.policy import Decision, LeadToRoute, Rep

OWNER_REASON = "account owner"


def owner_can_take(owner: Rep, now: datetime) -> bool:
    return owner.active and owner.available_at(now) and owner.open_leads < owner.capacity


def offer_to_owner(
    lead: LeadToRoute,
    owner: Rep | None,
    *,
    now: datetime,
    exclude: frozenset[uuid.UUID] = frozenset(),
    cold_to_owner: bool = True,
) -> Decision | None:
    """The owner's offer, or None when the usual policy decides: no account or owner, an owner
    who passed on this lead, cannot take it now, or a cold lead when cold leads are nurtured
    (`cold_to_owner` false). Territory, language, segment and tier do not apply: the account is
    theirs."""
    if lead.account_id is None or owner is None or owner.id in exclude:
        return None
    if lead.temperature == Temperature.cold and not cold_to_owner:
        return None
    if not owner_can_take(owner, now):
        return None
    return Decision(
        kind="assign",
        rep_id=owner.id,
        reason=(
            f"{OWNER_REASON}: {lead.temperature.value} lead of their account "
            f"({owner.open_leads}/{owner.capacity} open)"
        ),
    )


def owner_to_tell(owner_id: uuid.UUID | None, decision: Decision) -> uuid.UUID | None:
    """The owner to tell where their account's lead went: anywhere but to them (another rep,
    the nurture queue, the waiting queue)."""
    if owner_id is None or decision.rep_id == owner_id:
        return None
    return owner_id
