"""HTTP routes of a club's exercise sessions and home-care visits: they only
translate HTTP to `service/`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["club health activities"])
