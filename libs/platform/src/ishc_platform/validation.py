"""What every input must be, whichever service or route takes it.

- Dates lie in `EARLIEST_DATE`..`LATEST_DATE` (docs/security.md): a year-1 or a
  year-9999 date is a 422 naming the field, never a 500 deeper down.
- Text typed by people (names, hamlets, reasons, search words) holds no control
  characters (NUL included, which PostgreSQL refuses) and no bidirectional
  overrides, which can make a name display as something else.
- Request bodies name only the fields a route knows (`StrictModel`).
- Instants in responses carry their offset (`UtcInstant`), as OpenAPI's
  `date-time` requires, on SQLite (which hands them back naive) as on PostgreSQL.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from ishc_platform.clock import as_utc

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)

# Bidirectional embeddings, overrides and isolates (Unicode TR9), and the marks.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def date_in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            f"the date must lie between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
        )
    return value


CalendarDate = Annotated[date, AfterValidator(date_in_range)]
"""A calendar date in the platform's accepted range, for bodies and query parameters."""


UtcInstant = Annotated[datetime, AfterValidator(as_utc)]
"""An instant a response shows: naive ones (SQLite's) are UTC, as the platform writes them."""


def text_problem(value: str) -> str | None:
    """Why `value` is not acceptable text, or None."""
    for char in value:
        if char in BIDI_CONTROLS:
            return f"the text holds a bidirectional control character (U+{ord(char):04X})"
        if unicodedata.category(char) in ("Cc", "Cs") and char not in "\t":
            return f"the text holds a control character (U+{ord(char):04X})"
    return None


def clean_text(value: str) -> str:
    """Text as people typed it: NFC, trimmed, no control or bidi-override characters."""
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return unicodedata.normalize("NFC", value).strip()


CleanText = Annotated[str, AfterValidator(clean_text)]
"""Names, hamlets, reasons, search words: checked and normalised."""


class FieldError(ValueError):
    """A rule refused the value of one field: the one error every domain raises.

    Framework-free, so domain modules raise it; the app factory turns it into a
    422 problem+json naming `field`, with `extra` beside it (e.g. the successors
    of a split commune, the row and column of a spreadsheet cell)."""

    def __init__(self, field: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.extra = extra


class StrictModel(BaseModel):
    """A request body: an unknown field is an error naming it, not silently dropped."""

    model_config = ConfigDict(extra="forbid")
