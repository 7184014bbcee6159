"""Privacy routes: erasure (erasing.py), export (exporting.py) and the do-not-contact list."""

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from leadflow_capture.app.erasing import Erasure
from leadflow_capture.deps import CaptureSettingsDep, DoNotContactDep, ErasuresDep, ExportsDep
from leadflow_capture.domain import privacy
from leadflow_capture.domain.identifiers import normalize_email, normalize_phone
from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.errors import Invalid
from leadflow_common.inputs import InputModel, StorableText

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])


class PersonInput(InputModel):
    """Names a person by their email or phone (as given: capture normalizes them), or by what a
    subclass adds to `NAMED_BY`."""

    NAMED_BY: ClassVar[tuple[str, ...]] = ("email", "phone")
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def names_someone(self) -> "PersonInput":
        if not any(getattr(self, name) for name in self.NAMED_BY):
            raise ValueError(f"one of {', '.join(self.NAMED_BY)} is required")
        return self


class SuppressionInput(PersonInput):
    reason: Literal["objection", "erasure", "other"] = Field(
        default="objection", description="Why: the person objected, was erased, or otherwise"
    )


def _normalized(email: str | None, phone: str | None, region: str) -> privacy.Identifiers:
    """The identifiers as capture stores them (what the list and the leads are keyed by)."""
    identifiers: privacy.Identifiers = {}
    given: tuple[tuple[privacy.IdentifierKind, str | None, Callable[[str], str]], ...] = (
        ("email", email, normalize_email),
        ("phone", phone, lambda v: normalize_phone(v, region)),
    )
    for kind, value, normalize in given:
        if value:
            try:
                identifiers[kind] = normalize(value)
            except ValueError as error:
                raise Invalid.field(kind, str(error)) from None
    return identifiers


class SuppressionAdded(BaseModel):
    suppressed: list[Literal["email", "phone"]] = Field(description="The identifiers now on the list")


@router.post(
    "/suppressions",
    status_code=201,
    response_model=SuppressionAdded,
    responses={422: {}},
    summary="Do not contact: refuse every later submission with this email or phone (kept hashed)",
)
async def add_suppression(
    body: SuppressionInput,
    principal: Annotated[Principal, requires(Scope.privacy_admin)],
    settings: CaptureSettingsDep,
    do_not_contact: DoNotContactDep,
) -> SuppressionAdded:
    identifiers = _normalized(body.email, body.phone, settings.default_region)
    listed = await do_not_contact.add(principal, identifiers, body.reason)
    return SuppressionAdded(suppressed=listed)


class SuppressionLifted(BaseModel):
    lifted: list[Literal["email", "phone"]] = Field(description="The identifiers taken off the list")


@router.post(
    "/suppressions/lift",
    response_model=SuppressionLifted,
    responses={422: {}},
    summary="Take an email or phone off the do-not-contact list (the person agreed to be contacted again)",
)
async def lift_suppression(
    body: PersonInput,
    principal: Annotated[Principal, requires(Scope.privacy_admin)],
    settings: CaptureSettingsDep,
    do_not_contact: DoNotContactDep,
) -> SuppressionLifted:
    identifiers = _normalized(body.email, body.phone, settings.default_region)
    return SuppressionLifted(lifted=await do_not_contact.lift(principal, identifiers))


class ErasureInput(PersonInput):
    NAMED_BY: ClassVar[tuple[str, ...]] = ("email", "phone", "lead_id")
    lead_id: uuid.UUID | None = Field(default=None, description="Any lead of the person, merged or not")
    suppress: bool = Field(
        default=True,
        description="Also put on the do-not-contact list every email and phone the person's leads"
        " held (and the email or phone asked by), however she is named — email, phone or lead id —"
        " in the erasure's own transaction, so no later submission by any of them (a form, the API,"
        " an SMS) re-creates her; false lists nothing. The list keeps digests, never the values",
    )


class ServicePart(BaseModel):
    service: str
    erased: int = Field(description="Of the erasure's leads, how many this service has erased")
    completed_at: datetime | None = Field(description="When it erased the last of them")


class ErasureOut(BaseModel):
    erasure_id: uuid.UUID
    status: privacy.ErasureStatus = Field(description="done: every service has erased its copy")
    requested_at: datetime
    leads: int = Field(description="The person's leads erased (0: unknown, or erased before)")
    suppressed: bool = Field(
        description="Whether anything went on the do-not-contact list: every email and phone of the"
        " person's leads, and those asked by (false with `suppress: false`, or nothing to list)"
    )
    services: list[ServicePart]


def erasure_out(erasure: Erasure) -> ErasureOut:
    parts = privacy.progress(len(erasure.lead_ids), erasure.applied)
    done = all(part.completed_at for part in parts) or not erasure.lead_ids
    return ErasureOut(
        erasure_id=erasure.id,
        status=privacy.ErasureStatus.done if done else privacy.ErasureStatus.pending,
        requested_at=erasure.requested_at,
        leads=len(erasure.lead_ids),
        suppressed=erasure.suppressed,
        services=[ServicePart(**vars(part)) for part in parts],
    )


@router.post(
    "/erasures",
    status_code=202,
    response_model=ErasureOut,
    responses={422: {}, 503: {"description": "Her leads kept changing while being locked; try again"}},
    summary="Erase a person everywhere: capture at once, every other service within seconds",
)
async def request_erasure(
    body: ErasureInput,
    principal: Annotated[Principal, requires(Scope.privacy_admin)],
    settings: CaptureSettingsDep,
    erasures: ErasuresDep,
    response: Response,
) -> ErasureOut:
    identifiers = _normalized(body.email, body.phone, settings.default_region)
    erasure = await erasures.request(
        principal,
        email=identifiers.get("email"),
        phone=identifiers.get("phone"),
        lead_id=body.lead_id,
        suppress=body.suppress,
    )
    response.headers["Location"] = f"/v1/privacy/erasures/{erasure.id}"
    return erasure_out(erasure)


@router.get(
    "/erasures/{erasure_id}",
    response_model=ErasureOut,
    responses={404: {}},
    summary="An erasure's progress, per service",
)
async def get_erasure(
    erasure_id: uuid.UUID,
    principal: Annotated[Principal, requires(Scope.privacy_admin)],
    erasures: ErasuresDep,
) -> ErasureOut:
    return erasure_out(await erasures.find(erasure_id))


class PersonExport(BaseModel):
    exported_at: datetime
    asked_for: dict[str, str | None]
    lead_ids: list[uuid.UUID] = Field(description="The person's leads, merged and erased ones too")
    do_not_contact: bool | None = Field(
        description="Whether an email or phone asked for, or held by the person's leads, is on the"
        " list; null when there is none to look up (an erased person asked for by lead id: ask"
        " with her email or phone)"
    )
    services: dict[str, dict[str, list[dict[str, Any]]]] = Field(
        description="Service → table → the rows about the person's leads, as stored (submissions"
        " keep each raw body: where and how consent was given)"
    )


@router.get(
    "/export",
    response_model=PersonExport,
    responses={422: {}, 503: {}},
    summary="Everything every service holds about a person, as one document (right of access)",
)
async def export_person(
    principal: Annotated[Principal, requires(Scope.privacy_admin)],
    settings: CaptureSettingsDep,
    exports: ExportsDep,
    request: Request,
    email: Annotated[StorableText | None, Query(max_length=320)] = None,
    phone: Annotated[StorableText | None, Query(max_length=64)] = None,
    lead_id: uuid.UUID | None = None,
) -> PersonExport:
    if not (email or phone or lead_id):
        raise Invalid.field("email", "an email, a phone or a lead_id is required")
    identifiers = _normalized(email, phone, settings.default_region)
    document = await exports.export(
        principal,
        request.headers.get("authorization", ""),
        email=identifiers.get("email"),
        phone=identifiers.get("phone"),
        lead_id=lead_id,
    )
    return PersonExport.model_validate(document)
