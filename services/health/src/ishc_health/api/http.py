"""What the health routers share: path parameters and the sealer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from ishc_health.adapters.sealing import Sealer

ID_PATTERN = r"^[0-9A-Za-z-]{1,36}$"
ClubId = Annotated[str, Path(pattern=ID_PATTERN, description="a club's id")]
MemberId = Annotated[str, Path(pattern=ID_PATTERN, description="a member's id")]


def sealer(request: Request) -> Sealer:
    found: Sealer = request.app.state.sealer
    return found


SealerDep = Annotated[Sealer, Depends(sealer)]
