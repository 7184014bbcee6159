from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RoutingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_", env_file=".env", extra="ignore")

    port: int = 8003
    sla_seconds: float = Field(default=300, gt=0, description="Seconds a rep has to accept an assignment")
