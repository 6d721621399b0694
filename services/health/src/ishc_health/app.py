"""The health service's app factory: `uvicorn --factory ishc_health.app:create_app`."""

from fastapi import FastAPI

from ishc_health.api import router
from ishc_health.consumers import SUBSCRIPTIONS
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings

SPEC = ServiceSpec(
    name="health",
    description="Health checks, exercise, home-care visits and insurance.",
    routers=[router],
    subscriptions=SUBSCRIPTIONS,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
