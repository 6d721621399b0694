"""Event handlers of the health service."""

from ishc_contracts.registry_events import STREAM as REGISTRY_STREAM
from ishc_platform.directory import apply_registry_events
from ishc_platform.service_app import Subscription

SUBSCRIPTIONS = (Subscription(stream=REGISTRY_STREAM, handler=apply_registry_events),)
