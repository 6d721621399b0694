"""JSON logs with a request id (structlog). Log ids and codes, never personal
data: no names, bodies, query strings or tokens."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        # Not cached: a reconfigured process (tests, reloads) logs where it was told to.
        cache_logger_on_first_use=False,
    )
    # uvicorn's access log prints query strings; ours logs the route template instead.
    logging.getLogger("uvicorn.access").disabled = True
