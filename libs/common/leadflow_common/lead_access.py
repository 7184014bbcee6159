"""Which rep each lead is offered to now, kept by every service that serves a lead's data to
reps: a rep's credential reads only these leads. Fed from `leads.routed`; the latest decision
wins whatever order the events arrive in. No personal data: two ids and a time."""

import functools
import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, MetaData, Select, Table, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.driver import Prepared
from leadflow_common.events import AssignmentChanged, AssignmentEvent, AssignmentStatusName, CloudEvent


def lead_reps_table(metadata: MetaData) -> Table:
    return Table(
        "lead_reps",
        metadata,
        Column("lead_id", UUID(as_uuid=True), primary_key=True),
        Column("rep_id", UUID(as_uuid=True), index=True),
        Column("decided_at", DateTime(timezone=True), nullable=False),
    )


# A rep who let the lead go (rejected it, let the offer run out) loses it with the change; a rep
# who completed it or closed it with an outcome keeps reading what they worked on.
_S = AssignmentStatusName
HOLDS = frozenset({_S.offered, _S.accepted, _S.assigned})
LETS_GO = frozenset({_S.rejected, _S.expired, _S.waiting})


def rep_now(data: object) -> tuple[bool, uuid.UUID | None]:
    """Whether a routing event says who holds its lead now, and who (None: no rep)."""
    if isinstance(data, AssignmentEvent):
        return True, data.rep.id if data.rep else None
    if isinstance(data, AssignmentChanged) and data.status in HOLDS:
        return True, data.rep.id if data.rep else None
    if isinstance(data, AssignmentChanged) and data.status in LETS_GO:
        return True, None
    return False, None


async def record_routing(connection: AsyncConnection, table: Table, events: list[CloudEvent]) -> None:
    latest: dict[uuid.UUID, tuple[uuid.UUID | None, datetime]] = {}
    for event in events:
        says, rep_id = rep_now(event.data)
        if says:
            lead_id = event.data.lead_id
            if lead_id not in latest or latest[lead_id][1] < event.time:
                latest[lead_id] = (rep_id, event.time)
    if not latest:
        return
    rows = [{"lead_id": lead, "rep_id": rep, "decided_at": at} for lead, (rep, at) in sorted(latest.items())]
    await _record_statement(table).execute_many(connection, rows)


@functools.cache
def _record_statement(table: Table) -> Prepared:
    """Built once per table: who holds each lead now, a later decision over an earlier one."""
    statement = pg_insert(table)
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={"rep_id": statement.excluded.rep_id, "decided_at": statement.excluded.decided_at},
            where=table.c.decided_at < statement.excluded.decided_at,
        )
    )


async def rep_of_lead(connection: AsyncConnection, table: Table, lead_id: uuid.UUID) -> uuid.UUID | None:
    return await connection.scalar(select(table.c.rep_id).where(table.c.lead_id == lead_id))


def leads_of_rep(table: Table, rep_id: uuid.UUID) -> Select:
    """The ids of the leads offered to this rep now, to filter a query with."""
    return select(table.c.lead_id).where(table.c.rep_id == rep_id)
