from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CaptureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAPTURE_", env_file=".env", extra="ignore")

    port: int = 8001
    allowed_origins: str = ""
    rate_limit: int = Field(default=60, ge=0, description="Public submissions per minute per client")
    default_region: str = "US"
    max_body_bytes: int = Field(default=1_000_000, ge=1024)

    @property
    def origins(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.allowed_origins.split(",") if origin.strip()]
