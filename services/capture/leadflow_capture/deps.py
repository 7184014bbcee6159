"""Capture's FastAPI dependencies (see leadflow_common.deps). The public routes are capture's hot
path, so what they need is resolved by one function they call first thing, not by FastAPI's
dependency solving: that cost ~5% of capture's time with eight small providers, and still ~5%
with one (py-spy at 100 and 200 leads/s)."""

import math
import time
from typing import Annotated, Protocol, cast

from fastapi import Depends, FastAPI, Request

from leadflow_capture import metrics
from leadflow_capture.api.bodies import from_browser_form
from leadflow_capture.app.account_linking import AccountLinks
from leadflow_capture.app.account_merging import AccountMerges
from leadflow_capture.app.account_reading import AccountReader
from leadflow_capture.app.do_not_contact import DoNotContact
from leadflow_capture.app.erasing import Erasures
from leadflow_capture.app.exporting import Exports
from leadflow_capture.app.intake import SubmissionWriter
from leadflow_capture.app.pacing import RecentLatencies
from leadflow_capture.app.ratelimit import TokenBuckets
from leadflow_capture.app.reading import LeadReader
from leadflow_capture.app.services import Intake, PublicIntake
from leadflow_capture.domain.request_keys import checked_key
from leadflow_capture.settings import CaptureSettings
from leadflow_common.clients import IPNetwork, resolve_client
from leadflow_common.deps import provider
from leadflow_common.http import Problem


class CaptureState(Protocol):
    """What main.py's lifespan puts on `app.state`, typed: read here only, by the providers."""

    capture_settings: CaptureSettings
    trusted_proxies: tuple[IPNetwork, ...]
    submission_writer: SubmissionWriter
    rate_limiter: TokenBuckets | None
    sms_rate_limiter: TokenBuckets | None
    submission_latencies: RecentLatencies
    lead_reader: LeadReader
    erasures: Erasures
    do_not_contact: DoNotContact
    exports: Exports
    account_reader: AccountReader
    account_links: AccountLinks
    account_merges: AccountMerges


def app_state(app: FastAPI) -> CaptureState:
    return cast(CaptureState, app.state)


def state_of(request: Request) -> CaptureState:
    return app_state(request.app)


async def get_intake(request: Request) -> Intake:
    """The settings, the writer and the client's key (leadflow_common.clients) of this request."""
    state = state_of(request)
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


get_capture_settings = provider(state_of, lambda state: state.capture_settings)
get_lead_reader = provider(state_of, lambda state: state.lead_reader)
get_do_not_contact = provider(state_of, lambda state: state.do_not_contact)
get_erasures = provider(state_of, lambda state: state.erasures)
get_exports = provider(state_of, lambda state: state.exports)
get_account_reader = provider(state_of, lambda state: state.account_reader)
get_account_links = provider(state_of, lambda state: state.account_links)
get_account_merges = provider(state_of, lambda state: state.account_merges)


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
    """What a public form or popup post needs, called by the route before it reads the body
    (a dependency costs capture CPU on its hottest path): the intake, the checked
    Idempotency-Key, and the client's per-minute allowance taken (429 when used up)."""
    intake = await get_intake(request)
    key = checked_key(request.headers.get("idempotency-key"))
    limit_submissions(request, intake)
    return PublicIntake(intake, key)


IntakeDep = Annotated[Intake, Depends(get_intake)]
CaptureSettingsDep = Annotated[CaptureSettings, Depends(get_capture_settings)]
IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]
LeadReaderDep = Annotated[LeadReader, Depends(get_lead_reader)]
DoNotContactDep = Annotated[DoNotContact, Depends(get_do_not_contact)]
ErasuresDep = Annotated[Erasures, Depends(get_erasures)]
ExportsDep = Annotated[Exports, Depends(get_exports)]
AccountReaderDep = Annotated[AccountReader, Depends(get_account_reader)]
AccountLinksDep = Annotated[AccountLinks, Depends(get_account_links)]
AccountMergesDep = Annotated[AccountMerges, Depends(get_account_merges)]
