"""Scoring's SQL for what accounts' outcomes teach: which accounts have people with a known
outcome, and whether any of them was won."""

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_scoring.store.tables import lead_accounts, outcomes

MOST_ACCOUNTS = 5000  # the most recent accounts with outcomes a proposal reads


async def accounts_won(connection: AsyncConnection, limit: int = MOST_ACCOUNTS) -> dict[uuid.UUID, bool]:
    """Each account whose people have an outcome (the most recent first, at most `limit`): won
    when any of them was won."""
    rows = await connection.execute(
        select(lead_accounts.c.account_id, func.bool_or(outcomes.c.outcome == "won").label("won"))
        .join(outcomes, outcomes.c.lead_id == lead_accounts.c.lead_id)
        .group_by(lead_accounts.c.account_id)
        .order_by(func.max(outcomes.c.received_at).desc())
        .limit(limit)
    )
    return {row.account_id: bool(row.won) for row in rows}
