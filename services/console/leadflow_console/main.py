"""The console service: accounts, API keys, the audit trail (and, next, the web app)."""

import uuid
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from leadflow_common.app import create_service_app
from leadflow_common.credential_sync import Refresh
from leadflow_common.credentials import CredentialsState
from leadflow_common.runtime import ServiceRuntime
from leadflow_common.service import service_main
from leadflow_common.settings import CommonSettings
from leadflow_console import api, api_keys
from leadflow_console.services import AccountsService
from leadflow_console.settings import ConsoleSettings
from leadflow_console.tables import outbox

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(common: CommonSettings | None = None, settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    async def on_start(app: FastAPI, runtime: ServiceRuntime) -> None:
        app.state.accounts = accounts = AccountsService(runtime, settings)
        await accounts.prepare()
        runtime.consume(
            group="leadflow-console-audit", topics=[runtime.topics.audit], handler=accounts.record_audit
        )

    def own_tables(app: FastAPI) -> Refresh:
        # The console verifies credentials from its own tables, not over HTTP to itself.
        async def refresh(uses: dict[str, datetime]) -> CredentialsState:
            return await app.state.accounts.credentials_state({uuid.UUID(k): at for k, at in uses.items()})

        return refresh

    return create_service_app(
        name="console",
        common=common or CommonSettings(),
        outbox=outbox,
        routers=[api.router, api_keys.router],
        on_start=on_start,
        credentials_refresh=own_tables,
    )


def main() -> None:
    service_main(
        name="console",
        app_factory="leadflow_console.main:create_app",
        port=ConsoleSettings().port,
        migrations_dir=MIGRATIONS,
    )
