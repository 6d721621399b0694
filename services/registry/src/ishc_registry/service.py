"""Use cases of the registry service: one transaction each, state and outbox events
together. The only place that commits."""
