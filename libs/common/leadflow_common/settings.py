"""Settings shared by every service, read from the environment (see docs/settings.md)."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from leadflow_common.clients import IPNetwork, parse_networks

PLACEHOLDER_KEYS = {"", "change-me", "changeme", "dev", "secret"}


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/leadflow"
    leadflow_api_key: str = ""
    # A read-only secret for the metrics scraper, so it need not hold the API key.
    leadflow_metrics_token: str = ""
    leadflow_env: Literal["development", "production"] = "development"
    # Prepended to every topic name; tests use it to give each run its own topics.
    leadflow_topic_prefix: str = ""
    log_level: str = "INFO"
    # Consumer retries before an event is sent to `<topic>.dlq`.
    consumer_max_attempts: int = Field(default=3, ge=1)
    # How long the broker may hold a fetch when nothing waits. Kafka answers as soon as a record
    # arrives; tansu (memory store) looks again about every 50 ms, so a hop waits ~25 ms either
    # way, while an idle consumer costs the broker a third of what it did at 50 ms (measured:
    # 0.6% against 1.8% of a core per consumer). Tansu on S3-backed storage answers every fetch
    # empty when this is shorter than its read (seen at 50): it needs 500.
    consumer_fetch_wait_ms: int = Field(default=200, ge=10)
    # How far apart a consumer's batches begin under load (pacing.py, consumer.py `_spaced`):
    # records fetched sooner wait for the rest of the gap with those arriving behind them; after
    # a quiet stretch, a batch begins at once. The same for the outbox relay's passes.
    consumer_batch_gap_ms: int = Field(default=100, ge=0, le=1000)
    outbox_pass_gap_ms: int = Field(default=60, ge=0, le=1000)
    # How long the group coordinator waits for a silent member before it takes its partitions
    # (heartbeats every third of it). A new group on tansu also waits half of it for members to
    # join: a consumer starts reading that long after the service starts (tests use 4000).
    # Apache Kafka refuses one below its group.min.session.timeout.ms (6000 unless changed).
    kafka_session_timeout_ms: int = Field(default=10_000, ge=1000, le=300_000)
    outbox_batch_size: int = Field(default=500, ge=1)
    # How long an idle consumer goes without fetching when no relay announced its topics
    # (wakeups.py); events published by anything but a relay wait up to this long.
    consumer_idle_look_seconds: float = Field(default=5.0, gt=0, le=60)
    # A relay is woken by each commit that enqueued; the poll finds what a process that died
    # left behind and keeps the backlog gauges current.
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    # How long a consumer keeps the ids of the events it applied (idempotency.py): a relay that
    # published an event twice did so while the event was in its outbox, so this is a bound on
    # an outage of the broker or of a relay, far longer than any seen.
    processed_events_keep_days: float = Field(default=7, ge=1, le=365)
    processed_events_prune_seconds: float = Field(default=600, gt=0, le=86_400)

    # The HTTP edge (deploy/README.md pairs each with the proxy setting in front of it).
    http_max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Largest request body")
    http_body_timeout_seconds: float = Field(default=15, gt=0, description="Time a body may take")
    http_header_timeout_seconds: float = Field(default=10, gt=0, description="Time headers may take")
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024, description="Request line + headers")
    http_max_connections_per_client: int = Field(default=64, ge=1, description="Open sockets per address")
    http_limit_concurrency: int = Field(default=4096, ge=16, description="Connections and requests at once")
    # Proxies allowed to name the client in X-Forwarded-For (CIDRs); nobody else is believed.
    leadflow_trusted_proxies: str = ""
    # Where the console (accounts, keys, tokens) answers; empty: only LEADFLOW_API_KEY is accepted.
    leadflow_console_url: str = "http://127.0.0.1:8000"
    # How often the live keys, public keys and revoked sessions are fetched from the console while
    # key uses wait to be reported or announcements cannot be heard. It bounds how old the copy
    # gets, not when a change counts: that is at once (the credentials epoch, credentials_current).
    leadflow_credentials_refresh_seconds: float = Field(default=2.0, gt=0, le=5)
    # The Swagger UI at /docs: on in development, off in production unless asked for.
    leadflow_serve_docs: bool | None = None

    @property
    def trusted_proxies(self) -> tuple[IPNetwork, ...]:
        return parse_networks(self.leadflow_trusted_proxies)

    @property
    def serve_docs(self) -> bool:
        if self.leadflow_serve_docs is None:
            return self.leadflow_env == "development"
        return self.leadflow_serve_docs

    @model_validator(mode="after")
    def refuse_placeholder_secrets(self) -> "CommonSettings":
        if self.leadflow_env == "production" and self.leadflow_api_key in PLACEHOLDER_KEYS:
            raise ValueError("LEADFLOW_API_KEY must be set to a real secret in production")
        parse_networks(self.leadflow_trusted_proxies)  # a typo fails the start, not a request
        return self
