"""What every event shares: the bands, channels and tiers, the base of every event's data, and
the small parts several events carry (a rep, a score's reasons). `events.py` re-exports them."""

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

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
