"""Rules of a member's health insurance (bảo hiểm y tế, BHYT).

- A card (thẻ BHYT) is valid from one day to another, both included; a member is
  covered on a day when one of their cards is valid on it.
- A member's periods do not overlap: a renewal starts after the card it renews
  ends, so an overlap is the same card recorded twice.
- The card's number has 15 characters: two letters (the beneficiary group, e.g.
  HT for retired people), then 13 digits (benefit level, province, social
  insurance number). It is sealed at rest and never answered in full: only its
  first 3 and last 3 characters show ("HT2•••••••••123").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ishc_platform.validation import FieldError

CARD_LENGTH = 15
_CARD = re.compile(r"[A-Z]{2}[0-9]{13}")
SHOWN = 3
"""Characters shown at each end of a masked card number."""
MASK = "•"


@dataclass(frozen=True)
class Period:
    """A card's validity, `valid_from`..`valid_to`, both included."""

    valid_from: date
    valid_to: date

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to

    def overlaps(self, other: Period) -> bool:
        return self.valid_from <= other.valid_to and other.valid_from <= self.valid_to


def card_number(value: str) -> str:
    """The card number in its printed form (letters upper-case; spaces, which
    people type between the groups, removed). ValueError, never echoing the
    number, when it is not one."""
    compact = "".join(value.split()).upper()
    if len(compact) != CARD_LENGTH or not _CARD.fullmatch(compact):
        raise ValueError(
            "a BHYT card number is 15 characters: two letters (the beneficiary group), "
            "then 13 digits"
        )
    return compact


def masked(card: str) -> str:
    """The card as answered: its first and last 3 characters, the rest hidden."""
    return card[:SHOWN] + MASK * (len(card) - 2 * SHOWN) + card[-SHOWN:]


def check_period(valid_from: date, valid_to: date) -> Period:
    if valid_to < valid_from:
        raise FieldError(
            "valid_to",
            f"valid_to {valid_to:%d/%m/%Y} is before valid_from {valid_from:%d/%m/%Y}",
        )
    return Period(valid_from, valid_to)


def overlapping[K](new: Period, held: Iterable[tuple[K, Period]]) -> tuple[K, Period] | None:
    """The first of the member's periods (by key) that `new` overlaps, if any."""
    return next(((key, period) for key, period in held if period.overlaps(new)), None)


def covered_on(periods: Iterable[Period], day: date) -> bool:
    return any(period.covers(day) for period in periods)
