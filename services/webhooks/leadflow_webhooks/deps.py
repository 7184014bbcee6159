"""The webhooks service's FastAPI dependencies (see leadflow_common.deps), over what main.py's
lifespan puts on `app.state`, typed: providers are the only readers of the state."""

from typing import Annotated, Protocol, cast

from fastapi import Depends, Request

from leadflow_webhooks.app.services import WebhooksService


class WebhooksAppState(Protocol):
    webhooks: WebhooksService


async def get_webhooks(request: Request) -> WebhooksService:
    return cast(WebhooksAppState, request.app.state).webhooks


WebhooksDep = Annotated[WebhooksService, Depends(get_webhooks)]
