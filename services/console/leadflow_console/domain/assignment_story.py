"""What happened to an assignment, in words, for a rep whose click came after it changed (an
offer that ran out while the page was open, a lead already closed). Pure: it reads routing's
answer for the assignment (`GET /v1/assignments/{id}`: the assignment and its lead's history)."""

from collections.abc import Callable

from leadflow_common.routing_reasons import REASSIGNED_BY_HAND, RELEASED
from leadflow_console.domain.status import RoutingStatus as Status

WHERE_NEXT = {
    Status.offered: "it was offered to another rep",
    Status.waiting: "it went to the waiting queue",
    Status.nurtured: "it went to the nurture queue",
}


def what_happened(detail: dict, when: Callable[[str], str]) -> str:
    """One sentence: how the assignment ended and, if it moved on, where the lead went."""
    assignment = detail["assignment"]
    history = detail.get("history") or []
    own = [index for index, step in enumerate(history) if step["assignment_id"] == assignment["id"]]
    if own:
        last, later = history[own[-1]], history[own[-1] + 1 :]  # the history is oldest first
    else:
        last, later = {"status": assignment["status"], "at": assignment["updated_at"]}, []
    at = when(last["at"])
    following = next((step for step in later if step["assignment_id"] != assignment["id"]), None)
    after = f"; {WHERE_NEXT[following['status']]}" if following and following["status"] in WHERE_NEXT else ""
    status, reason = last["status"], last.get("reason") or ""
    if status == Status.reassigned:
        return f"This lead moved on at {at} because your time to accept it ran out{after}."
    if status == Status.rejected:
        return f"You passed on this lead at {at}{after}."
    if status == Status.accepted:
        return f"This lead was accepted at {at}: it is yours."
    if status == Status.completed:
        return f"This lead was marked complete at {at}."
    if status == Status.promoted and reason.startswith(REASSIGNED_BY_HAND):
        return f"This lead was given to another rep by hand at {at}."
    if status == Status.promoted and reason.startswith(RELEASED):
        return f"This lead went to another rep at {at}: your rep record was made inactive."
    if status == Status.promoted:
        return f"This lead moved on at {at}: it turned hotter than your tier takes{after}."
    if status == Status.closed:
        return f"This lead was closed at {at} ({reason})." if reason else f"This lead was closed at {at}."
    return f"This lead is {status} since {at}."
