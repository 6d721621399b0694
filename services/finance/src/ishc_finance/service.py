"""Use cases of the finance service: one transaction each, state and outbox events
together. The only place that commits."""
