"""Activities and outcomes from other systems (API key): checked against the leads capture
knows, then published on `leads.activities` and `leads.outcomes` through the outbox."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints, ValidationError, model_validator
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.api.bodies import read_fields
from leadflow_capture.api.openapi import BODY_PROBLEMS, MAX_BATCH, one_or_many, request_body
from leadflow_capture.deps import CaptureSettingsDep
from leadflow_capture.domain.leads import normalize_email, normalize_phone
from leadflow_capture.domain.outcome_rules import OutcomeReport, RecordedOutcome, judge
from leadflow_capture.store import outcome_store, repository
from leadflow_capture.store.tables import lead_reps
from leadflow_common import lead_access
from leadflow_common.access import NOT_YOURS, Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep, UnitOfWorkDep
from leadflow_common.errors import FieldError, Forbidden, LeadflowError, NotFound
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
    corrects: uuid.UUID | None = Field(
        default=None,
        description="A correction: the outcome_id of the lead's recorded outcome it replaces (admins,"
        " keys and the bootstrap key; a lead's outcome is otherwise final: another one is a 409)",
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = (
        Field(default=None, description="Why the outcome is corrected (required with `corrects`)")
    )


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
        corrects=item.corrects,
        reason=item.reason,
    )


async def publish(
    request: Request,
    uow: UnitOfWork,
    region: str,
    model: type[ActivityInput | OutcomeInput],
    plural: str,
    topic: str,
    principal: Principal | None = None,
) -> JSONResponse:
    """One item (404 if nobody is known by it) or `{plural: [...]}` with a result per item,
    published in one unit of work. A rep reporting (`principal`) reports only on leads offered to
    her (403 otherwise); an outcome is judged against the lead's recorded one (`outcome_rules`)."""
    fields = await read_fields(request, allow_form=False)
    single = plural not in fields
    raw_items = [fields] if single else fields[plural]
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_BATCH:
        raise field_problem(plural, f"a list of 1 to {MAX_BATCH} items")
    async with uow:
        results = [
            await _publish_item(
                uow, region, model, raw, "" if single else f"{plural}[{index}]", index, topic, principal
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
    principal: Principal | None,
) -> PublishedItem:
    """One item's result; a single item's error is raised (422, 404) rather than listed."""
    only_rep = principal.rep_id if principal and principal.limited_to_own(Scope.outcomes_write) else None
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
    if isinstance(item, OutcomeInput) and principal is not None:
        try:
            return await _settle_outcome(uow, item, lead_id, topic, principal, index)
        except LeadflowError as error:
            if not prefix:
                raise
            found = error.fields or [FieldError(name=prefix, message=str(error))]
            return PublishedItem(index=index, status=error.status, errors=found)
    event = await uow.publish(topic, to_event(item, lead_id), subject=lead_id)
    return PublishedItem(index=index, status=202, lead_id=lead_id, event_id=event.id)


async def _settle_outcome(
    uow: UnitOfWork, item: "OutcomeInput", lead_id: uuid.UUID, topic: str, principal: Principal, index: int
) -> PublishedItem:
    """The lead's first outcome, a repeat of it (answered with the first, nothing published), or
    a correction (published with what it corrects); the first and a correction are audited, in
    the unit of work that publishes them."""
    recorded = await outcome_store.lock_and_read(uow.connection, lead_id)
    verdict = judge(recorded, OutcomeReport(item.outcome, item.corrects, item.reason), principal)
    if verdict == "same":
        return PublishedItem(index=index, status=202, lead_id=lead_id, event_id=recorded.event_id)
    data = to_event(item, lead_id)
    event = await uow.publish(topic, data, subject=lead_id)
    stands = RecordedOutcome(lead_id, data.outcome_id, data.outcome, data.occurred_at, event.id)
    await outcome_store.record(uow.connection, stands)
    if verdict == "correct":
        corrects = str(item.corrects)
        await uow.audit(
            principal, "outcome.corrected", ("lead", lead_id), result=data.outcome, corrects=corrects
        )
    else:
        await uow.audit(principal, "outcome.recorded", ("lead", lead_id), result=data.outcome)
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
    return await publish(request, uow, settings.default_region, OutcomeInput, "outcomes", topic, principal)
