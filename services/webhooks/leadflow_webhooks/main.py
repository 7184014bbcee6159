"""The webhooks service (the hand-off: signed webhooks for sales tools, notices for reps): app
factory and entry point."""

from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.erasure import apply_erasures
from leadflow_common.events import CloudEvent
from leadflow_common.export import held_router
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_webhooks.api import endpoints as api
from leadflow_webhooks.api import notify as api_notify
from leadflow_webhooks.app.dispatcher import Dispatcher
from leadflow_webhooks.app.notifier import NOTICE_TYPES, Notifier
from leadflow_webhooks.app.outbound import OutboundClient
from leadflow_webhooks.app.services import TOLD_TO_EVERY_ENDPOINT, WebhooksService
from leadflow_webhooks.settings import NotifySettings, WebhooksSettings
from leadflow_webhooks.store import erasing
from leadflow_webhooks.store.tables import HOLDINGS, outbox

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(
    common: CommonSettings | None = None,
    settings: WebhooksSettings | None = None,
    notify: NotifySettings | None = None,
) -> FastAPI:
    settings = settings or WebhooksSettings()
    notify = notify or NotifySettings()

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        slack = OutboundClient(settings.hosts_allowed, settings.timeout_seconds, settings.concurrency)
        runtime.on_stop(slack.close)
        # Test events go out through the same guarded client (the notifier's slots).
        app.state.webhooks = webhooks = WebhooksService(runtime, settings, slack)
        topics = runtime.topics
        notifier = Notifier(runtime, notify, slack)

        async def handle(events: list[CloudEvent]) -> None:
            # One consumer group for both: each group costs the broker its polls.
            await webhooks.fan_out(events)
            # After the fan-out: an erasure cancels what is pending, not its own notice.
            await apply_erasures(runtime, events, erasing.erase_leads)
            await notifier.record(events)

        async def handled_types() -> frozenset[str]:
            # Most events (captured, scored) have no subscriber: skipped before decoding.
            return await webhooks.subscribed_types() | NOTICE_TYPES | frozenset(TOLD_TO_EVERY_ENDPOINT)

        async def opened_types() -> frozenset[str]:
            # Handled but not opened: lead.scored (its card is routing's: a subscriber to scores
            # never had personal data) and what every endpoint is told.
            return (await webhooks.subscribed_types() - {"lead.scored"}) | NOTICE_TYPES

        runtime.consume(
            group="leadflow-webhooks",
            topics=[topics.routed, topics.scored, topics.captured, topics.merged, topics.accounts],
            handler=handle,
            opens=opened_types,
            handles=handled_types,
        )
        dispatcher = Dispatcher(runtime, settings, webhooks.deliveries_due)
        runtime.background(dispatcher.run(), name="webhook-dispatcher")
        runtime.background(notifier.run(), name="notifier")

    app = create_service_app(
        name="webhooks",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router, api_notify.router, held_router("webhooks", HOLDINGS)],
        on_start=on_start,
    )
    app.state.notify_settings = notify  # whether reps can be mailed (api/notify.py)
    return app


def main() -> None:
    service_main(
        name="webhooks",
        app_factory="leadflow_webhooks.main:create_app",
        settings_class=WebhooksSettings,
        migrations_dir=MIGRATIONS,
    )
