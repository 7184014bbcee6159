from typing import Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Standard Webhooks' schedule (as Svix runs it): at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
# and 10 h — the last attempt about 27.6 hours after the event.
DEFAULT_SCHEDULE = "0,5,300,1800,7200,18000,36000,36000"


class WebhooksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", env_file=".env", extra="ignore")

    port: int = 8004
    # Hosts webhooks and Slack URLs may reach although they are or resolve to addresses that are
    # not public internet addresses (addresses.py).
    allowed_hosts: str = Field(default="", validation_alias=AliasChoices("WEBHOOKS_ALLOWED_HOSTS"))
    retry_schedule: str = Field(
        default=DEFAULT_SCHEDULE, description="Seconds before each attempt, the first after the event"
    )
    timeout_seconds: float = Field(default=10, gt=0, le=30, description="A 2xx within this counts")
    disable_after_seconds: float = Field(
        default=86_400, gt=0, description="An endpoint failing this long without a success is disabled"
    )
    concurrency: int = Field(default=16, ge=1, le=256, description="Deliveries in flight per process")
    lease_seconds: float = Field(default=60, gt=0, description="A claimed delivery is retried after this")
    poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="The longest the dispatcher waits without looking for due deliveries when "
        "nothing woke it (it wakes for the next retry it knows of; this bounds deliveries another "
        "process added, and an endpoint enabled again)",
    )

    @field_validator("retry_schedule")
    @classmethod
    def schedule_of_numbers(cls, value: str) -> str:
        delays = [float(part) for part in value.split(",")]
        if not delays or any(delay < 0 for delay in delays):
            raise ValueError("a comma-separated list of seconds, none negative")
        return value

    @property
    def delays(self) -> list[float]:
        return [float(part) for part in self.retry_schedule.split(",")]

    @property
    def hosts_allowed(self) -> frozenset[str]:
        return frozenset(host.strip().lower() for host in self.allowed_hosts.split(",") if host.strip())


class NotifySettings(BaseSettings):
    """Reps' notifications: where routing is, when to remind, and the mail server."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    routing_url: str = Field(
        default="http://127.0.0.1:8003", validation_alias=AliasChoices("WEBHOOKS_ROUTING_URL")
    )
    reminder_share: float = Field(
        default=0.8,
        gt=0,
        lt=1,
        validation_alias=AliasChoices("WEBHOOKS_REMINDER_SHARE"),
        description="A reminder when this share of the SLA has passed without an accept",
    )
    admin_emails: str = Field(
        default="",
        validation_alias=AliasChoices("WEBHOOKS_ADMIN_EMAILS"),
        description="Comma-separated: who is mailed when a hot lead waits too long (needs SMTP_HOST)",
    )
    admin_slack_url: str = Field(
        default="",
        repr=False,  # an incoming webhook's path is its credential
        validation_alias=AliasChoices("WEBHOOKS_ADMIN_SLACK_URL"),
        description="A Slack incoming webhook told when a hot lead waits too long",
    )
    smtp_host: str = ""  # no SMTP_HOST, no mail
    smtp_port: int = 587
    smtp_from: str = "Leadflow <leadflow@localhost>"
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    max_attempts: int = Field(default=5, ge=1, validation_alias=AliasChoices("WEBHOOKS_NOTICE_ATTEMPTS"))

    @field_validator("admin_emails")
    @classmethod
    def addresses(cls, value: str) -> str:
        for address in filter(None, (part.strip() for part in value.split(","))):
            try:
                validate_email(address, check_deliverability=False)
            except EmailNotValidError as error:
                raise ValueError(f"{address!r} is not an email address: {error}") from None
        return value

    @property
    def admin_addresses(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.admin_emails.split(",") if part.strip())
