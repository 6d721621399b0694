"""HTTP routes of a member's health data (consent, checks, the health book,
insurance, the audit, erasure): they only translate HTTP to `service/`."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["health of members"])
