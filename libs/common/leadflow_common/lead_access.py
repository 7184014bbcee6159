"""Which rep each lead is offered to now, kept by every service that serves a lead's data to
reps: a rep's credential reads only these leads. Fed from `leads.routed`; the latest decision
wins whatever order the events arrive in. No personal data: two ids and a time."""

import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData, Select, Table, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import AssignmentEvent, CloudEvent


def lead_reps_table(metadata: MetaData) -> Table:
    return Table(
        "lead_reps",
        metadata,
        Column("lead_id", UUID(as_uuid=True), primary_key=True),
        Column("rep_id", UUID(as_uuid=True), index=True),
        Column("decided_at", DateTime(timezone=True), nullable=False),
    )


async def record_routing(connection: AsyncConnection, table: Table, events: list[CloudEvent]) -> None:
    latest: dict[uuid.UUID, tuple[uuid.UUID | None, datetime]] = {}
    for event in events:
        if isinstance(event.data, AssignmentEvent):
            lead_id, rep_id = event.data.lead_id, event.data.rep.id if event.data.rep else None
            if lead_id not in latest or latest[lead_id][1] < event.time:
                latest[lead_id] = (rep_id, event.time)
    if not latest:
        return
    rows = [{"lead_id": lead, "rep_id": rep, "decided_at": at} for lead, (rep, at) in sorted(latest.items())]
    statement = pg_insert(table)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={"rep_id": statement.excluded.rep_id, "decided_at": statement.excluded.decided_at},
            where=table.c.decided_at < statement.excluded.decided_at,
        ),
        rows,
    )


async def rep_of_lead(connection: AsyncConnection, table: Table, lead_id: uuid.UUID) -> uuid.UUID | None:
    return await connection.scalar(select(table.c.rep_id).where(table.c.lead_id == lead_id))


def leads_of_rep(table: Table, rep_id: uuid.UUID) -> Select:
    """The ids of the leads offered to this rep now, to filter a query with."""
    return select(table.c.lead_id).where(table.c.rep_id == rep_id)
