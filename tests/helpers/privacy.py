"""Scanners for personal data (PDPL 91/2025/QH15): a text in every form it can
be written out, an exact date in the forms people and programs write dates, a
phone number with or without its separators, and clinical values as numbers
standing alone. The privacy scans (tests/health/integration and tests/e2e) look
for the data a run planted in everything that left a service."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote, quote_plus


def forms(secret: str) -> set[str]:
    """The ways a text can be written out: as is, decomposed, lower-case,
    JSON-escaped (`\\u1ea7`) and URL-encoded (a query string)."""
    written = {secret, unicodedata.normalize("NFD", secret), secret.lower()}
    return (
        written
        | {json.dumps(w)[1:-1] for w in written}
        | {quote(w) for w in written}
        | {quote_plus(w) for w in written}
    )


def folded(text: str) -> str:
    """Without its accents (`đ` as `d`): how a search key or an ASCII-only
    renderer writes a Vietnamese name."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D")


def spellings(secret: str) -> set[str]:
    """`forms`, and the upper-case and accent-free ones (a PDF heading, a search key)."""
    return forms(secret) | forms(secret.upper()) | forms(folded(secret))


def leaks(text: str, secrets: tuple[str, ...]) -> list[str]:
    return [secret for secret in secrets if any(form in text for form in forms(secret))]


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v, key)
    else:
        yield key, value


NUMBER_TOKEN = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
"""A number standing alone. Ids (hex words) and instants yield other digits (years,
days, hours, 4-, 8- and 12-digit groups), never a 3-digit or one-decimal value."""

DECIMAL_COMMA = re.compile(r"(?<![\w.,])\d+,\d(?![\w.,]|,\d)")
"""A decimal written the Vietnamese way (`57,3`), as pages and files print them."""


def numbers_in(value: Any, skip: Set[str] = frozenset(), *, commas: bool = False) -> set[str]:
    """Every number written in a document's leaves, as text (ids and dates are
    words or dashed, so their digits are not numbers here); with `commas`, decimal
    commas too (cells a person or a Vietnamese renderer wrote)."""
    found: set[str] = set()
    for key, leaf in leaves(value):
        if key in skip or isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, int | float):
            found.add(str(leaf))
        elif isinstance(leaf, str):
            found |= numbers_written(leaf) if commas else set(NUMBER_TOKEN.findall(leaf))
    return found


def numbers_written(text: str) -> set[str]:
    """The numbers standing alone in a text, decimal commas read as points."""
    return set(NUMBER_TOKEN.findall(text)) | {
        n.replace(",", ".") for n in DECIMAL_COMMA.findall(text)
    }


SEALED = re.compile(r"gAAAAA[A-Za-z0-9_=-]+")
"""A Fernet token: a sealed value. Its random base64 letters spell a field name or
a number now and then ("bmi" in one run of fourteen), so the scans read around it."""


def unsealed(text: str) -> str:
    return SEALED.sub("<sealed>", text)


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def date_pattern(day: date) -> re.Pattern[str]:
    """An exact date as ISO, dd/mm/yyyy (with `/`, `-`, `.`, or URL-encoded
    slashes, zero-padded or not), mm/dd/yyyy, digits only, and in words
    (Vietnamese and English): never a year alone, which events may carry."""
    y, m, d = str(day.year), day.month, day.day
    mm, dd = f"{m:02d}", f"{d:02d}"
    sep = r"(?:/|-|\.|%2F|%2f|\\/)"
    month = MONTHS[m - 1]
    alternatives = [
        rf"{y}{sep}0?{m}{sep}0?{d}",  # 1948-07-23, 1948/7/23
        rf"0?{d}{sep}0?{m}{sep}{y}",  # 23/07/1948, 23-7-1948, 23.07.1948
        rf"0?{m}{sep}0?{d}{sep}{y}",  # 07/23/1948 (mm/dd)
        rf"{y}{mm}{dd}",  # 19480723
        rf"{dd}{mm}{y}",  # 23071948
        rf"0?{d}\s+tháng\s+0?{m},?\s+(?:năm\s+)?{y}",  # 23 tháng 7 năm 1948
        rf"{month[:3]}[a-z]*\.?\s+0?{d},?\s+{y}",  # July 23, 1948
        rf"0?{d}\s+{month[:3]}[a-z]*\.?,?\s+{y}",  # 23 Jul 1948
    ]
    return re.compile(rf"(?<!\d)(?:{'|'.join(alternatives)})(?!\d)", re.IGNORECASE)


def phone_pattern(phone: str) -> re.Pattern[str]:
    """A Vietnamese phone number's nine significant digits, with or without the
    leading 0 or +84, with or without spaces, dots, dashes or their URL encodings."""
    digits = re.sub(r"\D", "", phone)
    significant = digits[-9:]
    gap = r"(?:[\s.\-+]|%20|%2B|%2b)?"
    return re.compile(rf"(?<!\d)(?:(?:\+|%2B)?84|0)?{gap}{gap.join(significant)}(?!\d)")


@dataclass
class Secrets:
    """What must never leave: texts (names, notes, addresses, reasons), exact
    dates of birth, phone numbers and clinical values (as numbers)."""

    texts: tuple[str, ...]
    dates: tuple[date, ...]
    phones: tuple[str, ...]
    numbers: frozenset[str]
    _texts: list[tuple[str, set[str]]] = field(init=False, repr=False)
    _patterns: list[tuple[str, re.Pattern[str]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._texts = [(t, spellings(t)) for t in self.texts]
        self._patterns = [(d.isoformat(), date_pattern(d)) for d in self.dates] + [
            (p, phone_pattern(p)) for p in self.phones
        ]

    def in_text(self, text: str) -> list[str]:
        """The texts, dates and phones written in `text` (sealed values read around)."""
        text = unsealed(text)
        found = [secret for secret, written in self._texts if any(w in text for w in written)]
        return found + [name for name, pattern in self._patterns if pattern.search(text)]

    def numbers_in_text(self, text: str) -> set[str]:
        return set(self.numbers & numbers_written(unsealed(text)))

    def numbers_in_leaves(self, value: Any, skip: Set[str] = frozenset()) -> set[str]:
        return set(self.numbers & numbers_in(value, skip, commas=True))


def where(documents: Iterable[tuple[str, str]], secrets: Secrets) -> list[tuple[str, list[str]]]:
    """Each document (name, text) that holds a secret, with what it holds."""
    return [(name, hit) for name, text in documents if (hit := secrets.in_text(text))]
