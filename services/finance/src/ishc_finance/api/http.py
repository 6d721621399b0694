"""What the finance routers share: path parameters and the national bands."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from ishc_finance.domain.regulations import NationalBands

ID_PATTERN = r"^[0-9A-Za-z-]{1,36}$"
ClubId = Annotated[str, Path(pattern=ID_PATTERN, description="a club's id")]
FundId = Annotated[str, Path(pattern=ID_PATTERN, description="a fund's id")]
LoanId = Annotated[str, Path(pattern=ID_PATTERN, description="a loan's id")]
ProvinceCode = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]


def national_bands(request: Request) -> NationalBands:
    bands: NationalBands = request.app.state.national_bands
    return bands


NationalBandsDep = Annotated[NationalBands, Depends(national_bands)]
