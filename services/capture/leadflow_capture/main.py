"""The capture service: app factory and entry point."""

import os
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, Response
from starlette.types import Scope

from leadflow_capture.api import accounts as accounts_api
from leadflow_capture.api import leads as api_leads
from leadflow_capture.api import privacy as api_privacy
from leadflow_capture.api import sms as api_sms
from leadflow_capture.api import submissions as api
from leadflow_capture.api import tracking as api_tracking
from leadflow_capture.api.bodies import from_browser_form
from leadflow_capture.api.visitor_pages import page_response, problem_page
from leadflow_capture.app.account_backfill import AccountBackfill
from leadflow_capture.app.account_following import record_account_news
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
from leadflow_capture.app.retention import Retention
from leadflow_capture.deps import RateLimited, app_state
from leadflow_capture.domain.accounts import load_suffixes
from leadflow_capture.domain.leads import LeadInput
from leadflow_capture.settings import CaptureSettings
from leadflow_capture.store.tables import outbox
from leadflow_common.app import create_service_app
from leadflow_common.errors import LeadflowError
from leadflow_common.events import (
    TYPE_OF,
    AccountOwnerChanged,
    AccountScored,
    AssignmentChanged,
    CloudEvent,
    ErasureApplied,
    LeadNurtured,
    LeadReassigned,
    LeadRouted,
)
from leadflow_common.http import problem_response
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings

MIGRATIONS = Path(__file__).parent / "store" / "migrations"
PUBLIC_CHANNELS = ("landing-page", "popup", "sms")
LANDING_PAGE = "/v1/leads/landing-page"
API_PATHS = ("/v1/leads", "/v1/activities", "/v1/outcomes")
# The events capture's access group acts on: who holds each lead (lead_access.rep_now), the
# services' erasure answers, accounts' owners and scores (account_following).
FOLLOWED_TYPES = frozenset(
    TYPE_OF[model]
    for model in (
        LeadRouted,
        LeadReassigned,
        LeadNurtured,
        AssignmentChanged,
        ErasureApplied,
        AccountOwnerChanged,
        AccountScored,
    )
)


def _ignored_origins(settings: CaptureSettings) -> str | None:
    """What /readyz says of allowed origins that are not origins (never matched: ignored)."""
    if not settings.malformed_origins:
        return None
    ignored = ", ".join(settings.malformed_origins)
    return f"CAPTURE_ALLOWED_ORIGINS: not origins (scheme://host[:port]), ignored: {ignored}"


async def start_writers(app: FastAPI, runtime: ServiceRuntime) -> None:
    settings = app_state(app).capture_settings
    runtime.report_condition("allowed_origins", lambda: _ignored_origins(settings))
    app.state.lead_reader = reader = LeadReader(runtime, settings.default_region)
    load_suffixes()  # what matching leads to accounts reads, parsed before the first lead
    app.state.account_reader = AccountReader(runtime)
    app.state.account_links = AccountLinks(runtime)
    app.state.account_merges = AccountMerges(runtime)
    app.state.erasures = erasures = Erasures(runtime)
    app.state.do_not_contact = DoNotContact(runtime)
    peers = {
        "scoring": settings.scoring_url,
        "routing": settings.routing_url,
        "webhooks": settings.webhooks_url,
        "console": runtime.settings.leadflow_console_url,
    }
    # No console configured (LEADFLOW_CONSOLE_URL empty): there is none to ask.
    app.state.exports = Exports(runtime, {name: url for name, url in peers.items() if url})
    app.state.retention = retention = Retention(runtime, erasures, settings)
    if retention.enabled:
        runtime.background(retention.run(), name="retention")
    if settings.account_backfill:
        backfill = AccountBackfill(
            runtime,
            batch=settings.account_backfill_batch,
            pause_seconds=settings.account_backfill_pause_seconds,
        )
        runtime.background(backfill.run(), name="account-backfill")

    async def follow(events: list[CloudEvent]) -> None:
        await reader.record_routing(events)
        await erasures.record_answers(events)
        await record_account_news(runtime, events)  # accounts' owners and scores

    # Who may read a lead, and how far erasures got: its own group, so it never waits behind
    # capture's own work.
    runtime.consume(
        group="leadflow-capture-access",
        topics=[runtime.topics.routed, runtime.topics.erased, runtime.topics.accounts],
        handler=follow,
        opens=frozenset(),  # the rep of each decision and erasure answers: no personal data
        # What `follow` acts on; the rest (capture's own lead.matched and account.updated, one
        # per lead, lead.erased, ...) is skipped by its ce_type header before it is decoded.
        handles=FOLLOWED_TYPES,
    )
    writer = SubmissionWriter(
        runtime.unit_of_work,
        runtime.topics,
        max_batch=settings.write_batch,
        max_waiting=settings.max_waiting,
        gap_seconds=settings.write_gap_ms / 1000,
        # A secret every deployment has (production refuses a placeholder); without one, this
        # process's own, so no one can compute a listed person's ids from her email.
        decoy_secret=runtime.settings.leadflow_api_key.encode() or os.urandom(32),
    )
    for number in range(settings.writers):
        runtime.background(writer.run(), name=f"submission-writer-{number}")
    app.state.submission_writer = writer


RATE_LIMITED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Please try again</title>
</head><body><h1>Please try again in a minute</h1>
<p>We received many forms from your network just now, so yours was not sent. Nothing is wrong
with what you entered: go back, wait a minute, and send it again.</p></body></html>"""


async def answer_rate_limited(request: Request, limited: RateLimited) -> Response:
    """A person whose browser posted the form reads a page; a script reads problem+json."""
    if limited.from_browser_form:
        return HTMLResponse(RATE_LIMITED_PAGE, status_code=429, headers=limited.headers)
    return problem_response(limited, request.url.path)


async def answer_problem(request: Request, problem: LeadflowError) -> Response:
    """A person whose browser posted the landing page form reads, in words, which fields to
    correct and what they typed there; a script or an API client reads problem+json."""
    if request.url.path == LANDING_PAGE and from_browser_form(request):
        submitted = getattr(request.state, "submitted", {})
        page = problem_page(problem, submitted, request.headers.get("referer"))
        return page_response(page, problem.status, problem.headers)
    return problem_response(problem, request.url.path)


def refused_form_page(scope: Scope, problem: LeadflowError) -> Response | None:
    """A body refused before the route ran (too long): a page for a person's browser."""
    request = Request(scope)
    if request.url.path != LANDING_PAGE or not from_browser_form(request):
        return None
    return page_response(problem_page(problem, {}, request.headers.get("referer")), problem.status)


def create_app(common: CommonSettings | None = None, settings: CaptureSettings | None = None) -> FastAPI:
    settings = settings or CaptureSettings()
    common = common or CommonSettings()
    public = {f"/v1/leads/{channel}": settings.public_max_body_bytes for channel in PUBLIC_CHANNELS}
    app = create_service_app(
        name="capture",
        common=common,
        outbox=outbox,
        routers=[
            api.router,
            api_sms.router,
            api_tracking.router,
            api_leads.router,
            api_privacy.router,
            accounts_api.router,
        ],
        extra_schemas=(LeadInput, api_tracking.ActivityInput, api_tracking.OutcomeInput),
        on_start=start_writers,
        body_limits={**{path: settings.max_body_bytes for path in API_PATHS}, **public},
        refusal_page=refused_form_page,
    )
    app.add_exception_handler(LeadflowError, answer_problem)
    app.add_exception_handler(RateLimited, answer_rate_limited)
    app.state.capture_settings = settings
    app.state.trusted_proxies = common.trusted_proxies
    app.state.rate_limiter = TokenBuckets(settings.rate_limit) if settings.rate_limit else None
    app.state.submission_latencies = RecentLatencies()
    app.state.sms_rate_limiter = TokenBuckets(settings.sms_rate_limit) if settings.sms_rate_limit else None
    if settings.origins:
        # Browsers on these origins only may post cross-origin (popups, script-posted forms).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["POST"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            # popup.js waits what a 429 or 503 names before sending again.
            expose_headers=["Retry-After"],
            max_age=600,
        )
    return app


def main() -> None:
    service_main(
        name="capture",
        app_factory="leadflow_capture.main:create_app",
        settings_class=CaptureSettings,
        migrations_dir=MIGRATIONS,
    )
