"""The spreadsheets provinces keep (CSV or XLSX), from cells to typed rows.

Pure: rows of cells in (the file formats are read in `adapters.spreadsheet`),
typed rows out. Headers may be Vietnamese (with or without accents) or the
API's English field names; dates are Excel date cells or typed `dd/mm/yyyy`
(Vietnamese order, never month first) or ISO `yyyy-mm-dd`. A commune column
holds a code or a commune's name (`CommuneName`, which the service resolves in
the caller's provinces). Only types, formats and size limits are checked here;
the service checks the rules. Each problem is a `Reason`, said in the reader's
language by `domain.messages`, located by the header as the file wrote it, its
column letter and the row number the spreadsheet shows (the header is row 1).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ishc_platform.admin_units import search_key
from ishc_platform.validation import FieldError, clean_text, text_problem
from ishc_registry.domain.messages import Reason

# Limits of an upload (docs/security.md): each refusal is a 422 naming the limit.
MAX_BYTES = 5 * 1024 * 1024  # the file as sent (413 above it)
MAX_ROWS = 20_000  # data rows, the header not counted
MAX_COLUMNS = 50
MAX_CELL_CHARS = 1_000  # any cell; a field's own schema may allow fewer
MAX_HEADER_CHARS = 100  # a column header


class SheetKind(StrEnum):
    CLUBS = "clubs"
    MEMBERS = "members"


@dataclass(frozen=True)
class CellError:
    row: int  # the spreadsheet's row number: the header is row 1
    field: str
    message: str  # a Reason when a rule of this module spoke
    column: str | None = None  # the header as typed in the file (or the column letter)
    letter: str | None = None  # the column's letter: A, B, ..., AA


@dataclass(frozen=True)
class CommuneName:
    """A commune column holding a name ("Phước Hậu", "xã Nhơn Phú"), not a code."""

    text: str


class CellProblem(ValueError):
    """A cell that cannot be read: why, as a `Reason`."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SheetRow:
    row: int
    values: dict[str, object]


@dataclass(frozen=True)
class ParsedSheet:
    kind: SheetKind
    columns: list[str]
    rows: list[SheetRow]
    errors: list[CellError]
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as typed
    letters: dict[str, str] = field(default_factory=dict)  # field -> column letter


class SpreadsheetError(FieldError):
    """The file as a whole cannot be read; `row`/`column` say where, `limit` which
    limit. A field error like any other: it answers 422 naming them."""

    def __init__(
        self,
        field: str,
        message: str,
        details: Sequence[str] = (),
        *,
        row: int | None = None,
        column: str | None = None,
        limit: str | None = None,
    ) -> None:
        where = {"row": row, "column": column, "limit": limit}
        extra: dict[str, object] = {k: v for k, v in where.items() if v is not None}
        if details:
            extra["details"] = list(details)
        super().__init__(field, message, **extra)
        self.row = row
        self.column = column
        self.limit = limit


# Template headers (Vietnamese), then the other spellings provinces use.
HEADERS: dict[SheetKind, dict[str, str]] = {
    SheetKind.CLUBS: {
        "name": "Tên CLB",
        "commune_code": "Mã xã",
        "legacy_commune_code": "Mã xã cũ",
        "hamlet": "Ấp/Khóm/Thôn",
        "founded_on": "Ngày thành lập",
        "external_id": "Mã CLB",
    },
    SheetKind.MEMBERS: {
        "full_name": "Họ và tên",
        "sex": "Giới tính",
        "birth_year": "Năm sinh",
        "birth_date": "Ngày sinh",
        "poverty_status": "Hoàn cảnh",
        "ethnic_minority": "Dân tộc thiểu số",
        "is_volunteer": "Tình nguyện viên",
        "joined_on": "Ngày tham gia",
        "external_id": "Mã thành viên",
        "club": "Mã CLB",
    },
}
ENGLISH: dict[SheetKind, dict[str, str]] = {k: {f: f for f in v} for k, v in HEADERS.items()}
_ALIASES: dict[SheetKind, dict[str, str]] = {
    SheetKind.CLUBS: {
        "ten cau lac bo": "name",
        "ten clb": "name",
        "ma xa/phuong": "commune_code",
        "ma xa phuong": "commune_code",
        "ma don vi hanh chinh": "commune_code",
        "ap": "hamlet",
        "khom": "hamlet",
        "thon": "hamlet",
        "ap/khom": "hamlet",
        "thon/ap": "hamlet",
        "ma cau lac bo": "external_id",
    },
    SheetKind.MEMBERS: {
        "ho ten": "full_name",
        "ngay thang nam sinh": "birth_date",
        "dien ho": "poverty_status",
        "dtts": "ethnic_minority",
        "tnv": "is_volunteer",
        "ngay vao clb": "joined_on",
        "ngay vao hoi": "joined_on",
        "ngay gia nhap": "joined_on",
        "ma dinh danh": "external_id",
        "ma hoi vien": "external_id",
        "clb": "club",
        "cau lac bo": "club",
        "ma cau lac bo": "club",
        "ho ngheo": "mark:poor",
        "can ngheo": "mark:near_poor",
        "ho can ngheo": "mark:near_poor",
        "kho khan": "mark:disadvantaged",
        "hoan canh kho khan": "mark:disadvantaged",
    },
}
IGNORED = {"stt", "so thu tu", "tt"}
REQUIRED: dict[SheetKind, list[tuple[str, ...]]] = {
    SheetKind.CLUBS: [("name",), ("commune_code", "legacy_commune_code"), ("founded_on",)],
    SheetKind.MEMBERS: [("full_name",), ("sex",), ("birth_year", "birth_date"), ("joined_on",)],
}
DATES = {"founded_on", "birth_date", "joined_on"}
# Typed by people: checked like every API text (no control or bidi characters).
TEXTS = {"name", "hamlet", "full_name", "external_id", "club"}
CODES = {"commune_code", "legacy_commune_code"}
BOOLEANS = {"ethnic_minority", "is_volunteer"}
TRUE = {"x", "co", "yes", "true", "1", "✓", "v", "c"}
FALSE = {"", "khong", "no", "false", "0", "k"}
SEX = {
    "nam": "male",
    "male": "male",
    "m": "male",
    "nu": "female",
    "female": "female",
    "f": "female",
}
POVERTY = {
    "ho ngheo": "poor",
    "ngheo": "poor",
    "poor": "poor",
    "can ngheo": "near_poor",
    "ho can ngheo": "near_poor",
    "near_poor": "near_poor",
    "kho khan": "disadvantaged",
    "hoan canh kho khan": "disadvantaged",
    "disadvantaged": "disadvantaged",
    "khong": "none",
    "none": "none",
    "": "none",
}
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DIGITS = re.compile(r"[0-9]+")  # ASCII: str.isdigit() also takes "²" and other scripts' digits


def _lookup(kind: SheetKind) -> dict[str, str]:
    table = {search_key(h): f for f, h in HEADERS[kind].items()}
    table.update({search_key(f): f for f in HEADERS[kind]})
    table.update({search_key(f.replace("_", " ")): f for f in HEADERS[kind]})
    table.update(_ALIASES[kind])
    return table


def column_letter(index: int) -> str:
    """The spreadsheet's name of a 0-based column: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def column_name(headers: Sequence[object], index: int) -> str:
    """A column as the person who typed the file knows it: its header, else its letter."""
    header = headers[index] if index < len(headers) else None
    text = _shown(header) if header is not None and str(header).strip() else ""
    return text or column_letter(index)


def _shown(value: object) -> str:
    text = str(value).strip()
    return text if len(text) <= 60 else text[:57] + "..."


def _filled_width(cells: Sequence[object]) -> int:
    """How many columns a row uses: trailing empty cells do not count."""
    width = len(cells)
    while width and (cells[width - 1] is None or str(cells[width - 1]).strip() == ""):
        width -= 1
    return width


def too_many_columns(row: int, width: int) -> SpreadsheetError:
    return SpreadsheetError(
        "file",
        Reason(
            f"row {row} has {width} columns; at most {MAX_COLUMNS}",
            "too_many_columns",
            row=row,
            width=width,
            max=MAX_COLUMNS,
        ),
        row=row,
        limit="columns",
    )


def cell_too_long(column: str, length: int) -> str:
    return Reason(
        f"the cell holds {length} characters; at most {MAX_CELL_CHARS}",
        "cell_too_long",
        length=length,
        max=MAX_CELL_CHARS,
    )


def _map_headers(kind: SheetKind, headers: Sequence[object]) -> list[str | None]:
    width = _filled_width(headers)
    if width > MAX_COLUMNS:
        raise too_many_columns(1, width)
    for index, header in enumerate(headers):
        if header is not None and len(str(header)) > MAX_HEADER_CHARS:
            raise SpreadsheetError(
                "headers",
                Reason(
                    f"a column header is longer than {MAX_HEADER_CHARS} characters",
                    "header_too_long",
                    letter=column_letter(index),
                    max=MAX_HEADER_CHARS,
                ),
                row=1,
                column=column_letter(index),
                limit="header_chars",
            )
    lookup = _lookup(kind)
    mapped: list[str | None] = []
    unknown: list[str] = []
    where: list[str] = []  # “header” (letter), as the reader finds them
    for index, header in enumerate(headers):
        key = search_key(str(header or ""))
        if key in IGNORED or key == "":
            mapped.append(None)
        elif key in lookup:
            mapped.append(lookup[key])
        else:
            mapped.append(None)
            unknown.append(str(header))
            where.append(f"“{_shown(header)}” ({column_letter(index)})")
    if unknown:
        accepted = ", ".join(HEADERS[kind].values())
        raise SpreadsheetError(
            "headers",
            Reason(
                f"unknown column(s): {', '.join(unknown)}; the columns "
                f"read are: {accepted} (or their English field names)",
                "unknown_columns",
                columns=", ".join(where),
                accepted=accepted,
            ),
            unknown,
        )
    named = [m for m in mapped if m]
    duplicates = sorted({m for m in named if named.count(m) > 1})
    if duplicates:
        clashing = [
            f"“{_shown(headers[i])}” ({column_letter(i)})"
            for i, m in enumerate(mapped)
            if m in duplicates
        ]
        raise SpreadsheetError(
            "headers",
            Reason(
                f"several columns mean {', '.join(duplicates)}",
                "several_columns",
                columns=", ".join(clashing),
            ),
            duplicates,
        )
    present = set(named) | (
        {"poverty_status"} if any(m.startswith("mark:") for m in named) else set()
    )
    absent = [group for group in REQUIRED[kind] if not present & set(group)]
    if absent:
        missing = [" or ".join(group) for group in absent]
        raise SpreadsheetError(
            "headers",
            Reason(
                f"missing column(s): {'; '.join(missing)}",
                "missing_columns",
                groups=[[HEADERS[kind][f] for f in group] for group in absent],
            ),
            missing,
        )
    return mapped


def _shown_value(value: object) -> str:
    """A cell's value quoted back to its reader: short, on one line."""
    text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:37] + "..."


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    parts: tuple[int, int, int] | None = None
    if match := _DMY.match(text):
        day, month, year = map(int, match.groups())
        parts = (year, month, day)
    elif match := _ISO.match(text):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    if parts is None:
        raise CellProblem(
            Reason("not a date: write dd/mm/yyyy", "not_a_date", value=_shown_value(value))
        )
    try:
        return date(*parts)
    except ValueError:  # 31/02: the shape of a date, not a day of the calendar
        year, month, day = parts
        raise CellProblem(
            Reason(
                "not a real date: write dd/mm/yyyy",
                "no_such_date",
                value=f"{day:02d}/{month:02d}/{year:04d}",
            )
        ) from None


def _refused(english: str, code: str, value: object) -> CellProblem:
    return CellProblem(Reason(english, code, value=_shown_value(value)))


def _convert(field: str, value: object) -> object:
    if field in DATES:
        return _as_date(value)
    if field in CODES:
        text = (
            str(int(value))
            if isinstance(value, float) and value.is_integer()
            else str(value).strip()
        )
        if _DIGITS.fullmatch(text):
            if len(text) > 5:
                raise _refused("a commune code is up to 5 digits", "bad_commune_code", value)
            return text.zfill(5)  # a spreadsheet drops the leading zeros of numbers
        if not any(ch.isalpha() for ch in text):
            raise _refused("a commune code is up to 5 digits", "bad_commune_code", value)
        return CommuneName(_clean(text))  # resolved by the service, in the caller's provinces
    if field in BOOLEANS or field.startswith("mark:"):
        key = search_key(str(value))
        if key in TRUE:
            return True
        if key in FALSE:
            return False
        raise _refused("write x for yes, leave empty for no", "bad_flag", value)
    if field == "sex":
        key = search_key(str(value))
        if key not in SEX:
            raise _refused("write Nam or Nữ", "bad_sex", value)
        return SEX[key]
    if field == "poverty_status":
        key = search_key(str(value))
        if key not in POVERTY:
            raise _refused("write Hộ nghèo, Cận nghèo, Khó khăn or Không", "bad_poverty", value)
        return POVERTY[key]
    if field == "birth_year":
        if isinstance(value, datetime | date):
            return value  # a full date in the year column: handled by the caller
        text = (
            str(int(value))
            if isinstance(value, float) and value.is_integer()
            else str(value).strip()
        )
        match = _DMY.match(text)
        if match:
            return _as_date(text)
        if not _DIGITS.fullmatch(text) or len(text) > 4:
            raise _refused("write the year of birth, e.g. 1955", "bad_year", value)
        return int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if field in TEXTS:
        # The same check as the API's (a NUL or a bidi override is refused), before
        # any value reaches a query: club references and keys are looked up first.
        return _clean(str(value))
    return str(value).strip()


def _clean(text: str) -> str:
    """`clean_text`, the API's check of typed text, its refusal said as a Reason."""
    problem = text_problem(text)
    if problem is not None:
        char = re.search(r"U\+[0-9A-F]{4,6}", problem)
        raise CellProblem(Reason(problem, "bad_text", char=char[0] if char else "?"))
    return clean_text(text)


def _typed_row(
    row_number: int,
    header: Sequence[object],
    mapped: list[str | None],
    cells: Sequence[object],
    errors: list[CellError],
) -> dict[str, object] | None:
    values: dict[str, object] = {}
    marks: list[str] = []
    for index, raw in enumerate(cells):
        field = mapped[index] if index < len(mapped) else None
        if isinstance(raw, str) and len(raw) > MAX_CELL_CHARS:
            column = column_name(header, index)
            errors.append(
                CellError(
                    row_number,
                    _field_name(field) or column,
                    cell_too_long(column, len(raw)),
                    column,
                    column_letter(index),
                )
            )
            continue
        if field is None or raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = _convert(field, raw)
        except CellProblem as exc:
            errors.append(
                CellError(
                    row_number,
                    _field_name(field),
                    exc.reason,
                    column_name(header, index),
                    column_letter(index),
                )
            )
            continue
        if field.startswith("mark:"):
            if value:
                marks.append(field.removeprefix("mark:"))
        elif field == "birth_year" and isinstance(value, date):
            values["birth_date"] = value
        else:
            values[field] = value
    if len(marks) > 1:
        errors.append(
            CellError(
                row_number,
                "poverty_status",
                Reason("mark one of Hộ nghèo, Cận nghèo, Khó khăn", "several_marks"),
            )
        )  # several columns: none of them alone is "the" column
    elif marks:
        values["poverty_status"] = marks[0]
    elif any(f and f.startswith("mark:") for f in mapped) and "poverty_status" not in values:
        values["poverty_status"] = "none"
    birth_date = values.get("birth_date")
    if isinstance(birth_date, date) and "birth_year" not in values:
        values["birth_year"] = birth_date.year
    return values or None


def _field_name(field: str | None) -> str:
    if field is None:
        return ""
    return "poverty_status" if field.startswith("mark:") else field


def _blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def parse_rows(
    rows: Iterable[Sequence[object]], *, kind: SheetKind, max_rows: int = MAX_ROWS
) -> ParsedSheet:
    """Typed rows and cell errors from a sheet's rows, the header first.

    A SpreadsheetError when the sheet as a whole cannot be taken: bad headers,
    more than `max_rows` data rows or `MAX_COLUMNS` columns. Blank rows are
    skipped and do not count; the row numbers are the sheet's own.
    """
    iterator = iter(rows)
    try:
        header = list(next(iterator))
    except StopIteration:
        raise SpreadsheetError("file", Reason("the file has no rows", "no_rows")) from None
    mapped = _map_headers(kind, header)
    parsed: list[SheetRow] = []
    errors: list[CellError] = []
    for row_number, cells in enumerate(iterator, start=2):
        if cells.count(None) == len(cells) or _blank(cells):  # count(): fast on long gaps
            continue
        if row_number - 1 > max_rows:
            raise SpreadsheetError(
                "file",
                Reason(
                    f"more than {max_rows} data rows; split the file",
                    "too_many_rows",
                    max=max_rows,
                ),
                row=row_number,
                limit="rows",
            )
        width = _filled_width(cells)
        if width > MAX_COLUMNS:
            raise too_many_columns(row_number, width)
        values = _typed_row(row_number, header, mapped, cells[:width], errors)
        if values is not None:
            parsed.append(SheetRow(row_number, values))
    if not parsed and not errors:
        raise SpreadsheetError(
            "file", Reason("the file has a header but no data rows", "no_data_rows")
        )
    headers = {
        name: column_name(header, index)
        for index, name in enumerate(mapped)
        if name is not None and not name.startswith("mark:")
    }
    letters = {
        name: column_letter(index)
        for index, name in enumerate(mapped)
        if name is not None and not name.startswith("mark:")
    }
    return ParsedSheet(kind, [m for m in mapped if m], parsed, errors, headers, letters)
