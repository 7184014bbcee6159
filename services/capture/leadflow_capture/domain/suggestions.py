"""Weak-match suggestions a person dismissed, pure: a batch's suggestion that its store kept
dismissed is no suggestion, so its `lead.matched` (applied false) is not published again."""

import uuid

from leadflow_capture.domain.account_planning import AccountPlan
from leadflow_common.account_events import LeadMatched


def withhold_dismissed(plan: AccountPlan, written: set[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Keeps only the suggestions written (account id, lead id), and their events."""
    plan.suggestions = [s for s in plan.suggestions if (s["account_id"], s["lead_id"]) in written]
    plan.matched = [
        outgoing
        for outgoing in plan.matched
        if not isinstance(outgoing.data, LeadMatched)
        or outgoing.data.applied
        or (outgoing.data.account_id, outgoing.data.lead_id) in written
    ]
