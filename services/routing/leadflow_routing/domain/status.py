"""An assignment's status, pure: the states it can be in, which of them hold a rep's slot or
count as current, and the transitions allowed between them (an invalid one is a 409). The
pattern every status in Leadflow follows: a StrEnum, its sets, its transitions, one check."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadflow_common.errors import Conflict


class AssignmentStatus(StrEnum):
    offered = "offered"  # with a rep, waiting to be accepted within the SLA
    accepted = "accepted"
    waiting = "waiting"  # no eligible rep has capacity: waits, hottest first
    nurtured = "nurtured"  # cold: in the nurture queue until it warms up
    rejected = "rejected"  # the rep passed on it
    reassigned = "reassigned"  # the SLA ran out: offered to the next rep
    completed = "completed"  # the rep is done with it
    closed = "closed"  # ended by an outcome or a merge
    promoted = "promoted"  # routed again: from a queue, or taken from its rep (turned hotter, by hand)

    @property
    def is_open(self) -> bool:
        """Holds one of the rep's capacity slots."""
        return self in OPEN_STATUSES


OPEN_STATUSES = frozenset({AssignmentStatus.offered, AssignmentStatus.accepted})
# A lead has at most one current routing record: with a rep, or waiting in a queue.
CURRENT_STATUSES = OPEN_STATUSES | {AssignmentStatus.nurtured, AssignmentStatus.waiting}
# Reps who let a lead go are not offered it again.
PASSED_STATUSES = frozenset({AssignmentStatus.rejected, AssignmentStatus.reassigned})
_S = AssignmentStatus
TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    _S.offered: frozenset({_S.accepted, _S.rejected, _S.reassigned, _S.completed, _S.closed, _S.promoted}),
    _S.accepted: frozenset({_S.rejected, _S.completed, _S.closed, _S.promoted}),  # promoted: by hand
    _S.waiting: frozenset({_S.waiting, _S.promoted, _S.closed}),
    _S.nurtured: frozenset({_S.nurtured, _S.promoted, _S.closed}),
    **{end: frozenset() for end in (_S.rejected, _S.reassigned, _S.completed, _S.closed, _S.promoted)},
}
# What a decision creates.
STATUS_OF_DECISION = {"assign": _S.offered, "nurture": _S.nurtured, "wait": _S.waiting}


class InvalidTransition(Conflict):
    """The assignment is not in a state that allows the change asked for (409)."""


def check_expected(current: AssignmentStatus, expected: AssignmentStatus | None) -> None:
    if expected is not None and current is not expected:
        raise InvalidTransition(f"the assignment is {current} now, not {expected}")


def check_transition(current: AssignmentStatus, target: AssignmentStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"an assignment that is {current} cannot become {target}")


@dataclass(frozen=True)
class AssignmentStep:
    """One step of a lead's routing trail: an assignment that became `status`, and why."""

    assignment_id: uuid.UUID
    rep_id: uuid.UUID | None
    status: AssignmentStatus
    reason: str
    at: datetime
