"""Typed request and response models of the health service's routes.

Request bodies are `StrictModel`s (an unknown field is a 422 naming it); dates are
`CalendarDate`s; text people type is `CleanText`; lists are
`ishc_platform.pagination.Page[T]`. Clinical values are answered only to province
tokens of the member's province.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from ishc_platform.validation import CleanText

ID_PATTERN = r"^[0-9A-Za-z-]{1,36}$"
Text = Annotated[CleanText, StringConstraints(min_length=1, max_length=500)]
ExternalId = Annotated[
    CleanText,
    # a key, not prose: one line, no tab (CleanText lets a tab through)
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\t]+$"),
]
RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

# --- consent, health checks, the health book, insurance, the audit, erasure ---

# --- exercise sessions, home-care visits ---
