"""The registry service's app factory: `uvicorn --factory ishc_registry.app:create_app`."""

from fastapi import FastAPI

from ishc_platform.service_app import ServiceSpec, create_service_app
from ishc_platform.settings import Settings
from ishc_registry.api import router

SPEC = ServiceSpec(
    name="registry",
    description="Clubs, members, boards, meetings, activities and imports.",
    routers=[router],
    subscriptions=(),
)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(SPEC, settings)
