"""Activities and outcomes from other systems (API key): checked against the leads capture
knows, then published on `leads.activities` and `leads.outcomes` through the outbox
(`app/tracking.py`)."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from leadflow_capture.api.bodies import read_fields
from leadflow_capture.api.openapi import BODY_PROBLEMS, MAX_BATCH, one_or_many, request_body
from leadflow_capture.app.tracking import publish_items
from leadflow_capture.deps import CaptureSettingsDep
from leadflow_capture.domain.tracking import (
    ActivityInput,
    OutcomeInput,
    Published,
    PublishedBatch,
)
from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep, UnitOfWorkDep
from leadflow_common.errors import Invalid
from leadflow_common.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1")
__all__ = ["ActivityInput", "OutcomeInput", "router"]  # main.py documents the inputs' schemas


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
        raise Invalid.field(plural, f"a list of 1 to {MAX_BATCH} items")
    results = await publish_items(uow, region, model, raw_items, None if single else plural, topic, principal)
    if single:
        return JSONResponse(
            Published(lead_id=results[0].lead_id, event_id=results[0].event_id).model_dump(mode="json"),
            status_code=202,
        )
    accepted = sum(1 for result in results if result.status == 202)
    body = PublishedBatch(accepted=accepted, rejected=len(results) - accepted, results=results)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=202)


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
