"""Report routes: issue a quarterly, semi-annual or annual report and fetch it as issued."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/reports", tags=["reports"])
