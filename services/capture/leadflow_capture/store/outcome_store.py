"""Each lead's outcome as it stands, in capture's schema (ids and the result: no personal data)."""

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.domain.outcome_rules import RecordedOutcome
from leadflow_capture.store.tables import lead_outcomes
from leadflow_common.db import lock_keys


async def lock_and_read(connection: AsyncConnection, lead_id: uuid.UUID) -> RecordedOutcome | None:
    """The lead's outcome, under a lock on the lead's outcomes until the unit of work ends: two
    reports of one lead are judged one after the other."""
    await lock_keys(connection, [f"capture:outcome:{lead_id}"])
    row = (await connection.execute(select(lead_outcomes).where(lead_outcomes.c.lead_id == lead_id))).first()
    return RecordedOutcome(**row._asdict()) if row else None


async def record(connection: AsyncConnection, outcome: RecordedOutcome) -> None:
    """The first report, or a correction replacing what stood."""
    values = {
        "lead_id": outcome.lead_id,
        "outcome_id": outcome.outcome_id,
        "outcome": outcome.outcome,
        "occurred_at": outcome.occurred_at,
        "event_id": outcome.event_id,
    }
    statement = insert(lead_outcomes).values(**values)
    replaced = {name: statement.excluded[name] for name in values if name != "lead_id"}
    await connection.execute(statement.on_conflict_do_update(index_elements=["lead_id"], set_=replaced))
