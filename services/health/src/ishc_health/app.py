"""The health service's app factory: `uvicorn --factory ishc_health.app:create_app`."""

from fastapi import FastAPI

from ishc_health import queries
from ishc_health.adapters.sealing import Sealer
from ishc_health.api import ROUTERS
from ishc_health.consumers import SUBSCRIPTIONS
from ishc_health.settings import HealthSettings
from ishc_platform.reconciliation import reconciliation_router
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings

SPEC = ServiceSpec(
    name="health",
    description="Consent, health checks and books, exercise, home-care visits and insurance.",
    # Per club, what reporting should have projected: `ishc-reporting reconcile`.
    routers=[
        *ROUTERS,
        reconciliation_router("health", queries.RECONCILIATION_TALLIES, queries.club_tallies),
    ],
    subscriptions=SUBSCRIPTIONS,
)


def create_app(settings: Settings | None = None, health: HealthSettings | None = None) -> FastAPI:
    # No key, no service: clinical values are never stored in clear.
    sealer = Sealer((health or HealthSettings()).key_list)
    app = create_service_app(SPEC, settings)
    app.state.sealer = sealer
    # Idempotent replays go only to callers who may still see the record (it moves
    # with its club): the platform asks where it lives now.
    app.state.record_province = queries.record_province
    return app
