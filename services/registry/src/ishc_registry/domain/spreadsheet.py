"""The spreadsheets provinces keep (CSV or XLSX), from cells to typed rows.

Pure: rows of cells in (the file formats are read in `adapters.spreadsheet`),
typed rows out. Headers may be Vietnamese (with or without accents) or the
API's English field names; dates are Excel date cells or typed `dd/mm/yyyy`
(Vietnamese order, never month first) or ISO `yyyy-mm-dd`. Only types, formats
and size limits are checked here; the service checks the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ishc_platform.admin_units import search_key
from ishc_platform.validation import FieldError, clean_text

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
    message: str
    column: str | None = None  # the header as typed in the file (or the column letter)


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
        f"Dòng {row} có {width} cột; tối đa {MAX_COLUMNS} cột "
        f"(row {row} has {width} columns; at most {MAX_COLUMNS})",
        row=row,
        limit="columns",
    )


def cell_too_long(column: str, length: int) -> str:
    return (
        f"Ô ở cột «{column}» dài {length} ký tự; tối đa {MAX_CELL_CHARS} "
        f"(the cell holds {length} characters; at most {MAX_CELL_CHARS})"
    )


def _map_headers(kind: SheetKind, headers: Sequence[object]) -> list[str | None]:
    width = _filled_width(headers)
    if width > MAX_COLUMNS:
        raise too_many_columns(1, width)
    for index, header in enumerate(headers):
        if header is not None and len(str(header)) > MAX_HEADER_CHARS:
            raise SpreadsheetError(
                "headers",
                f"Tiêu đề cột dài quá {MAX_HEADER_CHARS} ký tự "
                f"(a column header is longer than {MAX_HEADER_CHARS} characters)",
                row=1,
                column=column_letter(index),
                limit="header_chars",
            )
    lookup = _lookup(kind)
    mapped: list[str | None] = []
    unknown: list[str] = []
    for header in headers:
        key = search_key(str(header or ""))
        if key in IGNORED or key == "":
            mapped.append(None)
        elif key in lookup:
            mapped.append(lookup[key])
        else:
            mapped.append(None)
            unknown.append(str(header))
    if unknown:
        accepted = ", ".join(HEADERS[kind].values())
        raise SpreadsheetError(
            "headers",
            f"unknown column(s): {', '.join(unknown)}; the columns "
            f"read are: {accepted} (or their English field names)",
            unknown,
        )
    named = [m for m in mapped if m]
    duplicates = sorted({m for m in named if named.count(m) > 1})
    if duplicates:
        raise SpreadsheetError(
            "headers", f"several columns mean {', '.join(duplicates)}", duplicates
        )
    present = set(named) | (
        {"poverty_status"} if any(m.startswith("mark:") for m in named) else set()
    )
    missing = [" or ".join(group) for group in REQUIRED[kind] if not present & set(group)]
    if missing:
        raise SpreadsheetError("headers", f"missing column(s): {'; '.join(missing)}", missing)
    return mapped


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if match := _DMY.match(text):
        day, month, year = map(int, match.groups())
        return date(year, month, day)
    if match := _ISO.match(text):
        year, month, day = map(int, match.groups())
        return date(year, month, day)
    raise ValueError("not a date: write dd/mm/yyyy")


def _convert(field: str, value: object) -> object:
    if field in DATES:
        return _as_date(value)
    if field in CODES:
        text = (
            str(int(value))
            if isinstance(value, float) and value.is_integer()
            else str(value).strip()
        )
        if not _DIGITS.fullmatch(text) or len(text) > 5:
            raise ValueError("a commune code is up to 5 digits")
        return text.zfill(5)  # a spreadsheet drops the leading zeros of numbers
    if field in BOOLEANS or field.startswith("mark:"):
        key = search_key(str(value))
        if key in TRUE:
            return True
        if key in FALSE:
            return False
        raise ValueError("write x for yes, leave empty for no")
    if field == "sex":
        key = search_key(str(value))
        if key not in SEX:
            raise ValueError("write Nam or Nữ")
        return SEX[key]
    if field == "poverty_status":
        key = search_key(str(value))
        if key not in POVERTY:
            raise ValueError("write Hộ nghèo, Cận nghèo, Khó khăn or Không")
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
            raise ValueError("write the year of birth, e.g. 1955")
        return int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if field in TEXTS:
        # The same check as the API's (a NUL or a bidi override is refused), before
        # any value reaches a query: club references and keys are looked up first.
        return clean_text(str(value))
    return str(value).strip()


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
                )
            )
            continue
        if field is None or raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = _convert(field, raw)
        except ValueError as exc:
            errors.append(
                CellError(row_number, _field_name(field), str(exc), column_name(header, index))
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
            CellError(row_number, "poverty_status", "mark one of Hộ nghèo, Cận nghèo, Khó khăn")
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
        raise SpreadsheetError("file", "the file has no rows") from None
    mapped = _map_headers(kind, header)
    parsed: list[SheetRow] = []
    errors: list[CellError] = []
    for row_number, cells in enumerate(iterator, start=2):
        if cells.count(None) == len(cells) or _blank(cells):  # count(): fast on long gaps
            continue
        if row_number - 1 > max_rows:
            raise SpreadsheetError(
                "file",
                f"Tệp có hơn {max_rows} dòng dữ liệu; hãy chia nhỏ tệp "
                f"(more than {max_rows} data rows; split the file)",
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
        raise SpreadsheetError("file", "the file has a header but no data rows")
    headers = {
        name: column_name(header, index)
        for index, name in enumerate(mapped)
        if name is not None and not name.startswith("mark:")
    }
    return ParsedSheet(kind, [m for m in mapped if m], parsed, errors, headers)
