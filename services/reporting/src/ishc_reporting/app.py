"""The reporting service's app factory: `uvicorn --factory ishc_reporting.app:create_app`."""

from fastapi import FastAPI

from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings
from ishc_reporting.adapters.gauges import keep_gauges_fresh
from ishc_reporting.adapters.snapshot_job import keep_snapshots_fresh
from ishc_reporting.api import dashboard, indicators, live, plans, reports
from ishc_reporting.consumers import SUBSCRIPTIONS

SPEC = ServiceSpec(
    name="reporting",
    description="Coverage and quality indicators, plans, reports and the dashboard.",
    routers=[indicators.router, plans.router, reports.router, live.router, dashboard.router],
    # `ishc.registry`, `ishc.finance` and `ishc.health`, whose sources are the registry,
    # finance and health: with ISHC_EVENT_SOURCES naming them, what Redis lost is
    # backfilled from their logs (ADR 0005).
    subscriptions=SUBSCRIPTIONS,
    background=[keep_gauges_fresh, keep_snapshots_fresh],
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
