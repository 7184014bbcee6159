"""The console's dependencies, over what main.py's lifespan puts on `app.state`, typed
(`ConsoleAppState`): providers, here and in `api/web/deps.py`, are the only readers of the state."""

from typing import TYPE_CHECKING, Annotated, Protocol, cast

from fastapi import Depends, FastAPI, Request

from leadflow_common.clients import resolve_client
from leadflow_common.credentials_current import CurrentCredentials
from leadflow_common.deps import provider
from leadflow_common.runtime import ServiceRuntime
from leadflow_console.app.account_reads import AccountReads
from leadflow_console.app.preferences import Preferences
from leadflow_console.app.read_model import ReadModel
from leadflow_console.app.services import AccountsService

if TYPE_CHECKING:  # the web app's modules import these dependencies
    from leadflow_console.api.web.upstream import Upstream


class ConsoleAppState(Protocol):
    runtime: ServiceRuntime
    credentials: CurrentCredentials
    accounts: AccountsService
    page_secret: bytes
    read_model: ReadModel
    default_region: str  # the leads page reads phone numbers in it
    preferences: Preferences
    upstream: "Upstream"
    account_reads: AccountReads


def app_state(app: FastAPI) -> ConsoleAppState:
    return cast(ConsoleAppState, app.state)


def state_of(request: Request) -> ConsoleAppState:
    return app_state(request.app)


get_accounts = provider(state_of, lambda state: state.accounts)
get_preferences = provider(state_of, lambda state: state.preferences)
get_credentials = provider(state_of, lambda state: state.credentials)


async def get_client(request: Request) -> str:
    """The caller's address key, as the edge tells clients apart (trusted proxies only)."""
    peer = request.client.host if request.client else None
    trusted = state_of(request).runtime.settings.trusted_proxies
    return resolve_client(peer, request.headers.getlist("x-forwarded-for"), trusted)


AccountsDep = Annotated[AccountsService, Depends(get_accounts)]
PreferencesDep = Annotated[Preferences, Depends(get_preferences)]
CredentialsDep = Annotated[CurrentCredentials, Depends(get_credentials)]
ClientDep = Annotated[str, Depends(get_client)]
