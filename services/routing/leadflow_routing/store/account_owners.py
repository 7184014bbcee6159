"""Routing's SQL for B2B accounts: who owns each account."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_routing.store.tables import account_owners


async def owner_of(connection: AsyncConnection, account_id: uuid.UUID) -> uuid.UUID | None:
    return await connection.scalar(
        select(account_owners.c.rep_id).where(account_owners.c.account_id == account_id)
    )


async def owner_for_update(connection: AsyncConnection, account_id: uuid.UUID) -> uuid.UUID | None:
    """The owner, with the account's row locked until the caller's transaction ends (two admins
    changing one owner at once: the second sees the first's change as the previous owner)."""
    return await connection.scalar(
        select(account_owners.c.rep_id).where(account_owners.c.account_id == account_id).with_for_update()
    )


async def set_owner(
    connection: AsyncConnection, account_id: uuid.UUID, rep_id: uuid.UUID | None, now: datetime
) -> None:
    statement = insert(account_owners).values(account_id=account_id, rep_id=rep_id, updated_at=now)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[account_owners.c.account_id], set_={"rep_id": rep_id, "updated_at": now}
        )
    )


async def claim_if_unowned(
    connection: AsyncConnection, account_id: uuid.UUID, rep_id: uuid.UUID, now: datetime
) -> bool:
    """Make `rep_id` the owner of an account that has none (never had one, or had it taken
    away); True when it did. Atomic: two first accepts at once leave one owner."""
    claim = insert(account_owners).values(account_id=account_id, rep_id=rep_id, updated_at=now)
    statement = claim.on_conflict_do_update(
        index_elements=[account_owners.c.account_id],
        set_={"rep_id": rep_id, "updated_at": now},
        where=account_owners.c.rep_id.is_(None),
    ).returning(account_owners.c.account_id)
    return (await connection.execute(statement)).first() is not None
