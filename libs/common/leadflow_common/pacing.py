"""How long a loop waits: one that found nothing due, and one that found work too soon.

The loops that look for work in the database (the webhooks dispatcher and notifier, routing's
SLA sweeper) read, with what is due, when the next known item comes due, and sleep until then,
not a fixed second: idle, a look a second per loop was a visible share of a service's CPU.
`longest` bounds the sleep for what they cannot know of (another process's new work).

The loops every lead passes through (capture's writers, each consumer, each outbox relay) cost
about as much per pass (a transaction, its round trips, a request to the broker) for one lead
as for twenty. Left alone, each starts its next pass as soon as anything waits, so under load
the passes get smaller as the machine gets busier and the fixed costs take whatever CPU is left
(measured: a cheaper pass only ran more often). `Spacing` starts a loop's passes at least a gap
apart: what arrives within the gap joins the next pass. After a quiet stretch a pass starts at
once, so a lone lead waits for nothing."""

import asyncio
import math
import time
from collections.abc import Callable
from datetime import datetime


def idle_wait(next_due: datetime | None, now: datetime, longest: float) -> float:
    """Seconds to sleep: until the next item known of comes due, at most `longest`."""
    if next_due is None:
        return longest
    return min(longest, max(0.0, (next_due - now).total_seconds()))


class Spacing:
    """The starts of a loop's passes, at least `gap` seconds apart."""

    def __init__(self, gap: float, clock: Callable[[], float] = time.monotonic):
        self._gap = gap
        self._clock = clock
        self._last_start = -math.inf

    def wait(self) -> float:
        """Seconds until the next pass may start (0: at once)."""
        return max(0.0, self._last_start + self._gap - self._clock())

    def now(self) -> float:
        return self._clock()

    def started(self, at: float | None = None) -> None:
        """Counts a pass as begun now, or `at` (a `now()` taken when it began)."""
        self._last_start = self._clock() if at is None else at

    async def next_pass(self) -> None:
        """Waits out what is left of the gap, then counts the pass as started."""
        if (wait := self.wait()) > 0:
            await asyncio.sleep(wait)
        self.started()
