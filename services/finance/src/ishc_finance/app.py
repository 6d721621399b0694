"""The finance service's app factory: `uvicorn --factory ishc_finance.app:create_app`."""

from fastapi import FastAPI

from ishc_finance import queries
from ishc_finance.api import ROUTERS
from ishc_finance.consumers import SUBSCRIPTIONS
from ishc_finance.settings import FinanceSettings
from ishc_platform.reconciliation import reconciliation_router
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings

SPEC = ServiceSpec(
    name="finance",
    description="Income and activity funds, loans, repayments, fees and expenses.",
    # Per club, what reporting should have projected: `ishc-reporting reconcile`.
    routers=[
        *ROUTERS,
        reconciliation_router("finance", queries.RECONCILIATION_TALLIES, queries.club_tallies),
    ],
    subscriptions=SUBSCRIPTIONS,
)


def create_app(settings: Settings | None = None, finance: FinanceSettings | None = None) -> FastAPI:
    app = create_service_app(SPEC, settings)
    app.state.national_bands = (finance or FinanceSettings()).bands()
    # Idempotent replays go only to callers who may still see the record (it moves
    # with its club): the platform asks where it lives now.
    app.state.record_province = queries.record_province
    return app
