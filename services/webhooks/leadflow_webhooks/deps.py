"""The webhooks service's FastAPI dependencies (see leadflow_common.deps), over what main.py's
lifespan puts on `app.state`, typed: providers are the only readers of the state."""

from typing import Annotated, Protocol, cast

from fastapi import Depends, Request

from leadflow_common.deps import provider
from leadflow_webhooks.app.services import WebhooksService
from leadflow_webhooks.settings import NotifySettings


class WebhooksAppState(Protocol):
    webhooks: WebhooksService
    notify_settings: NotifySettings


def state_of(request: Request) -> WebhooksAppState:
    return cast(WebhooksAppState, request.app.state)


get_webhooks = provider(state_of, lambda state: state.webhooks)
get_mail_on = provider(state_of, lambda state: bool(state.notify_settings.smtp_host))


WebhooksDep = Annotated[WebhooksService, Depends(get_webhooks)]
MailOnDep = Annotated[bool, Depends(get_mail_on)]
