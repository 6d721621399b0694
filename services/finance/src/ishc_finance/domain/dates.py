"""When a money movement may be dated: not in the future, not before its fund
opened, and within the club's life."""

from __future__ import annotations

from datetime import date

from ishc_platform.validation import FieldError


def check_dated(
    on: date,
    field: str,
    *,
    today: date,
    opened_on: date | None = None,
    dissolved_on: date | None = None,
    not_before: date | None = None,
    not_before_what: str = "",
) -> None:
    """FieldError naming `field` for the first reason `on` cannot be the date."""
    if on > today:
        raise FieldError(field, f"{field} {on:%d/%m/%Y} is in the future")
    if opened_on is not None and on < opened_on:
        raise FieldError(
            field, f"{field} {on:%d/%m/%Y} is before the fund opened on {opened_on:%d/%m/%Y}"
        )
    if dissolved_on is not None and on > dissolved_on:
        raise FieldError(
            field,
            f"{field} {on:%d/%m/%Y} is after the club was dissolved on {dissolved_on:%d/%m/%Y}",
        )
    if not_before is not None and on < not_before:
        raise FieldError(
            field, f"{field} {on:%d/%m/%Y} is before {not_before_what} on {not_before:%d/%m/%Y}"
        )


def check_active_member(
    on: date, field: str, *, joined_on: date | None, left_on: date | None
) -> None:
    """A member takes a loan or pays a fee only while a member."""
    if joined_on is not None and on < joined_on:
        raise FieldError(field, f"the member joined on {joined_on:%d/%m/%Y}, after {on:%d/%m/%Y}")
    if left_on is not None and on >= left_on:
        raise FieldError(field, f"the member left the club on {left_on:%d/%m/%Y}")
