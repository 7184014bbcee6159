"""The keyring: one data key per lead, which seals the lead's personal data in events
(`sealing.py`). Capture creates a lead's key with the lead and destroys it when the person is
erased; every service reads keys to seal what it publishes and to open what it consumes.

It is the one table services share, in its own schema (`keyring`), as they would share a key
management service: each service's migrations create it if missing. Reading a key takes a shared
advisory lock on it for the reader's transaction, and destroying one takes the exclusive lock:
an erasure waits for a consumer that opened the person's events to commit what it did with
them, so the erasure that follows in every service cannot run before it and be undone by it.
"""

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable

from sqlalchemy import (
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    Table,
    delete,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadflow_common.db import any_of, any_param, lock_keys
from leadflow_common.driver import Prepared
from leadflow_common.sealing import new_key

SCHEMA = "keyring"
metadata = MetaData(schema=SCHEMA)

data_keys = Table(
    "data_keys",
    metadata,
    Column("lead_id", UUID(as_uuid=True), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

Keys = dict[uuid.UUID, bytes]

# Built once: each runs in every consumer batch that opens an event.
CREATE_KEYS = Prepared(insert(data_keys), keys=["lead_id", "key"])
READ_KEYS = Prepared(
    select(data_keys.c.lead_id, data_keys.c.key).where(any_param(data_keys.c.lead_id, "ids"))
)
HOLD_LOCKS = Prepared(
    text(
        "SELECT count(pg_advisory_xact_lock_shared(hashtextextended(name, 0)))"
        " FROM unnest(CAST(:names AS text[])) AS name"
    )
)


def _lock_name(lead_id: uuid.UUID) -> str:
    return f"keyring:{lead_id}"


async def create(connection: AsyncConnection, lead_ids: Iterable[uuid.UUID]) -> Keys:
    """Keys for new leads, in the transaction that creates them (one statement). A lead that
    has one already is an error, not skipped: the caller seals with the keys returned."""
    keys = {lead_id: new_key() for lead_id in lead_ids}
    rows = [{"lead_id": lead_id, "key": key} for lead_id, key in keys.items()]
    await CREATE_KEYS.execute_many(connection, rows)
    return keys


async def read(connection: AsyncConnection, lead_ids: Iterable[uuid.UUID]) -> Keys:
    """The keys that still exist of these leads (an erased lead has none)."""
    ids = set(lead_ids)
    if not ids:
        return {}
    rows = await READ_KEYS.fetch(connection, {"ids": list(ids)})
    return {row.lead_id: row.key for row in rows}


async def destroy(connection: AsyncConnection, lead_ids: Iterable[uuid.UUID]) -> int:
    """Destroys these leads' keys once no reader holds them: every sealed copy of their personal
    data, on any topic, is unreadable from the commit on. Returns how many existed."""
    ids = sorted(set(lead_ids))
    if not ids:
        return 0
    await lock_keys(connection, [_lock_name(lead_id) for lead_id in ids])
    result = await connection.execute(delete(data_keys).where(any_of(data_keys.c.lead_id, ids)))
    return result.rowcount


async def hold(connection: AsyncConnection, lead_ids: Iterable[uuid.UUID]) -> Keys:
    """These leads' keys, held (a shared lock each) until the caller's transaction ends: a
    consumer applies the events it opened with them in it."""
    ids = sorted(set(lead_ids))
    if not ids:
        return {}
    await HOLD_LOCKS.fetchval(connection, {"names": [_lock_name(lead_id) for lead_id in ids]})
    # A statement after the locks: it sees an erasure that committed while they waited.
    return await read(connection, ids)


@contextlib.asynccontextmanager
async def holding(engine: AsyncEngine, lead_ids: Iterable[uuid.UUID]) -> AsyncIterator[Keys]:
    """These leads' keys, held until the block ends, in a transaction of their own."""
    ids = sorted(set(lead_ids))
    if not ids:
        yield {}
        return
    async with engine.begin() as connection:
        yield await hold(connection, ids)
