"""Proof of consent: every change to a person's consent, kept with when, on which channel and
where it was given — the page of a form, the popup, the SMS keyword. The golden record keeps only
the latest grant per kind; this ledger keeps each change. Pure: no I/O."""

from leadflow_capture.domain.leads import NormalizedLead
from leadflow_common.events import Channel, ConsentGrant

MAX_WHERE = 500  # characters of a page address kept


def where_given(channel: Channel, lead: NormalizedLead) -> dict[str, str]:
    """Where this submission was made, as far as it says."""
    where = {}
    page = lead.attribution.get("landing_url") or lead.attribution.get("referrer")
    if page:
        where["page"] = str(page)[:MAX_WHERE]
    popup = lead.attributes.get("popup_id")
    if channel is Channel.popup and popup:
        where["popup_id"] = str(popup)
    if channel is Channel.sms and lead.message:
        where["keyword"] = lead.message.strip().split()[0].upper().strip(".!")[:40]
    return where


def changed(
    before: dict[str, ConsentGrant], after: dict[str, ConsentGrant]
) -> list[tuple[str, ConsentGrant]]:
    """The grants a submission changed (new, or given with another answer, time or channel)."""
    return [(kind, grant) for kind, grant in sorted(after.items()) if before.get(kind) != grant]
