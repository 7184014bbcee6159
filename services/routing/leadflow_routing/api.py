"""Routing's HTTP endpoints: reps, and the assignments reps act on."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_common.events import Temperature, Tier
from leadflow_common.http import Problem, require_api_key
from leadflow_common.inputs import InputModel
from leadflow_routing import assigner, repository
from leadflow_routing.assigner import AssignmentConflict, RoutingContext, routing_context

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)], responses={401: {}})

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=8)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Segment = Literal["b2b", "b2c"]


class WorkingHoursInput(InputModel):
    timezone: str = Field(examples=["Europe/Berlin"])
    start: time = Field(examples=["09:00"])
    end: time = Field(examples=["17:30"])
    days: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 is Monday")

    @field_validator("timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone") from None
        return value

    @field_validator("days")
    @classmethod
    def weekdays(cls, values: list[int]) -> list[int]:
        if not values or any(day not in range(7) for day in values):
            raise ValueError("days are 0 (Monday) to 6")
        return sorted(set(values))

    def document(self) -> dict:
        return {
            "timezone": self.timezone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
        }


def _upper(values: list[str] | None) -> list[str] | None:
    return [value.upper() for value in values] if values is not None else None


def _lower(values: list[str] | None) -> list[str] | None:
    return [value.lower() for value in values] if values is not None else None


class RepInput(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Sam Senior", "email": "sam@example.com", "tier": "senior", "capacity": 5}]
        },
    )

    name: Name
    email: EmailStr
    tier: Tier
    capacity: int = Field(ge=0, le=10_000, description="Open leads the rep can hold at once")
    territories: list[Code] = Field(default_factory=list, description="ISO 3166 alpha-2; empty takes any")
    languages: list[Code] = Field(default_factory=list, description="Language codes; empty takes any")
    segments: list[Segment] = Field(default_factory=list, description="Empty takes any")
    active: bool = True
    available: bool = Field(default=True, description="Presence: false while away")
    working_hours: WorkingHoursInput | None = Field(
        default=None, description="When set, takes leads only then"
    )

    _territories = field_validator("territories")(classmethod(lambda cls, v: _upper(v)))
    _languages = field_validator("languages")(classmethod(lambda cls, v: _lower(v)))


class RepUpdate(InputModel):
    """Fields to change; those left out keep their values."""

    name: Name | None = None
    email: EmailStr | None = None
    tier: Tier | None = None
    capacity: int | None = Field(default=None, ge=0, le=10_000)
    territories: list[Code] | None = None
    languages: list[Code] | None = None
    segments: list[Segment] | None = None
    active: bool | None = None
    available: bool | None = None
    working_hours: WorkingHoursInput | None = None

    _territories = field_validator("territories")(classmethod(lambda cls, v: _upper(v)))
    _languages = field_validator("languages")(classmethod(lambda cls, v: _lower(v)))


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


class AssignmentChange(BaseModel):
    assignment_id: uuid.UUID
    rep_id: uuid.UUID | None
    status: str
    reason: str
    at: datetime


class AssignmentDetail(BaseModel):
    assignment: AssignmentOut
    history: list[AssignmentChange] = Field(description="Every routing step of this lead, oldest first")


class Rejection(InputModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


def rep_out(row: Any) -> RepOut:
    return RepOut.model_validate(row._asdict())


def rep_values(rep: RepInput | RepUpdate, *, partial: bool) -> dict[str, Any]:
    values = rep.model_dump(exclude_unset=partial, exclude={"working_hours"})
    if not partial or "working_hours" in rep.model_fields_set:
        values["working_hours"] = rep.working_hours.document() if rep.working_hours else None
    return values


EMAIL_TAKEN = Problem(
    409, "Conflict", "A rep with this email exists", fields=[{"name": "email", "message": "already used"}]
)


async def change_reps(request: Request, change: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
    """Apply a change to reps, then give added or freed capacity to waiting leads."""
    runtime = request.app.state.runtime
    try:
        async with runtime.engine.begin() as connection:
            result = await change(connection)
            if result is not None:
                await assigner.drain_waiting(
                    connection, routing_context(runtime, request.app.state.routing_settings)
                )
    except IntegrityError:
        raise EMAIL_TAKEN from None
    runtime.relay.wake()
    return result


@router.post(
    "/reps", status_code=201, response_model=RepOut, responses={409: {}, 422: {}}, summary="Add a sales rep"
)
async def create_rep(rep: RepInput, request: Request) -> RepOut:
    row = await change_reps(
        request,
        lambda connection: repository.create_rep(
            connection, id=uuid.uuid4(), **rep_values(rep, partial=False)
        ),
    )
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


@router.patch(
    "/reps/{rep_id}", response_model=RepOut, responses={404: {}, 409: {}, 422: {}}, summary="Change a rep"
)
async def update_rep(rep_id: uuid.UUID, change: RepUpdate, request: Request) -> RepOut:
    row = await change_reps(
        request,
        lambda connection: repository.update_rep(connection, rep_id, rep_values(change, partial=True)),
    )
    if row is None:
        raise Problem(404, "Not found", f"No rep {rep_id}")
    return rep_out(row)


@router.delete(
    "/reps/{rep_id}",
    response_model=RepOut,
    responses={404: {}},
    summary="Deactivate a rep (kept for history)",
)
async def deactivate_rep(rep_id: uuid.UUID, request: Request) -> RepOut:
    async with request.app.state.runtime.engine.begin() as connection:
        row = await repository.update_rep(connection, rep_id, {"active": False})
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


@router.get(
    "/assignments/{assignment_id}",
    response_model=AssignmentDetail,
    responses={404: {}},
    summary="One assignment and its lead's routing history",
)
async def get_assignment(assignment_id: uuid.UUID, request: Request) -> AssignmentDetail:
    async with request.app.state.runtime.engine.connect() as connection:
        row = await repository.get_assignment(connection, assignment_id)
        if row is None:
            raise Problem(404, "Not found", f"No assignment {assignment_id}")
        history = await repository.history_of_lead(connection, row.lead_id)
    return AssignmentDetail(
        assignment=AssignmentOut.model_validate(row._asdict()),
        history=[AssignmentChange.model_validate(event._asdict()) for event in history],
    )


AssignmentAction = Callable[[AsyncConnection, Any, RoutingContext], Awaitable[Any]]


async def act_on(request: Request, assignment_id: uuid.UUID, action: AssignmentAction) -> AssignmentOut:
    """Apply a rep's action under the lead's lock (the order every routing path takes)."""
    runtime = request.app.state.runtime
    context = routing_context(runtime, request.app.state.routing_settings)
    async with runtime.engine.begin() as connection:
        found = await repository.get_assignment(connection, assignment_id)
        if found is None:
            raise Problem(404, "Not found", f"No assignment {assignment_id}")
        await repository.lock_lead(connection, found.lead_id)
        assignment = await repository.get_assignment(connection, assignment_id, for_update=True)
        try:
            await action(connection, assignment, context)
        except AssignmentConflict as conflict:
            raise Problem(409, "Conflict", str(conflict)) from None
        updated = await repository.get_assignment(connection, assignment_id)
    runtime.relay.wake()
    return AssignmentOut.model_validate(updated._asdict())


@router.post(
    "/assignments/{assignment_id}/accept",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}},
    summary="The rep takes the lead",
)
async def accept_assignment(assignment_id: uuid.UUID, request: Request) -> AssignmentOut:
    async def accept(connection, assignment, context):
        await assigner.accept(connection, assignment, context.now)

    return await act_on(request, assignment_id, accept)


@router.post(
    "/assignments/{assignment_id}/reject",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}, 422: {}},
    summary="The rep passes; the lead goes to the next eligible rep",
)
async def reject_assignment(
    assignment_id: uuid.UUID, rejection: Rejection, request: Request
) -> AssignmentOut:
    async def reject(connection, assignment, context):
        await assigner.reject(connection, assignment, rejection.reason, context)

    return await act_on(request, assignment_id, reject)


@router.post(
    "/assignments/{assignment_id}/complete",
    response_model=AssignmentOut,
    responses={404: {}, 409: {}},
    summary="The rep is done with the lead",
)
async def complete_assignment(assignment_id: uuid.UUID, request: Request) -> AssignmentOut:
    async def complete(connection, assignment, context):
        await assigner.finish(connection, assignment, "completed", "completed by the rep", context)

    return await act_on(request, assignment_id, complete)
