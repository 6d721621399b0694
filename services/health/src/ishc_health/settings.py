"""The health service's own settings, from `ISHC_HEALTH_*` environment variables."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class HealthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISHC_HEALTH_", extra="ignore")

    # Fernet keys (urlsafe base64 of 32 bytes), comma-separated: the first seals new
    # values, every one opens old ones, so a key rotates without downtime
    # (docs/operations: "Health data keys"). `make run` creates one under var/.
    keys: str = ""

    @property
    def key_list(self) -> list[str]:
        return [key.strip() for key in self.keys.split(",") if key.strip()]
