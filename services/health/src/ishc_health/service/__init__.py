"""Use cases of the health service, one module per aggregate (`service/health_checks.py`,
`service/home_care.py`, `service/insurance.py`).

The rules of a use case, its one transaction and its policy module are those of
every service (docs/architecture.md, "The modules of a service").
"""
