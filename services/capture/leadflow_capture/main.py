"""The capture service: app factory and entry point."""

from pathlib import Path

from fastapi import FastAPI

from leadflow_capture import api
from leadflow_capture.domain import LeadInput
from leadflow_capture.settings import CaptureSettings
from leadflow_capture.tables import outbox
from leadflow_common.app import create_service_app
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(common: CommonSettings | None = None, settings: CaptureSettings | None = None) -> FastAPI:
    app = create_service_app(
        name="capture",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router],
        extra_schemas=(LeadInput,),
    )
    app.state.capture_settings = settings or CaptureSettings()
    return app


def main() -> None:
    service_main(
        name="capture",
        app_factory="leadflow_capture.main:create_app",
        port=CaptureSettings().port,
        migrations_dir=MIGRATIONS,
    )
