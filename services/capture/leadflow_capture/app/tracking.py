"""Publishing what other systems report: each item checked against the leads capture knows (a
rep: only the leads offered to them), an outcome judged against the lead's recorded one
(`outcome_rules`), all of a post in one unit of work that also marks the leads active."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow_capture.domain.identifiers import normalize_email, normalize_phone
from leadflow_capture.domain.outcome_rules import OutcomeReport, RecordedOutcome, judge
from leadflow_capture.domain.tracking import (
    ActivityInput,
    OutcomeInput,
    PersonRef,
    PublishedItem,
    outcome_event,
    to_event,
)
from leadflow_capture.store import outcome_store, repository
from leadflow_capture.store.tables import lead_reps
from leadflow_common import lead_access
from leadflow_common.access import NOT_YOURS, Principal, Scope
from leadflow_common.errors import FieldError, Forbidden, LeadflowError, NotFound
from leadflow_common.http import validation_problem
from leadflow_common.unit_of_work import UnitOfWork


async def publish_items(
    uow: UnitOfWork,
    region: str,
    model: type[ActivityInput | OutcomeInput],
    raw_items: list[Any],
    plural: str | None,
    topic: str,
    principal: Principal | None = None,
) -> list[PublishedItem]:
    """A result per item (`plural` None: a single item, whose error is raised rather than listed),
    published in one unit of work."""
    async with uow:
        results = [
            await _publish_item(
                uow, region, model, raw, f"{plural}[{index}]" if plural else "", index, topic, principal
            )
            for index, raw in enumerate(raw_items)
        ]
        # What retention counts as activity (retention.py): one statement for the batch.
        active = {result.lead_id for result in results if result.status == 202 and result.lead_id is not None}
        await repository.mark_active(uow.connection, active, datetime.now(UTC))
    return results


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


async def _publish_item(
    uow: UnitOfWork,
    region: str,
    model: type[ActivityInput | OutcomeInput],
    raw: Any,
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
        assert recorded is not None  # only a recorded outcome is the same as one reported
        return PublishedItem(index=index, status=202, lead_id=lead_id, event_id=recorded.event_id)
    data = outcome_event(item, lead_id)
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
