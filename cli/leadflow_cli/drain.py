"""Before `leadflow run` stops the broker it started: wait until the services have consumed what
the broker holds. That broker keeps its topics in memory, so an event published (its outbox row
deleted once the broker took it) but not yet consumed would be gone with it: an operator's hour
stopped a run right after 300 leads were accepted, and 200 were never scored nor any routed,
with nothing said. What is still in an outbox is safe: it is published to the next run's broker.

Each service's /readyz tells how many records its consumers have not finished, against the
broker's ends at that moment (`consumers.behind`; -1 while a group holds no partition yet). The
broker's own group APIs cannot tell it here: tansu lists no groups, and its DescribeGroups answer
does not decode."""

import time

import httpx

DRAIN_SECONDS = 30.0
POLL_SECONDS = 0.5
# Quiet this many polls in a row: what a consumer finishes is published by its relay a moment
# later, for the next service to consume.
QUIET_POLLS = 3


def behind(urls: list[str]) -> int:
    """Records the services' consumers have not finished (a service that cannot say counts as
    one: nothing is known of it)."""
    total = 0
    for url in urls:
        try:
            count = int(httpx.get(f"{url}/readyz", timeout=5).json()["consumers"]["behind"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            count = -1
        total += count if count >= 0 else 1
    return total


def drain(urls: list[str], seconds: float = DRAIN_SECONDS) -> int:
    """Waits (at most `seconds`) until no service is behind for QUIET_POLLS polls in a row;
    returns what was left at the last poll."""
    deadline = time.monotonic() + seconds
    quiet, left = 0, -1
    while time.monotonic() < deadline:
        left = behind(urls)
        quiet = quiet + 1 if left == 0 else 0
        if quiet >= QUIET_POLLS:
            return 0
        time.sleep(POLL_SECONDS)
    return left
