"""The registry service's app factory: `uvicorn --factory ishc_registry.app:create_app`."""

from fastapi import FastAPI

from ishc_platform.reconciliation import reconciliation_router
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings
from ishc_registry import queries
from ishc_registry.api import ROUTERS

SPEC = ServiceSpec(
    name="registry",
    description="Clubs, members, boards, meetings, activities and imports.",
    # Per club, what reporting should have projected: `ishc-reporting reconcile`.
    routers=[
        *ROUTERS,
        reconciliation_router("registry", queries.RECONCILIATION_TALLIES, queries.club_tallies),
    ],
    subscriptions=(),
)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(SPEC, settings)
    # Idempotent replays go only to callers who may still see the record (it moves
    # with its club): the platform asks where it lives now.
    app.state.record_province = queries.record_province
    return app
