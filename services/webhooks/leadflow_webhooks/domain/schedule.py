"""When a delivery is tried again, and what an answer means. Pure."""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

JITTER = 0.1  # ±10%, so endpoints that failed together are not retried together


def next_attempt(
    delays: list[float], attempts_made: int, now: datetime, rng: random.Random
) -> datetime | None:
    """When to try after `attempts_made` attempts, or None once the schedule is spent."""
    if attempts_made >= len(delays):
        return None
    delay = delays[attempts_made]
    return now + timedelta(seconds=delay * (1 + rng.uniform(-JITTER, JITTER)))


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    disable_endpoint: bool = False  # 410 Gone: the receiver says the endpoint is no more


def outcome_of(status_code: int | None) -> Outcome:
    if status_code is not None and 200 <= status_code < 300:
        return Outcome(delivered=True)
    return Outcome(delivered=False, disable_endpoint=status_code == 410)
