"""Use cases of the reporting service: one transaction each, state and outbox events
together. The only place that commits."""
