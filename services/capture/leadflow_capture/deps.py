"""Capture's FastAPI dependencies (see leadflow_common.deps)."""

from typing import Annotated

from fastapi import Depends, Request

from leadflow_capture.intake import SubmissionWriter
from leadflow_capture.ratelimit import TokenBuckets
from leadflow_capture.request_keys import checked_key
from leadflow_capture.services import Intake
from leadflow_capture.settings import CaptureSettings
from leadflow_common.clients import IPNetwork, resolve_client


async def get_capture_settings(request: Request) -> CaptureSettings:
    return request.app.state.capture_settings


async def get_writer(request: Request) -> SubmissionWriter:
    return request.app.state.submission_writer


async def get_trusted_proxies(request: Request) -> tuple[IPNetwork, ...]:
    return request.app.state.trusted_proxies


async def get_rate_limiter(request: Request) -> TokenBuckets | None:
    return request.app.state.rate_limiter


async def get_sms_rate_limiter(request: Request) -> TokenBuckets | None:
    return request.app.state.sms_rate_limiter


CaptureSettingsDep = Annotated[CaptureSettings, Depends(get_capture_settings)]
WriterDep = Annotated[SubmissionWriter, Depends(get_writer)]
TrustedProxiesDep = Annotated[tuple[IPNetwork, ...], Depends(get_trusted_proxies)]
RateLimiterDep = Annotated[TokenBuckets | None, Depends(get_rate_limiter)]
SmsRateLimiterDep = Annotated[TokenBuckets | None, Depends(get_sms_rate_limiter)]


async def get_client(request: Request, proxies: TrustedProxiesDep) -> str:
    """The client a public request counts against (leadflow_common.clients)."""
    peer = request.client.host if request.client else None
    return resolve_client(peer, request.headers.getlist("x-forwarded-for"), proxies)


ClientDep = Annotated[str, Depends(get_client)]


async def get_intake(settings: CaptureSettingsDep, writer: WriterDep, client: ClientDep) -> Intake:
    return Intake(settings, writer, client)


IntakeDep = Annotated[Intake, Depends(get_intake)]


async def get_idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key, or 422 naming the header when it is not printable or long."""
    return checked_key(request.headers.get("idempotency-key"))


IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]
