"""The scoring service: app factory and entry point."""

from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_scoring import api
from leadflow_scoring.consumers import ScoringHandlers
from leadflow_scoring.rules import default_rules
from leadflow_scoring.settings import ScoringSettings
from leadflow_scoring.tables import outbox

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(common: CommonSettings | None = None) -> FastAPI:
    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        handlers = ScoringHandlers(runtime, app.state.rules)
        runtime.consume(
            group="leadflow-scoring",
            topics=[runtime.topics.captured, runtime.topics.activities],
            handler=handlers.handle,
        )

    app = create_service_app(
        name="scoring",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router],
        on_start=on_start,
    )
    app.state.rules = default_rules()
    return app


def main() -> None:
    service_main(
        name="scoring",
        app_factory="leadflow_scoring.main:create_app",
        port=ScoringSettings().port,
        migrations_dir=MIGRATIONS,
    )
