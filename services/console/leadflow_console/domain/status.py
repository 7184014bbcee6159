"""Where a lead's assignment stands, as the console's read model keeps it (`lead_views`'
`assignment_status`, `decisions`' `status`): routing's `assignment.changed` named for people
(an offer that ran out "moved on"). A StrEnum, as routing's `AssignmentStatus`: stored as values."""

from enum import StrEnum


class ShownStatus(StrEnum):
    offered = "offered"
    accepted = "accepted"
    waiting = "waiting"
    rejected = "rejected"
    moved_on = "moved on"
    completed = "completed"
    closed = "closed"
    promoted = "promoted"  # taken from its rep: it turned hotter than her tier takes
    given = "given by hand"  # taken from its rep by an admin or a manager, for another rep
    released = "released"  # taken from its rep when her record was made inactive


class RoutingStatus(StrEnum):
    """An assignment's status as routing names it on the wire (`GET /v1/assignments/{id}`, its
    history, `assignment.changed`): routing's `AssignmentStatus`, read here by value."""

    offered = "offered"
    accepted = "accepted"
    waiting = "waiting"
    nurtured = "nurtured"
    rejected = "rejected"
    reassigned = "reassigned"
    completed = "completed"
    closed = "closed"
    promoted = "promoted"


class DeliveryStatus(StrEnum):
    """A webhook delivery's status as the webhooks service names it on the wire."""

    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"
