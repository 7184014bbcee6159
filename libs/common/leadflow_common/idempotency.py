"""Idempotent consumers: an event changes state only the first time it is seen.

A batch whose effects committed is not delivered again (its offsets are stored with them:
`offsets.py`); the ids are for the repeats offsets cannot tell: an event a relay published
twice, and a partition's batch applied by its old holder while the new one starts."""

import functools

from sqlalchemy import Table, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import ReturningInsert


@functools.cache
def _claim_statement(processed_events: Table) -> ReturningInsert[tuple[str]]:
    """Built once per table (built at each batch it was 2% of the console's busy samples): unnest of one
    array parameter, the same statement (prepared once) for any batch size."""
    new_ids = select(bindparam("consumer", type_=Text), func.unnest(bindparam("ids", type_=ARRAY(Text))))
    return (
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
    rows = await connection.execute(statement, {"consumer": consumer, "ids": list(dict.fromkeys(event_ids))})
    return {row.event_id for row in rows}
