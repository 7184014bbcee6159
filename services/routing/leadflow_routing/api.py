"""Routing's HTTP endpoints."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from sqlalchemy.exc import IntegrityError

from leadflow_common.events import Temperature, Tier
from leadflow_common.http import Problem, require_api_key
from leadflow_routing import repository

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses={401: {}})

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=8)]


class RepInput(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"name": "Sam Senior", "email": "sam@example.com", "tier": "senior", "capacity": 5}]
        },
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr
    tier: Tier
    capacity: int = Field(ge=0, le=10_000, description="Open leads the rep can hold at once")
    territories: list[Code] = Field(default_factory=list, description="ISO 3166 alpha-2; empty takes any")
    languages: list[Code] = Field(default_factory=list, description="Language codes; empty takes any")
    segments: list[Literal["b2b", "b2c"]] = Field(default_factory=list, description="Empty takes any")
    active: bool = True
    available: bool = True

    @field_validator("territories")
    @classmethod
    def upper(cls, values: list[str]) -> list[str]:
        return [value.upper() for value in values]

    @field_validator("languages")
    @classmethod
    def lower(cls, values: list[str]) -> list[str]:
        return [value.lower() for value in values]


class RepOut(RepInput):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    open_leads: int
    last_assigned_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AssignmentOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    rep_id: uuid.UUID | None
    queue: str | None
    status: str
    reason: str
    temperature: Temperature
    score: float
    attempt: int
    sla_deadline: datetime | None
    created_at: datetime
    updated_at: datetime


def rep_out(row) -> RepOut:
    return RepOut.model_validate(row._asdict())


@router.post(
    "/reps", status_code=201, response_model=RepOut, responses={409: {}, 422: {}}, summary="Add a sales rep"
)
async def create_rep(rep: RepInput, request: Request) -> RepOut:
    try:
        async with request.app.state.runtime.engine.begin() as connection:
            row = await repository.create_rep(connection, id=uuid.uuid4(), **rep.model_dump())
    except IntegrityError:
        raise Problem(
            409,
            "Conflict",
            "A rep with this email exists",
            fields=[{"name": "email", "message": "already used"}],
        ) from None
    return rep_out(row)


@router.get("/reps", response_model=list[RepOut], summary="Every rep with their open leads")
async def list_reps(request: Request) -> list[RepOut]:
    async with request.app.state.runtime.engine.connect() as connection:
        return [rep_out(row) for row in await repository.list_reps(connection)]


@router.get("/reps/{rep_id}", response_model=RepOut, responses={404: {}}, summary="One rep")
async def get_rep(rep_id: uuid.UUID, request: Request) -> RepOut:
    async with request.app.state.runtime.engine.connect() as connection:
        row = await repository.get_rep(connection, rep_id)
    if row is None:
        raise Problem(404, "Not found", f"No rep {rep_id}")
    return rep_out(row)


@router.get("/assignments", response_model=list[AssignmentOut], summary="Routing decisions, newest first")
async def list_assignments(
    request: Request,
    rep_id: uuid.UUID | None = None,
    status: str | None = None,
    lead_id: uuid.UUID | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[AssignmentOut]:
    async with request.app.state.runtime.engine.connect() as connection:
        rows = await repository.find_assignments(
            connection, rep_id=rep_id, status=status, lead_id=lead_id, limit=limit
        )
    return [AssignmentOut.model_validate(row._asdict()) for row in rows]


@router.get("/nurture", response_model=list[AssignmentOut], summary="Cold leads in the nurture queue")
async def nurture_queue(
    request: Request, limit: int = Query(default=100, ge=1, le=1000)
) -> list[AssignmentOut]:
    async with request.app.state.runtime.engine.connect() as connection:
        rows = await repository.find_assignments(connection, status="nurtured", limit=limit)
    return [AssignmentOut.model_validate(row._asdict()) for row in rows]
