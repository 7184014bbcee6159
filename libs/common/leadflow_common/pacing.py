"""How long a background loop that found nothing due sleeps. Pure.

The loops that look for work in the database (the webhooks dispatcher and notifier, routing's
SLA sweeper) read, with what is due, when the next known item comes due, and sleep until then,
not a fixed second: idle, a look a second per loop was a visible share of a service's CPU.
`longest` bounds the sleep for what they cannot know of (another process's new work)."""

from datetime import datetime


def idle_wait(next_due: datetime | None, now: datetime, longest: float) -> float:
    """Seconds to sleep: until the next item known of comes due, at most `longest`."""
    if next_due is None:
        return longest
    return min(longest, max(0.0, (next_due - now).total_seconds()))
