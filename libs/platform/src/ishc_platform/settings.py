"""Settings from `ISHC_*` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32  # RFC 7518 3.2: an HS256 key as long as the hash


class Settings(BaseSettings):
    """Everything a service reads from its environment.

    With nothing set, a service keeps its data in a SQLite file under
    `ISHC_DATA_DIR` (default `var/`) and talks to Redis on localhost.
    """

    model_config = SettingsConfigDict(env_prefix="ISHC_", extra="ignore")

    service_name: str = "ishc"
    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    # The first secret signs tokens; every listed one verifies, so secrets rotate.
    jwt_secrets: SecretStr = SecretStr("")
    migrate_on_start: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    dashboard_public: bool = True

    # Prefixes every stream name: keeps tests, or a staging copy, apart on one Redis.
    stream_prefix: str = Field("", pattern=r"^[a-z0-9._-]*$")

    relay_batch_size: int = Field(500, ge=1, le=10_000)
    relay_poll_seconds: float = Field(1.0, gt=0)
    stream_retention_days: float = Field(7.0, gt=0)
    trim_interval_seconds: float = Field(60.0, gt=0)

    consumer_batch_size: int = Field(100, ge=1, le=10_000)
    consumer_block_ms: int = Field(1000, ge=1)
    consumer_claim_idle_ms: int = Field(30_000, ge=1)
    consumer_max_deliveries: int = Field(5, ge=1)

    # Backfill from the sources' event logs (ishc_platform.backfill, ADR 0005):
    # `<service>=<base URL>` pairs, comma-separated, e.g. "registry=http://registry:8001";
    # a consumer of `ishc.<service>` checks that log every interval. Empty: no backfill.
    event_sources: str = Field("", pattern=r"^\s*([a-z][a-z0-9_-]*=https?://[^,=\s]+\s*(,\s*|$))*$")
    backfill_interval_seconds: float = Field(30.0, gt=0)
    backfill_grace_seconds: float = Field(10.0, ge=0)
    backfill_page_size: int = Field(500, ge=1, le=500)
    backfill_timeout_seconds: float = Field(10.0, gt=0)

    idempotency_ttl_hours: float = Field(24.0, gt=0)

    # Request bodies (limits.BodyLimitMiddleware): JSON routes, and uploads under /v1/imports.
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024)

    # Requests per minute (ratelimit.RateLimitMiddleware), shared by replicas in Redis;
    # per token (subject and role) and, without a valid token, per client address. 0 disables.
    rate_limit_per_minute: int = Field(600, ge=0)
    rate_limit_anonymous_per_minute: int = Field(120, ge=0)
    # How long a request waits on Redis for its count before going through uncounted.
    rate_limit_timeout_seconds: float = Field(0.25, gt=0, le=10)

    # Concurrent server-sent event streams (reporting's /v1/live), counted per process.
    live_streams_per_address: int = Field(4, ge=1)
    live_streams_total: int = Field(500, ge=1)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("ISHC_REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @field_validator("jwt_secrets")
    @classmethod
    def _strong_secrets(cls, value: SecretStr) -> SecretStr:
        for secret in value.get_secret_value().split(","):
            if secret.strip() and len(secret.strip()) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"each of ISHC_JWT_SECRETS must be at least {MIN_SECRET_LENGTH} characters"
                )
        return value

    @cached_property
    def jwt_secret_list(self) -> list[str]:
        return [s.strip() for s in self.jwt_secrets.get_secret_value().split(",") if s.strip()]

    @cached_property
    def event_source_urls(self) -> dict[str, str]:
        """ISHC_EVENT_SOURCES as {service: base URL}."""
        pairs = (p.split("=", 1) for p in self.event_sources.split(",") if p.strip())
        return {name.strip(): url.strip().rstrip("/") for name, url in pairs}

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to `<data_dir>/<service>.db`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"
