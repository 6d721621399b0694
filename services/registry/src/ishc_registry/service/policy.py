"""Who may do what in the registry: every use case checks its caller here."""

from __future__ import annotations

from ishc_platform.auth import (
    Caller,
    Role,
    ensure_collection_allowed,
    ensure_record_visible,
)
from ishc_platform.errors import Problem, field_error, forbidden

CLUB_READERS = frozenset({Role.NATIONAL, Role.PROVINCE})


def require_province_token(caller: Caller, what: str) -> None:
    """Writes, and reads of a person's record, are for province tokens only."""
    if caller.role is not Role.PROVINCE:
        raise forbidden(f"{what} is for province tokens")


def require_reader_of_clubs(caller: Caller) -> None:
    """Clubs, their boards, meetings and activities are read by national and
    province tokens."""
    if caller.role not in CLUB_READERS:
        raise forbidden("clubs are read with national or province tokens")


def ensure_covers(caller: Caller, province: str, field: str) -> None:
    """A write that places a record in `province` needs a token covering it."""
    if province not in caller.provinces:
        raise Problem(
            403,
            f"the token does not cover province {province}",
            kind="forbidden",
            errors=[field_error(field, f"in province {province}")],
        )


def covers(caller: Caller, province: str) -> bool:
    return province in caller.provinces


def ensure_visible(caller: Caller, province: str, what: str) -> None:
    """A record of a province the caller does not see answers 404 (no leak)."""
    ensure_record_visible(caller, province, what)


def provinces_listed(caller: Caller, province: str | None) -> frozenset[str] | None:
    """The provinces a collection may show (None: every one); 403 for another's."""
    return ensure_collection_allowed(caller, province)
