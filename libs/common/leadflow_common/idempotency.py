"""Idempotent consumers: an event changes state only the first time it is seen.

A batch whose effects committed is not delivered again (its offsets are stored with them:
`offsets.py`); the ids are for the repeats offsets cannot tell: an event a relay published
twice, and a partition's batch applied by its old holder while the new one starts.

A repeat comes while its event is still in its relay's outbox, or right after: the ids are kept
`PROCESSED_EVENTS_KEEP_DAYS` and then deleted (`ProcessedEventsRetention`), so the table holds a
window of the service's events, not all of them ever consumed."""

import asyncio
import functools
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Delete, Table, Text, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadflow_common import metrics
from leadflow_common.driver import Prepared

log = logging.getLogger(__name__)

# Deleted this many at a time, each chunk its own short transaction: the consumers writing beside
# it never wait long on it, however far behind it starts.
PRUNE_CHUNK = 5000


@functools.cache
def _claim_statement(processed_events: Table) -> Prepared:
    """Built once per table (built at each batch it was 2% of the console's busy samples): unnest of one
    array parameter, the same statement (prepared once) for any batch size."""
    new_ids = select(bindparam("consumer", type_=Text), func.unnest(bindparam("ids", type_=ARRAY(Text))))
    return Prepared(
        insert(processed_events)
        .from_select(["consumer", "event_id"], new_ids)
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    )


async def claim_events(
    connection: AsyncConnection, processed_events: Table, *, consumer: str, event_ids: list[str]
) -> set[str]:
    """Record these event ids for `consumer` inside the caller's transaction, in one statement;
    the ids seen for the first time. The caller applies those and nothing else: because the rows
    commit or roll back with the effect, a crash between the two cannot leave an event
    half-applied or applied twice."""
    if not event_ids:
        return set()
    statement = _claim_statement(processed_events)
    rows = await statement.fetch(connection, {"consumer": consumer, "ids": list(dict.fromkeys(event_ids))})
    return {row.event_id for row in rows}


@functools.cache
def _prune_statement(processed_events: Table) -> Delete:
    """The oldest ids before a moment, up to a chunk (found through the table's BRIN index on
    `processed_at`, which costs the inserts next to nothing)."""
    table = processed_events
    oldest = (
        select(table.c.consumer, table.c.event_id)
        .where(table.c.processed_at < bindparam("before"))
        .limit(bindparam("chunk"))
        .subquery()
    )
    return delete(table).where(table.c.consumer == oldest.c.consumer, table.c.event_id == oldest.c.event_id)


async def prune_processed(engine: AsyncEngine, processed_events: Table, before: datetime) -> int:
    """Deletes the ids recorded before `before`, a chunk per transaction; how many."""
    statement, pruned = _prune_statement(processed_events), 0
    while True:
        async with engine.begin() as connection:
            result = await connection.execute(statement, {"before": before, "chunk": PRUNE_CHUNK})
        pruned += result.rowcount
        if result.rowcount < PRUNE_CHUNK:
            return pruned
        await asyncio.sleep(0)  # the service's other work between chunks


class ProcessedEventsRetention:
    """Every `every` seconds, the ids older than `keep` deleted. Every replica runs it; the
    chunks of two at once delete different rows or wait a moment for each other, no more."""

    def __init__(self, engine: AsyncEngine, processed_events: Table, *, keep: timedelta, every: float):
        self._engine = engine
        self._table = processed_events
        self._keep = keep
        self._every = every

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.prune()
            except Exception as error:  # the next look tries again; meanwhile nothing is lost
                log.warning("processed events retention failed", extra={"error": type(error).__name__})

    async def prune(self) -> int:
        pruned = await prune_processed(self._engine, self._table, datetime.now(UTC) - self._keep)
        metrics.PROCESSED_EVENTS_PRUNED.inc(pruned)
        if pruned:
            log.info("processed event ids past retention deleted", extra={"deleted": pruned})
        return pruned
