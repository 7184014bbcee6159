"""Settings shared by every service, read from the environment (see README, configuration)."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_KEYS = {"", "change-me", "changeme", "dev", "secret"}


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/leadflow"
    leadflow_api_key: str = ""
    leadflow_env: Literal["development", "production"] = "development"
    # Prepended to every topic name; tests use it to give each run its own topics.
    leadflow_topic_prefix: str = ""
    log_level: str = "INFO"
    # Consumer retries before an event is sent to `<topic>.dlq`.
    consumer_max_attempts: int = Field(default=3, ge=1)
    # How long the broker may hold a fetch when nothing waits: every hop of the pipeline can add
    # it, so it is far below aiokafka's 500 ms. A broker that reads slowly needs more: tansu on
    # S3-backed storage answers every fetch empty when this is shorter than its read (seen at 50).
    consumer_fetch_wait_ms: int = Field(default=50, ge=10)
    outbox_batch_size: int = Field(default=500, ge=1)
    outbox_poll_seconds: float = Field(default=0.5, gt=0)

    @model_validator(mode="after")
    def refuse_placeholder_secrets(self) -> "CommonSettings":
        if self.leadflow_env == "production" and self.leadflow_api_key in PLACEHOLDER_KEYS:
            raise ValueError("LEADFLOW_API_KEY must be set to a real secret in production")
        return self
