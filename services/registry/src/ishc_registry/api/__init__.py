"""HTTP routes of the registry, one router per resource; `app.py` includes them."""

from __future__ import annotations

from fastapi import APIRouter

from ishc_registry.api import audit, board, clubs, communes, imports, members

ROUTERS: tuple[APIRouter, ...] = (
    clubs.router,
    members.router,
    audit.router,
    board.router,
    imports.router,
    communes.router,
)
