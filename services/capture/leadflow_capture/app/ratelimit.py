"""A token bucket per client: bursts up to the per-minute rate, refilled continuously."""

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """In-process buckets keyed by client; the least recently seen are forgotten past
    `max_clients`, so memory stays bounded under many addresses."""

    def __init__(self, per_minute: int, *, max_clients: int = 100_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, client: str, now: float) -> float:
        """0 when the request may pass; otherwise the seconds until it could."""
        bucket = self._buckets.pop(client, None) or Bucket(tokens=self.capacity, updated=now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[client] = bucket
        if len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate
