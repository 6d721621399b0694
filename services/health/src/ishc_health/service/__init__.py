"""Use cases of the health service, one module per aggregate (`service/health_checks.py`,
`service/home_care.py`, `service/insurance.py`).

Each use case is one transaction: it takes the caller, checks it through the service's
one policy module (`service/policy.py`, written with the first use case, since a
policy without a use case would be a rule nobody calls), changes state and adds its
outbox events (`ishc_platform.outbox`) in the same session, then commits. This package
is the only code of the service that commits (tests/architecture/test_layers.py). See
docs/architecture.md.
"""
