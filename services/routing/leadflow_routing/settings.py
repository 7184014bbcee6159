from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadflow_common.events import Temperature


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_", env_file=".env", extra="ignore")

    port: int = 8003
    sla_seconds: float = Field(default=300, gt=0, description="Seconds a rep has to accept an assignment")
    max_attempts: int = Field(
        default=3, ge=1, description="Reps offered a lead before it goes to the senior pool"
    )
    sweep_seconds: float = Field(
        default=5.0,
        gt=0,
        description="The longest the SLA sweeper waits between looks (it wakes when the next open"
        " offer runs out, and looks at least once per SLA): capacity appearing without an event"
        " (working hours starting) is seen within this",
    )
    card_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="The longest a lead's first decision waits for its contact card (from"
        " leads.captured, which routing reads apart from the scores); then it goes out without"
        " one. 0: never waits",
    )
    lead_url_base: str = Field(
        default="http://127.0.0.1:8001",
        description="Capture's API as sales tools reach it: the card's lead URL",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8003", description="Routing as reps' browsers reach it: accept links"
    )
    link_secret: str = Field(
        default="", description="Signs accept links; empty: derived from LEADFLOW_API_KEY", repr=False
    )
    relax_hot_seconds: float = Field(
        default=120,
        ge=0,
        description="A hot lead waiting this long is offered to a senior rep whatever their territory,"
        " language and segment; twice this long, to a mid rep too, or to one who let it run out."
        " 0: never",
    )
    relax_warm_seconds: float = Field(
        default=600,
        ge=0,
        description="The same for a warm lead (the next tier: junior). 0: never",
    )

    hot_wait_limit_seconds: float = Field(
        default=120,
        ge=0,
        description="A hot lead waiting this long for a rep is said to wait too long, once per wait"
        " (`lead.waiting_too_long`; admins are told by mail or Slack). 0: never",
    )

    cold_account_leads_to_owner: bool = Field(
        default=True,
        description="A cold lead of an account with an owner goes to that owner (when they can take"
        " it) rather than to the nurture queue",
    )

    def relax_after(self) -> dict[Temperature, timedelta]:
        steps = {Temperature.hot: self.relax_hot_seconds, Temperature.warm: self.relax_warm_seconds}
        return {temperature: timedelta(seconds=s) for temperature, s in steps.items() if s > 0}
