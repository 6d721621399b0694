"""The finance service's app factory: `uvicorn --factory ishc_finance.app:create_app`."""

from fastapi import FastAPI

from ishc_finance.api import router
from ishc_finance.consumers import SUBSCRIPTIONS
from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings

SPEC = ServiceSpec(
    name="finance",
    description="Income and activity funds, loans, repayments, fees and expenses.",
    routers=[router],
    subscriptions=SUBSCRIPTIONS,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
