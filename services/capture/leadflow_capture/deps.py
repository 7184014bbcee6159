"""Capture's FastAPI dependencies (see leadflow_common.deps). The public routes are capture's hot
path, so what they need is resolved by one provider, not one per piece: FastAPI's dependency
solving cost ~5% of capture's time with eight small providers (py-spy at 100 leads/s)."""

import math
import time
from typing import Annotated

from fastapi import Depends, Request

from leadflow_capture import metrics
from leadflow_capture.api.bodies import from_browser_form
from leadflow_capture.app.services import Intake, PublicIntake
from leadflow_capture.domain.request_keys import checked_key
from leadflow_capture.settings import CaptureSettings
from leadflow_common.clients import resolve_client
from leadflow_common.http import Problem


async def get_intake(request: Request) -> Intake:
    """The settings, the writer and the client's key (leadflow_common.clients) of this request."""
    state = request.app.state
    peer = request.client.host if request.client else None
    client = resolve_client(peer, request.headers.getlist("x-forwarded-for"), state.trusted_proxies)
    return Intake(
        state.capture_settings,
        state.submission_writer,
        client,
        state.rate_limiter,
        state.sms_rate_limiter,
        state.submission_latencies,
    )


async def get_capture_settings(request: Request) -> CaptureSettings:
    return request.app.state.capture_settings


async def get_idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key, or 422 naming the header when it is not printable or long."""
    return checked_key(request.headers.get("idempotency-key"))


class RateLimited(Problem):
    """429; a person's browser posting a form gets a page they can read (main.py)."""

    def __init__(self, wait: float, *, from_browser_form: bool):
        super().__init__(
            429,
            "Too many requests",
            "Too many submissions from this client; try again later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
        self.from_browser_form = from_browser_form


def limit_submissions(request: Request, intake: Intake) -> None:
    """429 once a client has used up its per-minute submissions (CAPTURE_RATE_LIMIT)."""
    if intake.submissions_limit is None:
        return
    wait = intake.submissions_limit.take(intake.client, time.monotonic())
    if wait:
        metrics.RATE_LIMITED.inc()
        raise RateLimited(wait, from_browser_form=from_browser_form(request))


async def get_public_intake(request: Request) -> "PublicIntake":
    """What a public form or popup post needs, in one provider (each dependency costs capture
    CPU on its hottest path): the intake, the checked Idempotency-Key, and the client's
    per-minute allowance taken (429 when used up)."""
    intake = await get_intake(request)
    key = checked_key(request.headers.get("idempotency-key"))
    limit_submissions(request, intake)
    return PublicIntake(intake, key)


IntakeDep = Annotated[Intake, Depends(get_intake)]
PublicIntakeDep = Annotated[PublicIntake, Depends(get_public_intake)]
CaptureSettingsDep = Annotated[CaptureSettings, Depends(get_capture_settings)]
IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]
