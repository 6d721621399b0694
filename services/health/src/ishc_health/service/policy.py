"""Who may do what in health: every use case checks its caller here.

- Clinical data (consent, checks, the health book, insurance, visits to a person):
  province tokens of the member's province only; another province's member
  answers 404 (no leak).
- A national token sees no personal health data at all: only counts per club and
  above (exercise sessions of a club; reporting's indicators).
- An ops token reads only the operational routes.
"""

from __future__ import annotations

from ishc_platform.auth import Caller, Role, ensure_record_visible
from ishc_platform.errors import forbidden

CLUB_COUNT_READERS = frozenset({Role.NATIONAL, Role.PROVINCE})


def require_province_token(caller: Caller, what: str) -> None:
    """Writes, and every read of a person's health data, are for province tokens."""
    if caller.role is not Role.PROVINCE:
        raise forbidden(f"{what} is for province tokens of the member's province")


def require_reader_of_club_counts(caller: Caller) -> None:
    if caller.role not in CLUB_COUNT_READERS:
        raise forbidden("a club's sessions are read with national or province tokens")


def ensure_visible(caller: Caller, province: str, what: str) -> None:
    ensure_record_visible(caller, province, what)
