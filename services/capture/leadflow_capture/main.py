"""The capture service: app factory and entry point."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from leadflow_capture import api, api_sms, api_tracking
from leadflow_capture.domain import LeadInput
from leadflow_capture.intake import SubmissionWriter
from leadflow_capture.ratelimit import TokenBuckets
from leadflow_capture.settings import CaptureSettings
from leadflow_capture.tables import outbox
from leadflow_common.app import create_service_app
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings

MIGRATIONS = Path(__file__).parent / "migrations"


async def start_writers(app: FastAPI, runtime: ServiceRuntime) -> None:
    settings: CaptureSettings = app.state.capture_settings
    writer = SubmissionWriter(
        runtime.engine,
        runtime.topics,
        runtime.relay,
        max_batch=settings.write_batch,
        max_waiting=settings.max_waiting,
    )
    for number in range(settings.writers):
        runtime.background(writer.run(), name=f"submission-writer-{number}")
    app.state.submission_writer = writer


def create_app(common: CommonSettings | None = None, settings: CaptureSettings | None = None) -> FastAPI:
    settings = settings or CaptureSettings()
    app = create_service_app(
        name="capture",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router, api_sms.router, api_tracking.router],
        extra_schemas=(LeadInput, api_tracking.ActivityInput, api_tracking.OutcomeInput),
        on_start=start_writers,
    )
    app.state.capture_settings = settings
    app.state.rate_limiter = TokenBuckets(settings.rate_limit) if settings.rate_limit else None
    if settings.origins:
        # Browsers on these origins only may post cross-origin (popups, script-posted forms).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["POST"],
            allow_headers=["Content-Type", "Idempotency-Key"],
            max_age=600,
        )
    return app


def main() -> None:
    service_main(
        name="capture",
        app_factory="leadflow_capture.main:create_app",
        port=CaptureSettings().port,
        migrations_dir=MIGRATIONS,
    )
