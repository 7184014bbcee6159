"""Capture's SQL for merging two accounts by hand: both rows locked in one order, the people of
the merged one read, its domains, and the merged one retired."""

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.domain.account_planning import AccountState, Link
from leadflow_capture.store.account_tables import (
    account_domains,
    account_suggestions,
    accounts,
    company_names,
    lead_accounts,
)
from leadflow_capture.store.accounts import ACCOUNT_COLUMNS, account_from_row, link_from_row
from leadflow_common.db import any_of


async def lock_accounts(connection: AsyncConnection, ids: list[uuid.UUID]) -> dict[uuid.UUID, AccountState]:
    """The accounts, their rows locked (in id order: two merges cannot wait on each other)."""
    rows = await connection.execute(
        select(*ACCOUNT_COLUMNS).where(any_of(accounts.c.id, ids)).order_by(accounts.c.id).with_for_update()
    )
    return {row.id: account_from_row(row) for row in rows}


async def people_of(connection: AsyncConnection, account_id: uuid.UUID) -> list[Link]:
    rows = await connection.execute(select(lead_accounts).where(lead_accounts.c.account_id == account_id))
    return [link_from_row(row) for row in rows]


async def retire(
    connection: AsyncConnection, source: uuid.UUID, target: uuid.UUID, now: datetime
) -> AccountState:
    """`source` merged into `target`: its domains name `target` now, its suggestions go (they
    were weak for it, and say nothing of the other), and it keeps its name only."""
    await connection.execute(
        update(account_domains).where(account_domains.c.account_id == source).values(account_id=target)
    )
    await connection.execute(delete(account_suggestions).where(account_suggestions.c.account_id == source))
    await connection.execute(
        update(company_names).where(company_names.c.account_id == source).values(account_id=target)
    )
    row = (
        await connection.execute(
            update(accounts)
            .where(accounts.c.id == source)
            .values(
                merged_into=target,
                people=0,
                domains=[],
                revision=accounts.c.revision + 1,
                updated_at=now,
            )
            .returning(*ACCOUNT_COLUMNS)
        )
    ).one()
    return account_from_row(row)
