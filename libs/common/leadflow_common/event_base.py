"""What every event shares: the bands, channels and tiers, the base of every event's data, and
the small parts several events carry (a rep, a score's reasons), and the CloudEvents envelope.
`events.py` re-exports them."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

AttributeValue = str | int | float | bool


class Temperature(StrEnum):
    cold = "cold"
    warm = "warm"
    hot = "hot"


class Channel(StrEnum):
    landing_page = "landing_page"
    popup = "popup"
    sms = "sms"
    api = "api"
    import_ = "import"


class Tier(StrEnum):
    junior = "junior"
    mid = "mid"
    senior = "senior"


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ScoreReason(BaseModel):
    factor: str
    points: float


class RepRef(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    tier: Tier


@dataclass(frozen=True)
class Outgoing:
    """An event to publish about a lead, as pure code plans it (the unit of work stamps it:
    `UnitOfWork.publish_all`)."""

    data: EventData
    subject: uuid.UUID | str


DataT = TypeVar("DataT", bound=EventData)


class CloudEvent(BaseModel, Generic[DataT]):
    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    time: datetime
    subject: str = Field(description="The lead id (audit events: the target's id, or the actor)")
    datacontenttype: Literal["application/json"] = "application/json"
    data: DataT


class ConsentGrant(BaseModel):
    """Whether a person agreed to be contacted on one channel, when, and where they said so."""

    granted: bool
    at: datetime
    channel: Channel


class Attribution(BaseModel):
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None
    term: str | None = None
    content: str | None = None
    referrer: str | None = None
    landing_url: str | None = None
