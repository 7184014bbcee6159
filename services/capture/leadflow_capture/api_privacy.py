"""Privacy routes: the do-not-contact list."""

from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from leadflow_capture import privacy, repository
from leadflow_capture.deps import CaptureSettingsDep
from leadflow_capture.domain import normalize_email, normalize_phone
from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.deps import RuntimeDep
from leadflow_common.errors import Invalid
from leadflow_common.inputs import InputModel

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])


class SuppressionInput(InputModel):
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    reason: Literal["objection", "erasure", "other"] = Field(
        default="objection", description="Why: the person objected, was erased, or otherwise"
    )

    @model_validator(mode="after")
    def names_someone(self) -> "SuppressionInput":
        if not (self.email or self.phone):
            raise ValueError("an email or a phone is required")
        return self


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
    runtime: RuntimeDep,
    settings: CaptureSettingsDep,
) -> SuppressionAdded:
    identifiers: dict[str, str] = {}
    for kind, value, normalize in (
        ("email", body.email, normalize_email),
        ("phone", body.phone, lambda v: normalize_phone(v, settings.default_region)),
    ):
        if value:
            try:
                identifiers[kind] = normalize(value)
            except ValueError as error:
                raise Invalid.field(kind, str(error)) from None
    rows = [
        {
            "digest": privacy.digest(kind, value),
            "kind": kind,
            "reason": body.reason,
            "added_by": principal.actor,
        }
        for kind, value in identifiers.items()
    ]
    async with runtime.unit_of_work() as uow:
        # The intake's locks on the same person: a batch writing them commits before, or sees this.
        await uow.lock([f"{kind}:{value}" for kind, value in identifiers.items()])
        await repository.add_suppressions(uow.connection, rows)
        # Ids only in the trail: a digest's first characters, never the email or phone.
        for row in rows:
            await uow.audit(
                principal, "suppression.added", ("suppression", row["digest"][:16]), reason=body.reason
            )
    return SuppressionAdded(suppressed=sorted(identifiers))
