"""The console service: accounts, API keys, the audit trail, and the web app over its read models."""

import uuid
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.credential_sync import Refresh
from leadflow_common.credentials import CredentialsState
from leadflow_common.erasure import apply_erasures
from leadflow_common.events import CloudEvent
from leadflow_common.export import held_router
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_console.api import auth as api
from leadflow_console.api import keys as api_keys
from leadflow_console.api.web.app import install_web_app
from leadflow_console.api.web.upstream import Upstream
from leadflow_console.app import live
from leadflow_console.app.account_reads import AccountReads
from leadflow_console.app.preferences import Preferences
from leadflow_console.app.read_model import ReadModel
from leadflow_console.app.reps import RepDirectory
from leadflow_console.app.services import AccountsService
from leadflow_console.deps import app_state
from leadflow_console.settings import ConsoleSettings
from leadflow_console.store import erasing
from leadflow_console.store.read_tables import HOLDINGS, processed_events
from leadflow_console.store.tables import outbox

MIGRATIONS = Path(__file__).parent / "store" / "migrations"


def create_app(common: CommonSettings | None = None, settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        reps = RepDirectory(settings.routing_url, runtime.settings.leadflow_api_key)
        runtime.on_stop(reps.close)
        app.state.accounts = accounts = AccountsService(runtime, settings, reps)
        await accounts.prepare()
        app.state.page_secret = accounts.page_secret
        app.state.read_model = read_model = ReadModel(runtime)
        app.state.account_reads = AccountReads(runtime)
        app.state.default_region = settings.default_region  # the leads page reads phone numbers in it
        app.state.preferences = Preferences(runtime)

        async def keep_trail_and_read_models(events: list[CloudEvent]) -> None:
            await accounts.record_audit(events)  # idempotent by event id, like the read models
            await apply_erasures(runtime, events, erasing.erase_leads, then=read_model.erased)
            await read_model.apply_events(events)

        # One consumer group for the audit trail and the read models: one subscription for the
        # broker to poll, and each audit entry fetched once.
        topics = runtime.topics
        runtime.consume(
            group="leadflow-console",
            topics=[
                *(topics.captured, topics.merged, topics.activities, topics.outcomes),
                *(topics.scored, topics.routed, topics.accounts, topics.audit),
            ],
            handler=keep_trail_and_read_models,
            opens=frozenset({"lead.captured", "lead.merged"}),  # the read models keep profiles only
            batch_gap_ms=settings.read_model_gap_ms,
        )
        changed = (read_model.changed, read_model.accounts_changed, read_model.leads_changed)
        live.listen(runtime.listener, *changed, accounts.admin_changed, accounts.audit_changed)
        app.state.upstream = upstream = Upstream(settings)
        runtime.on_stop(upstream.close)

    def own_tables(app: FastAPI) -> Refresh:
        # The console verifies credentials from its own tables, not over HTTP to itself.
        async def refresh(uses: dict[str, datetime]) -> CredentialsState:
            state = {uuid.UUID(k): at for k, at in uses.items()}
            return await app_state(app).accounts.credentials_state(state)

        return refresh

    app = create_service_app(
        name="console",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router, api_keys.router, held_router("console", HOLDINGS)],
        on_start=on_start,
        processed_events=processed_events,
        credentials_refresh=own_tables,
    )
    install_web_app(app)
    return app


def main() -> None:
    service_main(
        name="console",
        app_factory="leadflow_console.main:create_app",
        settings_class=ConsoleSettings,
        migrations_dir=MIGRATIONS,
    )
