"""Reading leads: GET /v1/leads/{id} (the golden record) and GET /v1/leads (search)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from leadflow_capture.app.reading import LeadPage, LeadQuery, LeadRecord
from leadflow_capture.deps import LeadReaderDep
from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.inputs import StorableText

router = APIRouter(prefix="/v1", tags=["leads"])
LeadsReader = Annotated[Principal, requires(Scope.leads_read)]


ReaderDep = LeadReaderDep


@router.get(
    "/leads/{lead_id}",
    summary="A lead's golden record: profile, consent, attribution, attributes, submissions, merged leads",
    responses={303: {"description": "The lead was merged: `Location` names the survivor"}, 404: {}},
)
async def read_lead(lead_id: uuid.UUID, principal: LeadsReader, reader: ReaderDep) -> LeadRecord:
    return await reader.record(principal, lead_id)


@router.get(
    "/leads",
    summary="Find live leads by email, phone (normalized) or a text in name, company or email",
    responses={422: {}},
)
async def find_leads(
    principal: LeadsReader,
    reader: ReaderDep,
    email: Annotated[StorableText | None, Query(max_length=254)] = None,
    phone: Annotated[StorableText | None, Query(max_length=40)] = None,
    q: Annotated[
        StorableText | None,
        Query(min_length=2, max_length=100, description="Part of a name, company or email"),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LeadPage:
    return await reader.find(
        principal, LeadQuery(email=email, phone=phone, text=q, cursor=cursor, limit=limit)
    )
