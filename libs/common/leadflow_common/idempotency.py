"""Idempotent consumers: an event changes state only the first time it is seen."""

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection


async def claim_event(
    connection: AsyncConnection, processed_events: Table, *, consumer: str, event_id: str
) -> bool:
    """Record `event_id` for `consumer` inside the caller's transaction.

    True the first time; False when it was already applied, in which case the caller must do
    nothing. Because the row commits or rolls back with the effect, a crash between the two
    cannot leave an event half-applied or applied twice.
    """
    result = await connection.execute(
        insert(processed_events)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(processed_events.c.event_id)
    )
    return result.first() is not None
