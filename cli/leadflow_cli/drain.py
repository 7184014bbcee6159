"""The broker `leadflow run` starts keeps its topics in memory, while `.data` keeps the database.

At start: the offsets the services stored for the last run's broker are forgotten (they would
skip as many records of the new logs: a probe found every lead after a restart unscored).

Before it stops that broker: wait until the services have consumed what
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
from sqlalchemy import text

from leadflow_common.db import create_engine
from leadflow_common.kafka import create_topics
from leadflow_common.topics import Topics

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


async def prepare_topics(env: dict[str, str], schemas: list[str], *, new_broker: bool) -> None:
    """The topics made (no broker here creates them on first use); for a broker started empty,
    the offsets stored for an earlier one forgotten first."""
    if new_broker:
        await forget_old_broker(env["DATABASE_URL"], schemas)
    topics = Topics(env.get("LEADFLOW_TOPIC_PREFIX", ""))
    partitions = int(env.get("KAFKA_TOPIC_PARTITIONS", "6"))
    await create_topics(env["KAFKA_BOOTSTRAP_SERVERS"], topics.all_topics(), partitions=partitions)


async def forget_old_broker(database_url: str, schemas: list[str]) -> None:
    """The local broker keeps its topics in memory, and the database outlives it: the offsets
    the services stored in an earlier run point into logs that are gone, and would skip as many
    records of the new ones (a probe found every lead after a restart unscored). They go."""
    engine = create_engine(database_url, application_name="leadflow-run")
    try:
        async with engine.begin() as connection:
            found = await connection.execute(
                text(
                    "SELECT table_schema FROM information_schema.tables"
                    " WHERE table_name = 'consumer_offsets' AND table_schema = ANY(:schemas)"
                ),
                {"schemas": schemas},
            )
            for (schema,) in found.all():
                await connection.execute(text(f'DELETE FROM "{schema}".consumer_offsets'))
    finally:
        await engine.dispose()
