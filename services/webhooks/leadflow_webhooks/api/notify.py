"""How each rep is told of offers: mail (on by default) and a Slack incoming webhook."""

import uuid
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field

from leadflow_common.access import Principal, Scope
from leadflow_common.auth import requires
from leadflow_common.inputs import InputModel
from leadflow_webhooks.app.services import Channels
from leadflow_webhooks.deps import MailOnDep, WebhooksDep
from leadflow_webhooks.domain.schemas import Url

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])
RoutingAdmin = Annotated[Principal, requires(Scope.routing_admin)]
RoutingReader = Annotated[Principal, requires(Scope.routing_read)]


class RepChannels(InputModel):
    """The whole setting (PUT): a field left out takes its default."""

    email: bool = True
    slack_url: Url | None = Field(None, description="A Slack incoming webhook; `null`: no Slack")


class Notifications(BaseModel):
    mail: bool = Field(
        description="Whether this system can mail reps (SMTP_HOST is set): without it, a rep with no"
        " console account hears of an offer only by Slack, where set"
    )


@router.get("", summary="How this system can tell reps of offers")
async def notifications(principal: RoutingReader, mail_on: MailOnDep) -> Notifications:
    return Notifications(mail=mail_on)


@router.get("/reps/{rep_id}", summary="How a rep is told of offers")
async def rep_channels(rep_id: uuid.UUID, principal: RoutingAdmin, webhooks: WebhooksDep) -> RepChannels:
    channels = await webhooks.channels(rep_id)
    return RepChannels.model_validate({"email": channels.email, "slack_url": channels.slack_url})


@router.put("/reps/{rep_id}", summary="Set how a rep is told of offers", responses={422: {}})
async def set_rep_channels(
    rep_id: uuid.UUID, body: RepChannels, principal: RoutingAdmin, webhooks: WebhooksDep
) -> RepChannels:
    slack = str(body.slack_url) if body.slack_url else None
    await webhooks.set_channels(principal, Channels(rep_id, body.email, slack))
    return body
