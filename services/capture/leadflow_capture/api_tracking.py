"""Activities and outcomes from other systems (API key): checked against the leads capture
knows, then published on `leads.activities` and `leads.outcomes` through the outbox."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture import repository
from leadflow_capture.bodies import read_fields
from leadflow_capture.deps import CaptureSettingsDep
from leadflow_capture.domain import normalize_email, normalize_phone
from leadflow_capture.openapi import BODY_PROBLEMS, MAX_BATCH, one_or_many, request_body
from leadflow_capture.tables import lead_reps
from leadflow_common import lead_access
from leadflow_common.access import NOT_YOURS, Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep, UnitOfWorkDep
from leadflow_common.errors import FieldError, Forbidden, NotFound
from leadflow_common.events import EventData, LeadActivity, LeadOutcome
from leadflow_common.http import field_problem, validation_problem
from leadflow_common.inputs import InputModel
from leadflow_common.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1")


class PersonRef(InputModel):
    """Names the lead: its id, or the email or phone it was captured with."""

    lead_id: uuid.UUID | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None

    @model_validator(mode="after")
    def names_someone(self):
        if not (self.lead_id or self.email or self.phone):
            raise ValueError("name the lead with lead_id, email or phone")
        return self


class ActivityInput(PersonRef):
    type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = Field(
        examples=["pricing_page_view", "demo_requested", "email_clicked", "call_answered"]
    )
    occurred_at: datetime | None = None
    properties: dict[str, Any] = Field(default_factory=dict, max_length=50)


class OutcomeInput(PersonRef):
    outcome: Literal["won", "lost"]
    amount: float | None = Field(default=None, ge=0)
    occurred_at: datetime | None = None


class Published(BaseModel):
    lead_id: uuid.UUID
    event_id: str


class PublishedItem(BaseModel):
    index: int
    status: int = Field(description="202 published, 404 unknown lead, 422 invalid")
    lead_id: uuid.UUID | None = None
    event_id: str | None = None
    errors: list[FieldError] | None = None


class PublishedBatch(BaseModel):
    accepted: int
    rejected: int
    results: list[PublishedItem]


async def find_lead(connection: AsyncConnection, person: PersonRef, region: str) -> uuid.UUID | None:
    if person.lead_id:
        return await repository.lead_exists(connection, person.lead_id)
    try:
        email = normalize_email(person.email) if person.email else None
        phone = normalize_phone(person.phone, region) if person.phone else None
    except ValueError:
        return None
    leads = await repository.find_leads_of_person(connection, email, phone)
    return leads[0].lead_id if leads else None


def to_event(item: ActivityInput | OutcomeInput, lead_id: uuid.UUID) -> EventData:
    occurred_at = item.occurred_at or datetime.now(UTC)
    if isinstance(item, ActivityInput):
        return LeadActivity(
            activity_id=uuid.uuid4(),
            lead_id=lead_id,
            type=item.type,
            occurred_at=occurred_at,
            properties=item.properties,
        )
    return LeadOutcome(
        outcome_id=uuid.uuid4(),
        lead_id=lead_id,
        outcome=item.outcome,
        amount=item.amount,
        occurred_at=occurred_at,
    )


async def publish(
    request: Request,
    uow: UnitOfWork,
    region: str,
    model: type[ActivityInput | OutcomeInput],
    plural: str,
    topic: str,
    only_rep: uuid.UUID | None = None,
) -> JSONResponse:
    """One item (404 if nobody is known by it) or `{plural: [...]}` with a result per item,
    published in one unit of work. With `only_rep` (a rep reporting), only leads offered to that
    rep now are taken (403 otherwise)."""
    fields = await read_fields(request, allow_form=False)
    single = plural not in fields
    raw_items = [fields] if single else fields[plural]
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_BATCH:
        raise field_problem(plural, f"a list of 1 to {MAX_BATCH} items")
    async with uow:
        results = [
            await _publish_item(
                uow, region, model, raw, "" if single else f"{plural}[{index}]", index, topic, only_rep
            )
            for index, raw in enumerate(raw_items)
        ]
        # What retention counts as activity (retention.py): one statement for the batch.
        active = {result.lead_id for result in results if result.status == 202}
        await repository.mark_active(uow.connection, active, datetime.now(UTC))
    if single:
        return JSONResponse(
            Published(lead_id=results[0].lead_id, event_id=results[0].event_id).model_dump(mode="json"),
            status_code=202,
        )
    accepted = sum(1 for result in results if result.status == 202)
    body = PublishedBatch(accepted=accepted, rejected=len(results) - accepted, results=results)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=202)


async def _publish_item(
    uow: UnitOfWork,
    region: str,
    model: type[ActivityInput | OutcomeInput],
    raw,
    prefix: str,
    index: int,
    topic: str,
    only_rep: uuid.UUID | None,
) -> PublishedItem:
    """One item's result; a single item's error is raised (422, 404) rather than listed."""
    try:
        item = model.model_validate(raw)
    except ValidationError as error:
        problem = validation_problem(
            [{**e, "loc": (prefix, *e["loc"]) if prefix else e["loc"]} for e in error.errors()]
        )
        if not prefix:
            raise problem from None
        return PublishedItem(index=index, status=422, errors=problem.fields)
    lead_id = await find_lead(uow.connection, item, region)
    if only_rep is not None and (
        lead_id is None or await lead_access.rep_of_lead(uow.connection, lead_reps, lead_id) != only_rep
    ):
        # The same answer whether the lead exists or not: a rep cannot probe for people.
        if not prefix:
            raise Forbidden(NOT_YOURS)
        return PublishedItem(index=index, status=403, errors=[FieldError(name=prefix, message=NOT_YOURS)])
    if lead_id is None:
        if not prefix:
            raise NotFound("No lead is known by this lead_id, email or phone")
        return PublishedItem(
            index=index, status=404, errors=[FieldError(name=prefix, message="unknown lead")]
        )
    event = await uow.publish(topic, to_event(item, lead_id), subject=lead_id)
    return PublishedItem(index=index, status=202, lead_id=lead_id, event_id=event.id)


@router.post(
    "/activities",
    status_code=202,
    response_model=Published | PublishedBatch,
    responses={404: {}, **BODY_PROBLEMS},
    summary="What a lead did (email tool, web analytics, call system)",
    dependencies=[requires(Scope.activities_write)],
    openapi_extra=request_body(one_or_many("ActivityInput", "activities")),
)
async def post_activities(
    request: Request, uow: UnitOfWorkDep, runtime: RuntimeDep, settings: CaptureSettingsDep
) -> JSONResponse:
    topic = runtime.topics.activities
    return await publish(request, uow, settings.default_region, ActivityInput, "activities", topic)


@router.post(
    "/outcomes",
    status_code=202,
    response_model=Published | PublishedBatch,
    responses={404: {}, **BODY_PROBLEMS},
    summary="A won or lost result from a sales tool (a rep: for the leads offered to them)",
    openapi_extra=request_body(one_or_many("OutcomeInput", "outcomes")),
)
async def post_outcomes(
    # First: the caller is known (401, 403) before the database is touched.
    principal: Annotated[Principal, requires(Scope.outcomes_write)],
    request: Request,
    uow: UnitOfWorkDep,
    runtime: RuntimeDep,
    settings: CaptureSettingsDep,
) -> JSONResponse:
    topic = runtime.topics.outcomes
    only_rep = principal.rep_id if principal.limited_to_own(Scope.outcomes_write) else None
    return await publish(request, uow, settings.default_region, OutcomeInput, "outcomes", topic, only_rep)
