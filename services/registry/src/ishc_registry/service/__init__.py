"""Use cases of the registry: one transaction each, state and outbox events
together, each checking its caller through `service.policy`. The only code
that commits."""
