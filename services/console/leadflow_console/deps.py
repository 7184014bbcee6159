"""The console's dependencies."""

from typing import Annotated

from fastapi import Depends, Request

from leadflow_common.clients import resolve_client
from leadflow_console.app.services import AccountsService


async def get_accounts(request: Request) -> AccountsService:
    return request.app.state.accounts


async def get_client(request: Request) -> str:
    """The caller's address key, as the edge tells clients apart (trusted proxies only)."""
    peer = request.client.host if request.client else None
    trusted = request.app.state.runtime.settings.trusted_proxies
    return resolve_client(peer, request.headers.getlist("x-forwarded-for"), trusted)


AccountsDep = Annotated[AccountsService, Depends(get_accounts)]
ClientDep = Annotated[str, Depends(get_client)]
