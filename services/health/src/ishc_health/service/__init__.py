"""Use cases of the health service, one module per aggregate: `consent.py`,
`checks.py`, `health_book.py` (with `audit.py`), `exercise.py`, `visits.py`,
`insurance.py`, and `keys.py` (re-sealing under a new key).

The rules of a use case, its one transaction and its policy module are those of
every service (docs/architecture.md, "The modules of a service").
"""
