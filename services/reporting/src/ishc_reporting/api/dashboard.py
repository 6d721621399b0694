"""The dashboard: server-rendered HTML pages over the indicators, updated live."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
