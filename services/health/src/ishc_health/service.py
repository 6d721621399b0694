"""Use cases of the health service: one transaction each, state and outbox events
together. The only place that commits."""
