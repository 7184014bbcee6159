from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScoringSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORING_", env_file=".env", extra="ignore")

    port: int = 8002
    retrain_every: int = Field(
        default=0, ge=0, description="Retrain after this many new outcomes; 0 turns it off"
    )
    decay_sweep_seconds: float = Field(
        default=3600, gt=0, description="How often aging engagement is re-scored"
    )
    refresh_seconds: float = Field(
        default=5, gt=0, description="How often rules and model changes are picked up"
    )
