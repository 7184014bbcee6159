"""Right of access: what one service holds about some leads, table by table, as stored. Each
service names the tables that hold lead data (`Holding`) and serves them to capture's export
(`GET /v1/privacy/held`), which asks every service and answers the person with one document.

Rows are read as PostgreSQL renders them to JSON (`to_jsonb`): the export shows exactly what is
kept, column by column, and a table added to a service is one line here, not a new serializer.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep

LEADS = "CAST(:leads AS text[])"
MAX_LEADS = 100  # one person's leads: a handful, however often they came back


@dataclass(frozen=True)
class Holding:
    """A table holding lead data, and how its rows name the lead (`{leads}`: the lead ids)."""

    table: str  # schema.table
    condition: str = "t.lead_id::text = ANY({leads})"


async def held_rows(
    connection: AsyncConnection, holdings: tuple[Holding, ...], lead_ids: list[uuid.UUID]
) -> dict[str, list[dict[str, Any]]]:
    """Every row of these tables about these leads, table by table."""
    held = {}
    for holding in holdings:
        statement = text(
            f"SELECT to_jsonb(t) FROM {holding.table} t WHERE {holding.condition.format(leads=LEADS)}"
        )
        rows = await connection.execute(statement, {"leads": [str(lead_id) for lead_id in lead_ids]})
        held[holding.table] = [row[0] for row in rows]
    return held


class Held(BaseModel):
    service: str
    tables: dict[str, list[dict[str, Any]]] = Field(description="Table → the rows about the leads")


def held_router(service: str, holdings: tuple[Holding, ...]) -> APIRouter:
    router = APIRouter(prefix="/v1/privacy", tags=["privacy"])

    @router.get(
        "/held",
        response_model=Held,
        responses={422: {}},
        summary="What this service holds about these leads, as stored (capture's export reads it)",
    )
    async def held(
        lead_id: Annotated[list[uuid.UUID], Query(min_length=1, max_length=MAX_LEADS)],
        principal: Annotated[Principal, requires(Scope.privacy_admin)],
        runtime: RuntimeDep,
    ) -> Held:
        async with runtime.engine.connect() as connection:
            return Held(service=service, tables=await held_rows(connection, holdings, lead_id))

    return router
