"""Reading the spreadsheets provinces keep (CSV or XLSX) into typed rows.

Pure: bytes in, rows out. Headers may be Vietnamese (with or without accents)
or the API's English field names; dates are Excel date cells or typed
`dd/mm/yyyy` (Vietnamese order, never month first) or ISO `yyyy-mm-dd`.
Only types and formats are checked here; the service checks the rules.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ishc_platform.admin_units import search_key

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000


class SheetKind(StrEnum):
    CLUBS = "clubs"
    MEMBERS = "members"


@dataclass(frozen=True)
class CellError:
    row: int  # the spreadsheet's row number: the header is row 1
    field: str
    message: str


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


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read."""

    def __init__(self, field: str, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.details = list(details)


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


def _lookup(kind: SheetKind) -> dict[str, str]:
    table = {search_key(h): f for f, h in HEADERS[kind].items()}
    table.update({search_key(f): f for f in HEADERS[kind]})
    table.update({search_key(f.replace("_", " ")): f for f in HEADERS[kind]})
    table.update(_ALIASES[kind])
    return table


def _map_headers(kind: SheetKind, headers: Sequence[object]) -> list[str | None]:
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
        if not text.isdigit() or len(text) > 5:
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
        if not text.isdigit():
            raise ValueError("write the year of birth, e.g. 1955")
        return int(text)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _typed_row(
    row_number: int, mapped: list[str | None], cells: Sequence[object], errors: list[CellError]
) -> dict[str, object] | None:
    values: dict[str, object] = {}
    marks: list[str] = []
    for field, raw in zip(mapped, cells, strict=False):
        if field is None or raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            value = _convert(field, raw)
        except ValueError as exc:
            field_name = "poverty_status" if field.startswith("mark:") else field
            errors.append(CellError(row_number, field_name, str(exc)))
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
        )
    elif marks:
        values["poverty_status"] = marks[0]
    elif any(f and f.startswith("mark:") for f in mapped) and "poverty_status" not in values:
        values["poverty_status"] = "none"
    birth_date = values.get("birth_date")
    if isinstance(birth_date, date) and "birth_year" not in values:
        values["birth_year"] = birth_date.year
    return values or None


def _xlsx_rows(content: bytes, max_rows: int) -> Iterator[Sequence[object]]:
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError("file", f"the XLSX file is corrupt: {type(exc).__name__}") from None
    sheet = book.worksheets[0]
    for count, row in enumerate(sheet.iter_rows(values_only=True)):
        if count > max_rows + 1:
            break
        yield row


def _csv_rows(content: bytes) -> Iterator[Sequence[object]]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = content.decode("utf-16")
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpreadsheetError(
                "file", "not a spreadsheet: send XLSX, or CSV in UTF-8"
            ) from None
    if "\x00" in text or not text.strip():
        raise SpreadsheetError("file", "not a spreadsheet: send XLSX, or CSV in UTF-8")
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def read_sheet(
    content: bytes,
    *,
    filename: str | None,
    kind: SheetKind,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ParsedSheet:
    """Typed rows and cell errors; a SpreadsheetError when the file cannot be read."""
    if not content:
        raise SpreadsheetError("file", "the file is empty")
    if len(content) > max_bytes:
        raise SpreadsheetError("file", f"the file is larger than {max_bytes} bytes")
    rows = (
        _xlsx_rows(content, max_rows) if content.startswith(b"PK\x03\x04") else _csv_rows(content)
    )
    try:
        header = next(rows)
    except StopIteration:
        raise SpreadsheetError("file", "the file has no rows") from None
    mapped = _map_headers(kind, list(header))
    parsed: list[SheetRow] = []
    errors: list[CellError] = []
    for row_number, cells in enumerate(rows, start=2):
        if row_number - 1 > max_rows:
            raise SpreadsheetError("file", f"more than {max_rows} rows; split the file")
        values = _typed_row(row_number, mapped, list(cells), errors)
        if values is not None:
            parsed.append(SheetRow(row_number, values))
    if not parsed and not errors:
        raise SpreadsheetError("file", "the file has a header but no data rows")
    return ParsedSheet(kind, [m for m in mapped if m], parsed, errors)


def template(kind: SheetKind, language: str = "vi") -> bytes:
    """An XLSX to fill in: the headers the import reads, and a sheet of guidance."""
    headers = (HEADERS if language == "vi" else ENGLISH)[kind]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Danh sách" if language == "vi" else "Rows"
    sheet.append(list(headers.values()))
    for index, header in enumerate(headers.values(), start=1):
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(14, len(header) + 4)
    sheet.freeze_panes = "A2"
    if kind is SheetKind.MEMBERS:
        column = get_column_letter(list(headers).index("sex") + 1)
        sexes = DataValidation(type="list", formula1='"Nam,Nữ"', allow_blank=False)
        sheet.add_data_validation(sexes)
        sexes.add(f"{column}2:{column}5000")
    guide = book.create_sheet("Hướng dẫn" if language == "vi" else "Guide")
    for field, header in headers.items():
        guide.append([header, _GUIDE.get(field, "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_GUIDE = {
    "name": "Tên câu lạc bộ",
    "commune_code": "Mã xã/phường hiện hành (5 chữ số)",
    "legacy_commune_code": "Mã xã trước 1/7/2025, nếu có",
    "hamlet": "Ấp, khóm, thôn",
    "founded_on": "Ngày thành lập, dd/mm/yyyy",
    "external_id": "Mã riêng của tỉnh, không trùng",
    "full_name": "Họ và tên",
    "sex": "Nam hoặc Nữ",
    "birth_year": "Năm sinh, ví dụ 1955",
    "birth_date": "Ngày sinh dd/mm/yyyy, nếu biết",
    "poverty_status": "Hộ nghèo, Cận nghèo, Khó khăn hoặc Không",
    "ethnic_minority": "x nếu là người dân tộc thiểu số",
    "is_volunteer": "x nếu là tình nguyện viên",
    "joined_on": "Ngày tham gia CLB, dd/mm/yyyy",
    "club": "Mã CLB (hoặc mã số CLB trong hệ thống)",
}
