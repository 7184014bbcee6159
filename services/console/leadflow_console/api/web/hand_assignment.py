"""Giving a lead to a rep by hand (admins, managers), from the queue or from the lead's page:
routing decides (a waiting lead, or one another rep holds, who is told it moved) and the page
says what the click did, in words: who has the offer now, until when, whether they are away."""

import uuid

from leadflow_console.api.web.render import format_time
from leadflow_console.api.web.session import Viewer
from leadflow_console.api.web.upstream import JsonObject, Upstream, UpstreamProblem

# What routing may answer that the form shows at itself (the rest is the error page's).
SHOWN_AT_THE_FORM = (404, 409, 422)
# What a reason may be here: the service that keeps it says its limit at the form (routing's and
# capture's 500), with what was typed kept; past this, the request is not read at all.
LONGEST_FORM_TEXT = 5000


def assignment_body(rep_id: uuid.UUID, override_capacity: str, reason: str) -> dict[str, object]:
    """The form's fields as routing's `POST /v1/leads/{id}/assign` takes them."""
    return {
        "rep_id": str(rep_id),
        "override_capacity": override_capacity == "yes",
        "reason": reason.strip() or None,
    }


async def give(
    upstream: Upstream,
    viewer: Viewer,
    lead_id: uuid.UUID,
    body: dict[str, object],
    held_by: str | None = None,
) -> str:
    """Ask routing to give the lead to the rep; the notice that says what happened (`held_by`:
    the rep who had it). Raises UpstreamProblem for what the form shows at itself."""
    assigned = await upstream.call_object(
        "routing", "POST", f"/v1/leads/{lead_id}/assign", viewer.token, json=body
    )
    told = f" {held_by} is told it moved to another rep." if held_by else ""
    return await _offered(upstream, viewer, assigned) + told


async def _offered(upstream: Upstream, viewer: Viewer, assigned: JsonObject) -> str:
    try:
        rep = await upstream.call_object("routing", "GET", f"/v1/reps/{assigned['rep_id']}", viewer.token)
    except UpstreamProblem:
        return "Assigned: the lead is offered to the rep."
    until = (
        f" until {format_time(assigned['sla_deadline'], viewer.zone)}" if assigned.get("sla_deadline") else ""
    )
    away = f" {rep['name']} is away now: the offer runs out all the same." if not rep.get("available") else ""
    return f"Assigned: the lead is offered to {rep['name']}{until}.{away}"
