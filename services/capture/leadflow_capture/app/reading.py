"""Capture's use cases for reading leads (the golden record, and search), and keeping who may
read them: a rep reads only the leads offered to them now."""

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from leadflow_capture.domain.identifiers import normalize_email, normalize_phone
from leadflow_capture.store import reads
from leadflow_capture.store.tables import lead_reps
from leadflow_common import lead_access
from leadflow_common.access import Principal, Scope, ensure_own
from leadflow_common.errors import Invalid, LeadflowError, NotFound
from leadflow_common.events import CloudEvent, LeadProfile
from leadflow_common.runtime import ServiceRuntime

SUBMISSIONS_SHOWN = 200


class SubmissionView(BaseModel):
    submission_id: uuid.UUID
    channel: str
    received_at: datetime
    message: str | None = None


class LeadRecord(BaseModel):
    lead_id: uuid.UUID
    profile: LeadProfile = Field(
        description="The golden record: consent per channel, attribution, attributes"
    )
    submissions: list[SubmissionView] = Field(description=f"Newest first, at most {SUBMISSIONS_SHOWN}")
    submission_count: int
    merged_lead_ids: list[uuid.UUID] = Field(description="Leads merged into this one")


class LeadSummary(BaseModel):
    lead_id: uuid.UUID
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    created_at: datetime


class LeadPage(BaseModel):
    leads: list[LeadSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


class MergedInto(LeadflowError):
    """An absorbed lead's id: its record is its survivor's (303 to it)."""

    status, title = 303, "See other"

    def __init__(self, survivor: uuid.UUID):
        super().__init__(
            f"This lead was merged into {survivor}", headers={"Location": f"/v1/leads/{survivor}"}
        )


@dataclass(frozen=True)
class LeadQuery:
    email: str | None = None
    phone: str | None = None
    text: str | None = None
    cursor: str | None = None
    limit: int = 50


class LeadReader:
    def __init__(self, runtime: ServiceRuntime, default_region: str):
        self._runtime = runtime
        self._region = default_region

    async def record(self, principal: Principal, lead_id: uuid.UUID) -> LeadRecord:
        async with self._runtime.engine.connect() as connection:
            survivor = await reads.survivor_of(connection, lead_id)
            if principal.limited_to_own(Scope.leads_read):
                owner = await lead_access.rep_of_lead(connection, lead_reps, survivor) if survivor else None
                ensure_own(principal, Scope.leads_read, owner)
            if survivor is None:
                raise NotFound(f"No lead {lead_id}")
            if survivor != lead_id:
                raise MergedInto(survivor)
            row = await reads.lead(connection, lead_id)
            merged = await reads.absorbed_by(connection, lead_id)
            shown = await reads.submissions_of(connection, [lead_id, *merged], SUBMISSIONS_SHOWN)
            count = await reads.count_submissions(connection, [lead_id, *merged])
        return LeadRecord(
            lead_id=lead_id,
            profile=LeadProfile.model_validate(row.profile),
            submissions=[_submission(s) for s in shown],
            submission_count=count,
            merged_lead_ids=merged,
        )

    async def find(self, principal: Principal, query: LeadQuery) -> LeadPage:
        if not (query.email or query.phone or query.text):
            raise Invalid.field("q", "give email, phone or q")
        email = _normalized(normalize_email, "email", query.email)
        phone = _normalized(lambda value: normalize_phone(value, self._region), "phone", query.phone)
        after = _decode_cursor(query.cursor) if query.cursor else None
        rep_id = principal.rep_id if principal.limited_to_own(Scope.leads_read) else None
        async with self._runtime.engine.connect() as connection:
            rows = await reads.find(
                connection,
                email=email,
                phone=phone,
                text=query.text,
                after=after,
                rep_id=rep_id,
                limit=query.limit,
            )
        page = [_summary(row) for row in rows]
        last = rows[-1] if len(rows) == query.limit else None
        return LeadPage(leads=page, next_cursor=_encode_cursor(last.created_at, last.id) if last else None)

    async def record_routing(self, events: list[CloudEvent]) -> None:
        async with self._runtime.unit_of_work() as uow:
            await lead_access.record_routing(uow.connection, lead_reps, events)


def _normalized(normalize: Callable[[str], str], name: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize(value)
    except ValueError as error:
        raise Invalid.field(name, str(error)) from None


def _submission(row: reads.SubmissionRow) -> SubmissionView:
    message = row.payload.get("message")
    return SubmissionView(
        submission_id=row.id,
        channel=row.channel,
        received_at=row.received_at,
        message=message if isinstance(message, str) else None,
    )


def _summary(row: reads.LeadRow) -> LeadSummary:
    profile = row.profile
    return LeadSummary(
        lead_id=row.id,
        **{field: profile.get(field) for field in ("email", "phone", "first_name", "last_name", "company")},
        created_at=row.created_at,
    )


def _encode_cursor(created_at: datetime, lead_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{lead_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, lead_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(lead_id)
    except ValueError:
        raise Invalid.field("cursor", "not a cursor this API gave") from None
