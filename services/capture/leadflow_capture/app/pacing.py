"""How long a stored submission took, so that one dropped by the honeypot takes as long.

A bot that fills the honeypot must not learn that it did: its answer is the usual one, and it
comes after a wait drawn from the recent real submissions' own waits (validation is the same
work on both paths; this stands for the database write the dropped one skips). Drawing from
what was measured keeps the two distributions alike under any load without writing anything."""

import random
from collections import deque

# Until a real submission has been measured: about what an idle capture's write takes.
COLD_START_SECONDS = (0.004, 0.02)


class RecentLatencies:
    def __init__(self, keep: int = 256):
        self._seconds: deque[float] = deque(maxlen=keep)

    def record(self, seconds: float) -> None:
        self._seconds.append(seconds)

    def sample(self) -> float:
        """One of the recent waits, at random; a plausible one before any was recorded."""
        if not self._seconds:
            return random.uniform(*COLD_START_SECONDS)
        return random.choice(self._seconds)
