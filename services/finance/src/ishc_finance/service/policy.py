"""Who may do what in finance: every use case checks its caller here.

- A province token reads and writes the funds of its provinces' clubs.
- A national token reads amounts per club and above (funds, contributions,
  expenses, statements), never one person's loans or fees.
- An ops token reads only the operational routes.
A club of a province the caller does not cover answers 404 (no leak)."""

from __future__ import annotations

from ishc_platform.auth import Caller, Role, ensure_collection_allowed, ensure_record_visible
from ishc_platform.errors import forbidden

FUND_READERS = frozenset({Role.NATIONAL, Role.PROVINCE})


def require_province_token(caller: Caller, what: str) -> None:
    """Writes, and reads of one person's loans or fees, are for province tokens."""
    if caller.role is not Role.PROVINCE:
        raise forbidden(f"{what} is for province tokens")


def require_reader_of_funds(caller: Caller) -> None:
    if caller.role not in FUND_READERS:
        raise forbidden("funds are read with national or province tokens")


def ensure_visible(caller: Caller, province: str, what: str) -> None:
    ensure_record_visible(caller, province, what)


def provinces_listed(caller: Caller, province: str | None) -> frozenset[str] | None:
    """The provinces a collection may show (None: every one); 403 for another's."""
    return ensure_collection_allowed(caller, province)
