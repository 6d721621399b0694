"""Prometheus metrics, defined once for every service (label `service`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "ishc_http_requests", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "ishc_http_request_duration_seconds",
    "HTTP request duration",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("ishc_outbox_backlog", "Events written but not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "ishc_outbox_oldest_unsent_age_seconds", "Age of the oldest unpublished event", ["service"]
)
EVENTS_PUBLISHED = Counter(
    "ishc_events_published", "Events published to a stream", ["service", "stream"]
)
EVENTS_CONSUMED = Counter(
    "ishc_events_consumed", "Events applied by a consumer", ["consumer", "stream"]
)
EVENTS_DUPLICATE = Counter(
    "ishc_events_duplicate", "Events a consumer had already applied", ["consumer", "stream"]
)
EVENTS_FAILED = Counter(
    "ishc_events_failed", "Events whose handler failed (retried later)", ["consumer", "stream"]
)
EVENTS_DEAD_LETTERED = Counter(
    "ishc_events_dead_lettered", "Entries moved to a dead-letter stream", ["consumer", "stream"]
)
CONSUMER_LAG = Gauge(
    "ishc_consumer_lag", "Entries not yet delivered to the group", ["consumer", "stream"]
)
CONSUMER_PENDING = Gauge(
    "ishc_consumer_pending", "Entries delivered but not acknowledged", ["consumer", "stream"]
)
HANDLER_DURATION = Histogram(
    "ishc_handler_duration_seconds",
    "Time to apply one batch of events",
    ["consumer", "stream"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
DEAD_LETTERS = Gauge("ishc_dead_letters", "Entries waiting in a dead-letter stream", ["stream"])
# Backfill from the sources' event logs (ishc_platform.backfill). `consumer` is the
# consumer group (the service), `source` the service whose log is read.
LOG_GAP = Gauge(
    "ishc_consumer_log_gap_events",
    "Events of a source's log, past the grace, not yet verified as applied (at the last check)",
    ["consumer", "source"],
)
LOG_CHECKED = Gauge(
    "ishc_consumer_log_checked_timestamp_seconds",
    "When a consumer last read its source's log to the end (the process start before that)",
    ["consumer", "source"],
)
LOG_BACKFILLED = Counter(
    "ishc_consumer_log_backfilled_events",
    "Events a consumer applied from its source's log because the stream had not given them",
    ["consumer", "source"],
)
