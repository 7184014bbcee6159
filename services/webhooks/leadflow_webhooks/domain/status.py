"""The statuses of what the webhooks service sends, pure: a delivery to an endpoint and a notice
to a rep. StrEnums, as routing's `AssignmentStatus`: stored as their values, compared as members."""

from enum import StrEnum


class DeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (`next_attempt_at`)
    succeeded = "succeeded"  # the endpoint answered 2xx
    failed = "failed"  # retries ran out, or the endpoint may not be reached; replay sends it again


class NoticeStatus(StrEnum):
    pending = "pending"  # due at `due_at`, retried with backoff
    sent = "sent"
    skipped = "skipped"  # nothing to send on (no channel, or the offer moved on)
    failed = "failed"  # attempts ran out
