"""The finance service's own settings, from `ISHC_FINANCE_*` environment variables:
the national bands every club's regulation must sit inside (the plans': interest
0.6%–1.0% a month, fees 2,000–5,000 VND a month)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ishc_finance.domain.regulations import NationalBands


class FinanceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISHC_FINANCE_", extra="ignore")

    rate_min: Decimal = Field(Decimal("0.006"), ge=0, le=1)
    rate_max: Decimal = Field(Decimal("0.010"), ge=0, le=1)
    fee_min_vnd: int = Field(2000, ge=0)
    fee_max_vnd: int = Field(5000, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> FinanceSettings:
        if self.rate_min > self.rate_max:
            raise ValueError("ISHC_FINANCE_RATE_MIN is above ISHC_FINANCE_RATE_MAX")
        if self.fee_min_vnd > self.fee_max_vnd:
            raise ValueError("ISHC_FINANCE_FEE_MIN_VND is above ISHC_FINANCE_FEE_MAX_VND")
        return self

    def bands(self) -> NationalBands:
        return NationalBands(
            rate_min=self.rate_min,
            rate_max=self.rate_max,
            fee_min_vnd=self.fee_min_vnd,
            fee_max_vnd=self.fee_max_vnd,
        )
