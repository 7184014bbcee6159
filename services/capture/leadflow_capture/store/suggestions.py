"""Capture's SQL for weak-match suggestions: written by a batch unless a person dismissed them,
and dismissed by a person (kept, dismissed, so as not to be suggested again)."""

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.domain.account_planning import AccountPlan
from leadflow_capture.domain.suggestions import withhold_dismissed
from leadflow_capture.store.account_tables import account_suggestions

table = account_suggestions


async def write_suggestions(connection: AsyncConnection, plan: AccountPlan) -> None:
    """Upserts the plan's suggestions in one statement; one a person dismissed stays as it is,
    and the plan forgets it (no event says it again)."""
    upsert = insert(table)
    statement = upsert.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.lead_id],
        set_={c: upsert.excluded[c] for c in ("method", "confidence", "at")},
        where=table.c.dismissed_at.is_(None),
    ).returning(table.c.account_id, table.c.lead_id)
    once = {(s["account_id"], s["lead_id"]): s for s in plan.suggestions}  # one row a statement may touch
    rows = await connection.execute(statement.values(list(once.values())))
    withhold_dismissed(plan, {(row.account_id, row.lead_id) for row in rows})


async def dismiss(
    connection: AsyncConnection, account_id: uuid.UUID, lead_ids: list[uuid.UUID], at: datetime
) -> bool:
    """Dismisses the suggestion of any of these leads (a person and the leads merged into her)
    for the account; whether there was one not dismissed yet."""
    dismissed = await connection.execute(
        update(table)
        .where(
            table.c.account_id == account_id, table.c.lead_id.in_(lead_ids), table.c.dismissed_at.is_(None)
        )
        .values(dismissed_at=at)
        .returning(table.c.lead_id)
    )
    return bool(dismissed.all())
