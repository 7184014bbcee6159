"""The webhooks service: app factory and entry point."""

from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_webhooks import api
from leadflow_webhooks.dispatcher import Dispatcher
from leadflow_webhooks.services import WebhooksService
from leadflow_webhooks.settings import WebhooksSettings
from leadflow_webhooks.tables import outbox

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(common: CommonSettings | None = None, settings: WebhooksSettings | None = None) -> FastAPI:
    settings = settings or WebhooksSettings()

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        app.state.webhooks = webhooks = WebhooksService(runtime, settings)
        topics = runtime.topics
        runtime.consume(
            group="leadflow-webhooks",
            topics=[topics.routed, topics.scored, topics.captured, topics.merged],
            handler=webhooks.fan_out,
        )
        runtime.background(Dispatcher(runtime, settings).run(), name="webhook-dispatcher")

    return create_service_app(
        name="webhooks",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router],
        on_start=on_start,
    )


def main() -> None:
    service_main(
        name="webhooks",
        app_factory="leadflow_webhooks.main:create_app",
        port=WebhooksSettings().port,
        migrations_dir=MIGRATIONS,
    )
