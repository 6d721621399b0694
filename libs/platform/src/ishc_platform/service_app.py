"""The one way a service is wired: settings, database, Redis, broker, relay,
consumers, middleware, errors and the routes every service has."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from faststream.redis import RedisBroker
from redis.asyncio import Redis

from ishc_platform import ops_api
from ishc_platform.api_docs import install_api_docs
from ishc_platform.backfill import backfills_for
from ishc_platform.broker import EventPublisher, asyncapi_document, stream_of
from ishc_platform.consumer import Handler, InboxConsumer
from ishc_platform.db import Database
from ishc_platform.errors import install_error_handlers
from ishc_platform.http import RequestContextMiddleware
from ishc_platform.idempotency import IdempotencyMiddleware, purge_expired
from ishc_platform.limits import BodyLimitMiddleware
from ishc_platform.logging import configure_logging
from ishc_platform.migrate import upgrade
from ishc_platform.outbox import OutboxRelay, install_commit_hook
from ishc_platform.ratelimit import RateLimitMiddleware
from ishc_platform.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    """A stream this service consumes, in consumer group `<service>`.

    `source` is the service whose event log backs the stream (default: `<name>`
    of `ishc.<name>`); with its URL in ISHC_EVENT_SOURCES, the consumer backfills
    from that log what the stream lost (`ishc_platform.backfill`)."""

    stream: str
    handler: Handler
    source: str | None = None

    @property
    def log_source(self) -> str:
        return self.source or self.stream.removeprefix("ishc.")


BackgroundTask = Callable[[FastAPI], Coroutine[Any, Any, None]]
"""Runs for the life of the app (started after the database and Redis, cancelled at stop)."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    description: str
    routers: Sequence[APIRouter] = ()
    subscriptions: Sequence[Subscription] = field(default_factory=tuple)
    background: Sequence[BackgroundTask] = field(default_factory=tuple)


class MissingSecret(RuntimeError):
    pass


def create_service_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings(service_name=spec.name)
    if settings.service_name != spec.name:
        settings = settings.model_copy(update={"service_name": spec.name})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, settings.log_json)
        if not settings.jwt_secret_list:
            raise MissingSecret(
                "ISHC_JWT_SECRETS is not set: give one or more comma-separated secrets "
                "(`make run` creates one for development under var/)"
            )
        database_url = settings.resolved_database_url()
        if settings.migrate_on_start:
            await asyncio.to_thread(upgrade, spec.name, database_url)
        db = Database(database_url)
        redis = Redis.from_url(settings.redis_url, health_check_interval=10)
        broker = RedisBroker(settings.redis_url)
        prefix = settings.stream_prefix
        publisher = EventPublisher(broker, redis, prefix + stream_of(spec.name), spec.name)
        await broker.connect()
        relay = OutboxRelay(
            db,
            publisher,
            service=spec.name,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            retention_seconds=settings.stream_retention_days * 86400,
            trim_interval_seconds=settings.trim_interval_seconds,
        )
        install_commit_hook(db, relay.wake)
        consumers = [
            InboxConsumer(
                db,
                redis,
                stream=prefix + sub.stream,
                group=spec.name,
                handler=sub.handler,
                batch_size=settings.consumer_batch_size,
                block_ms=settings.consumer_block_ms,
                claim_idle_ms=settings.consumer_claim_idle_ms,
                max_deliveries=settings.consumer_max_deliveries,
            )
            for sub in spec.subscriptions
        ]
        app.state.db, app.state.redis, app.state.broker = db, redis, broker
        app.state.relay, app.state.consumers = relay, consumers
        pairs = zip((s.log_source for s in spec.subscriptions), consumers, strict=True)
        app.state.backfills = backfills = backfills_for(pairs, settings)
        tasks = [asyncio.create_task(relay.run(), name=f"{spec.name}-relay")]
        tasks.append(
            asyncio.create_task(
                purge_expired(db, settings.idempotency_ttl_hours),
                name=f"{spec.name}-idempotency-purge",
            )
        )
        tasks += [asyncio.create_task(c.run(), name=f"{spec.name}-{c.stream}") for c in consumers]
        tasks += [
            asyncio.create_task(b.run(), name=f"{spec.name}-{b.source}-log") for b in backfills
        ]
        tasks += [
            asyncio.create_task(job(app), name=f"{spec.name}-{job.__name__}")
            for job in spec.background
        ]
        _freeze_what_startup_loaded()
        log.info("service.started", service=spec.name)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for consumer in consumers:  # best effort: unacknowledged ones come again, skipped
                with contextlib.suppress(Exception):
                    await consumer.acknowledge()
            await broker.stop()
            await redis.aclose()
            await db.dispose()
            log.info("service.stopped", service=spec.name)

    app = FastAPI(
        title=f"ISHC {spec.name}",
        description=spec.description,
        version="1",
        lifespan=lifespan,
        # Served by `install_api_docs` from the service's own assets, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Static (built from the contracts), so built once; served at /asyncapi.json.
    app.state.asyncapi = asyncapi_document(
        spec.name,
        consumes=[sub.stream for sub in spec.subscriptions],
        prefix=settings.stream_prefix,
        redis_url=settings.redis_url,
    )
    install_error_handlers(app)
    install_api_docs(app)
    # Added innermost first. A request meets them in the opposite order:
    # request id and metrics (reads no body) -> body limit (before anything reads
    # the body) -> rate limit -> idempotency (buffers the bounded body) -> routes.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        RateLimitMiddleware,
        service=spec.name,
        per_minute=settings.rate_limit_per_minute,
        anonymous_per_minute=settings.rate_limit_anonymous_per_minute,
        timeout_seconds=settings.rate_limit_timeout_seconds,
        secrets=settings.jwt_secret_list,
        prefix=settings.stream_prefix,
    )
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(RequestContextMiddleware, service=spec.name)
    app.include_router(ops_api.router)
    for router in spec.routers:
        app.include_router(router)
    return app


_frozen = False


def _freeze_what_startup_loaded() -> None:
    """What startup loaded (the admin units, the models, the contracts' schemas)
    lives as long as the process: frozen, a full collection no longer walks it.
    Unfrozen, such collections stalled the event loop for 90-135 ms, a
    write-to-indicator budget's worth. Once a process: a service runs one app."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
