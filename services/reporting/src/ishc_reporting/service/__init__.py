"""Reporting's use cases: each takes the caller, checks it through `policy`,
and is the only code of the service that commits."""
