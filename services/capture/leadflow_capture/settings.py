from functools import cached_property
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadflow_common.origins import split_origins


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


class CaptureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAPTURE_", env_file=".env", extra="ignore")

    port: int = 8001
    # Retention (retention.py): off by default.
    retain_inactive_days: float = Field(
        default=0,
        ge=0,
        description="Erase leads without a submission, activity or outcome for this many days; 0: keep",
    )
    retain_raw_bodies_days: float = Field(
        default=0, ge=0, description="Drop submissions' raw bodies older than this; 0: keep"
    )
    retention_check_seconds: float = Field(default=3600, gt=0, description="How often retention looks")
    # The account backfill (account_backfill.py): leads stored before accounts existed, matched.
    account_backfill: bool = Field(
        default=True, description="Match leads captured before accounts existed, once, at start"
    )
    account_backfill_batch: int = Field(
        default=200, ge=1, le=5000, description="Leads per backfill transaction"
    )
    account_backfill_pause_seconds: float = Field(
        default=0.5, ge=0, le=60, description="Pause between backfill batches (new submissions go first)"
    )
    # Where the export asks the other services what they hold (the console: LEADFLOW_CONSOLE_URL).
    scoring_url: str = "http://127.0.0.1:8002"
    routing_url: str = "http://127.0.0.1:8003"
    webhooks_url: str = "http://127.0.0.1:8004"
    allowed_origins: str = Field(default="", description="Origins allowed for CORS and redirect_to")
    rate_limit: int = Field(
        default=60, ge=0, description="Public submissions per minute per client; 0 turns it off"
    )
    default_region: str = "US"
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Largest body of the API routes")
    public_max_body_bytes: int = Field(
        default=32 * 1024, ge=1024, description="Largest body of a public form, popup or SMS post"
    )
    write_batch: int = Field(default=100, ge=1, description="Most submissions committed together")
    writers: int = Field(default=2, ge=1, description="Transactions writing submissions at once")
    write_gap_ms: int = Field(
        default=60, ge=0, le=1000, description="Under load, how far apart a writer begins its batches"
    )
    max_waiting: int = Field(
        default=2000, ge=1, description="Submissions waiting to be written; more get 503"
    )
    blocked_email_domains: str = Field(
        default="",
        description="Comma-separated domains whose emails are refused, with every domain under them",
    )
    allow_premium_numbers: bool = Field(
        default=False,
        description="Accept premium-rate and shared-cost phone numbers on the public form, popup and SMS",
    )
    public_url: str = Field(
        default="", description="Public base URL the SMS provider calls (signature behind a proxy)"
    )
    sms_enabled: bool = Field(default=True, description="Whether POST /v1/leads/sms takes messages")
    sms_account_sid: str = Field(
        default="",
        validation_alias=AliasChoices("SMS_ACCOUNT_SID", "CAPTURE_SMS_ACCOUNT_SID"),
        description="When set, inbound SMS must name this Twilio account (AccountSid)",
    )
    sms_rate_limit: int = Field(default=10, ge=0, description="Inbound SMS per minute per sender; 0: off")
    leadflow_env: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("LEADFLOW_ENV")
    )
    sms_auth_token: str = Field(
        default="",
        validation_alias=AliasChoices("SMS_AUTH_TOKEN", "CAPTURE_SMS_AUTH_TOKEN"),
        description="When set, inbound SMS must carry a valid X-Twilio-Signature",
    )
    sms_reply: str = Field(
        default="Thanks! We'll be in touch soon.", description="TwiML reply; empty sends none"
    )
    sms_keywords: str = Field(
        default="DEMO=demo,PRICE=pricing,PRICING=pricing,INFO=info",
        description="WORD=campaign pairs: an SMS starting with WORD is tagged with that campaign",
    )

    @model_validator(mode="after")
    def production_verifies_sms(self) -> "CaptureSettings":
        """Unsigned SMS would let anyone speak for any phone number (and withdraw its consent);
        a signed URL taken from the request's Host header would let a client choose it."""
        if self.leadflow_env == "production" and self.sms_enabled:
            if not self.sms_auth_token or not self.public_url:
                raise ValueError(
                    "in production inbound SMS needs SMS_AUTH_TOKEN and CAPTURE_PUBLIC_URL"
                    " (or CAPTURE_SMS_ENABLED=false)"
                )
        return self

    @cached_property
    def origins(self) -> list[str]:
        """The allowed origins; an entry that is not one is left out (`malformed_origins`)."""
        return split_origins(self.allowed_origins)[0]

    @cached_property
    def malformed_origins(self) -> list[str]:
        return split_origins(self.allowed_origins)[1]

    @property
    def blocked_domains(self) -> frozenset[str]:
        """`spam.example`, `.spam.example` and `*.spam.example` all name spam.example and below."""
        return frozenset(
            domain.lower().lstrip("*.").rstrip(".") for domain in _split(self.blocked_email_domains)
        )

    @property
    def keyword_campaigns(self) -> dict[str, str]:
        pairs = (item.split("=", 1) for item in _split(self.sms_keywords) if "=" in item)
        return {word.strip().upper(): campaign.strip() for word, campaign in pairs}
