"""Reporting's own settings, from `ISHC_*` environment variables.

Kept here rather than in the platform's `Settings`, since only reporting's
public views read them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ishc_reporting.domain.small_cells import DEFAULT_THRESHOLD


class ReportingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISHC_", extra="ignore")

    # Public views show counts of fewer people than this as "< N" (domain/small_cells.py).
    # At least 2: a threshold of 1 would hide nothing.
    small_cell_threshold: int = Field(DEFAULT_THRESHOLD, ge=2, le=100)
    # Seconds between rounds of the snapshot job (ADR 0008); 0 turns it off, and
    # past dates are then computed from the facts.
    snapshot_seconds: float = Field(30.0, ge=0, le=86_400)
