"""Capture's FastAPI dependencies (see leadflow_common.deps). The public routes are capture's hot
path, so what they need is resolved by one provider, not one per piece: FastAPI's dependency
solving cost ~5% of capture's time with eight small providers (py-spy at 100 leads/s)."""

from typing import Annotated

from fastapi import Depends, Request

from leadflow_capture.request_keys import checked_key
from leadflow_capture.services import Intake
from leadflow_capture.settings import CaptureSettings
from leadflow_common.clients import resolve_client


async def get_intake(request: Request) -> Intake:
    """The settings, the writer and the client's key (leadflow_common.clients) of this request."""
    state = request.app.state
    peer = request.client.host if request.client else None
    client = resolve_client(peer, request.headers.getlist("x-forwarded-for"), state.trusted_proxies)
    return Intake(
        state.capture_settings, state.submission_writer, client, state.rate_limiter, state.sms_rate_limiter
    )


async def get_capture_settings(request: Request) -> CaptureSettings:
    return request.app.state.capture_settings


async def get_idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key, or 422 naming the header when it is not printable or long."""
    return checked_key(request.headers.get("idempotency-key"))


IntakeDep = Annotated[Intake, Depends(get_intake)]
CaptureSettingsDep = Annotated[CaptureSettings, Depends(get_capture_settings)]
IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]
