from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", env_file=".env", extra="ignore")

    port: int = 8000
    # How the leads page reads a phone number written without a country code: capture's region.
    default_region: str = Field(
        default="US", validation_alias=AliasChoices("CONSOLE_DEFAULT_REGION", "CAPTURE_DEFAULT_REGION")
    )
    token_ttl_seconds: int = Field(
        default=3600, ge=60, le=86_400, description="How long an access token (and its session) lives"
    )
    login_window_seconds: int = Field(default=900, ge=60, description="The window failed logins count in")
    login_failures_per_account: int = Field(
        default=5,
        ge=1,
        description="Failed logins for one account from one address in the window before that address"
        " is throttled for it; from all addresses together, ten times as many throttle the account",
    )
    login_failures_per_address: int = Field(
        default=30, ge=1, description="Failed logins from one address in the window before it is throttled"
    )
    # The read models are off a lead's way to its rep (routing does not wait for them) and a
    # screen follows within a second: under load their batches begin this far apart, so a batch
    # carries a lead's capture, score and decision together more often, in fewer transactions.
    read_model_gap_ms: int = Field(
        default=300, ge=0, le=600, description="Under load, how far apart the read models' batches begin"
    )
    # The first admin, created at start when no account exists yet (`make run` sets both).
    admin_email: str = Field(default="", validation_alias=AliasChoices("LEADFLOW_ADMIN_EMAIL"))
    admin_password: str = Field(default="", validation_alias=AliasChoices("LEADFLOW_ADMIN_PASSWORD"))

    # The services the web app sends commands to, with the signed-in user's own token.
    capture_url: str = "http://127.0.0.1:8001"
    scoring_url: str = "http://127.0.0.1:8002"
    routing_url: str = "http://127.0.0.1:8003"
    webhooks_url: str = "http://127.0.0.1:8004"
