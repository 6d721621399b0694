"""Spreadsheet files (CSV and XLSX) in and out, read as untrusted input.

An upload is bounded before any parser sees it: an XLSX is a zip whose parts
are checked (names, encryption, declared sizes, compression ratio) and then
decompressed once in chunks with a cap, so a zip bomb or a lying header is
refused without expanding it; openpyxl then reads it in read-only mode with
rows and columns capped. CSV fields past the csv module's own limit are read
by a small scanner, so the person learns the row and column of the long cell.
The rows go to `domain.spreadsheet.parse_rows`, which types them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ishc_platform import admin_units
from ishc_registry.domain.messages import Reason
from ishc_registry.domain.spreadsheet import (
    ENGLISH,
    HEADERS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    ParsedSheet,
    SheetKind,
    SpreadsheetError,
    parse_rows,
)

MIB = 1024 * 1024
# Limits of an XLSX archive (docs/security.md).
MAX_PART_BYTES = 50 * MIB  # one part, uncompressed
MAX_TOTAL_BYTES = 100 * MIB  # all parts, uncompressed
MAX_RATIO = 100  # uncompressed:compressed, for parts above RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1 * MIB
MAX_PARTS = 1_000
EXCEL_MAX_ROWS = 1_048_576  # no spreadsheet program writes a row past this one
_CHUNK = 1 * MIB
# Parts an OOXML workbook holds; anything else is not a spreadsheet we read.
_PART = re.compile(r"\[Content_Types\]\.xml|(?:_rels|docProps|xl|customXml)/[^\x00-\x1f\\]*")
_NOT_A_SHEET = Reason("not a spreadsheet: send XLSX, or CSV in UTF-8", "not_a_spreadsheet")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or an XLSX saved with a password


def read_sheet(
    content: bytes,
    *,
    filename: str | None,
    kind: SheetKind,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
) -> ParsedSheet:
    """Typed rows and cell errors; a SpreadsheetError when the file cannot be taken."""
    if not content:
        raise SpreadsheetError("file", Reason("the file is empty", "empty_file"))
    if len(content) > max_bytes:
        raise SpreadsheetError("file", f"the file is larger than {max_bytes} bytes", limit="bytes")
    if content.startswith(_OLE):
        raise SpreadsheetError(
            "file",
            "Tệp .xls cũ hoặc có mật khẩu: hãy lưu thành .xlsx không mật khẩu "
            "(an old .xls or a password-protected file: save it as .xlsx without a password)",
        )
    rows = _xlsx_rows(content) if content.startswith(b"PK\x03\x04") else _csv_rows(content)
    with closing(rows):
        return parse_rows(rows, kind=kind, max_rows=max_rows)


# -- XLSX -------------------------------------------------------------------------


def _archive_problem(message: str, limit: str | None = None) -> SpreadsheetError:
    return SpreadsheetError("file", message, limit=limit)


def check_archive(content: bytes) -> None:
    """Refuse an XLSX whose zip would expand past the limits, before any XML is parsed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _archive_problem("the XLSX file is corrupt: not a zip archive") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise _archive_problem(f"the XLSX file has more than {MAX_PARTS} parts", "parts")
        declared = 0
        for info in infos:
            name = info.filename
            if not _PART.fullmatch(name) or ".." in name.split("/"):
                raise _archive_problem(f"the XLSX file holds an unexpected part: {name[:100]!r}")
            if info.flag_bits & 0x1:
                raise _archive_problem("the XLSX file is encrypted; save it without a password")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _archive_problem(f"the XLSX part {name!r} uses an unknown compression")
            if info.file_size > MAX_PART_BYTES:
                raise _archive_problem(
                    f"the XLSX part {name!r} expands to more than {MAX_PART_BYTES // MIB} MB",
                    "part_bytes",
                )
            if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise _archive_problem(
                    f"the XLSX part {name!r} is compressed more than {MAX_RATIO}:1",
                    "compression_ratio",
                )
            declared += info.file_size
            if declared > MAX_TOTAL_BYTES:
                raise _archive_problem(
                    f"the XLSX file expands to more than {MAX_TOTAL_BYTES // MIB} MB",
                    "total_bytes",
                )
        # Headers can lie: decompress once, counting, and stop at the caps. (zipfile
        # also stops at the declared size and checks the CRC, so a lie is a BadZipFile.)
        total = 0
        for info in infos:
            size = 0
            try:
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        size += len(chunk)
                        total += len(chunk)
                        if size > min(info.file_size, MAX_PART_BYTES) or total > MAX_TOTAL_BYTES:
                            raise _archive_problem(
                                f"the XLSX part {info.filename!r} expands past its declared size",
                                "part_bytes",
                            )
            except SpreadsheetError:
                raise
            except Exception as exc:  # BadZipFile (a bad CRC: a lying header), zlib.error...
                raise _archive_problem(f"the XLSX file is corrupt: {type(exc).__name__}") from None


def _xlsx_rows(content: bytes) -> Generator[Sequence[object]]:
    check_archive(content)
    # openpyxl raises many kinds of error on a damaged or forged workbook (KeyError,
    # ParseError, TypeError...): whatever it raises while reading is "corrupt".
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise _archive_problem(f"the XLSX file is corrupt: {type(exc).__name__}") from None
    try:
        if not book.worksheets:
            raise _archive_problem("the XLSX file has no sheet")
        sheet = book.worksheets[0]
        # One column past the limit, so a too-wide row is seen and refused.
        rows = sheet.iter_rows(max_row=EXCEL_MAX_ROWS, max_col=MAX_COLUMNS + 1, values_only=True)
        count = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except Exception as exc:
                raise _archive_problem(f"the XLSX file is corrupt: {type(exc).__name__}") from None
            count += 1
            yield row
        if count >= EXCEL_MAX_ROWS:
            raise _archive_problem(f"the sheet has rows past row {EXCEL_MAX_ROWS}", "rows")
    finally:
        book.close()


# -- CSV --------------------------------------------------------------------------


def _csv_rows(content: bytes) -> Generator[Sequence[object]]:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise SpreadsheetError("file", _NOT_A_SHEET) from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpreadsheetError("file", _NOT_A_SHEET) from None
    if "\x00" in text or not text.strip():
        raise SpreadsheetError("file", _NOT_A_SHEET)
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text):
            consumed.append(line)
            yield line

    source = lines()
    reader = csv.reader(source, delimiter=delimiter)
    record = 0
    while True:
        consumed.clear()
        record += 1
        try:
            row: Sequence[object] = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" not in str(exc):
                raise SpreadsheetError(
                    "file", f"row {record} cannot be read: {exc}", row=record
                ) from None
            # A cell past the csv module's limit: read this record ourselves, so the
            # long cell is reported by row and column like any other too-long cell.
            row = _scan_record(consumed, source, delimiter)
        yield row


def _scan_record(lines: list[str], more: Iterator[str], delimiter: str) -> list[str]:
    """The fields of one CSV record (excel dialect), pulling lines until its quotes close."""
    fields: list[str] = []
    current: list[str] = []
    quoted, at_start = False, True
    pending = list(lines)
    while True:
        if not pending:
            line = next(more, None)
            if line is None:
                break
            pending.append(line)
        text = pending.pop(0)
        index = 0
        while index < len(text):
            char = text[index]
            if quoted:
                if char == '"':
                    if text.startswith('"', index + 1):
                        current.append('"')
                        index += 1
                    else:
                        quoted = False
                else:
                    current.append(char)
            elif char == '"' and at_start:
                quoted = True
            elif char == delimiter:
                fields.append("".join(current))
                current = []
                at_start = True
                index += 1
                continue
            elif char not in "\r\n":
                current.append(char)
            at_start = False
            index += 1
        if not quoted and not pending:
            break
    fields.append("".join(current))
    return fields


# -- templates ----------------------------------------------------------------------


def template(kind: SheetKind, language: str = "vi", provinces: Sequence[str] = ()) -> bytes:
    """An XLSX to fill in: the headers the import reads, a sheet of guidance and,
    for `provinces` (current codes), a sheet of their communes with their codes."""
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
    if provinces:
        _communes_sheet(book, provinces, language, with_legacy="legacy_commune_code" in headers)
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


_COMMUNE_HEADERS = {
    "vi": ["Mã tỉnh", "Tỉnh", "Mã xã", "Tên xã", "Mã xã cũ (trước 1/7/2025)", "Tên xã cũ"],
    "en": [
        "province_code",
        "province",
        "commune_code",
        "commune",
        "legacy_commune_codes",
        "legacy_communes",
    ],
}


def _communes_sheet(
    book: Workbook, provinces: Sequence[str], language: str, *, with_legacy: bool
) -> None:
    """One row per current commune: where the codes of the commune column come from.
    With the legacy codes it was formed from, when the sheet has a legacy column."""
    headers = _COMMUNE_HEADERS["vi" if language == "vi" else "en"]
    sheet = book.create_sheet("Danh mục xã" if language == "vi" else "Communes")
    sheet.append(headers if with_legacy else headers[:4])
    for index, header in enumerate(headers if with_legacy else headers[:4], start=1):
        sheet.cell(1, index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) + 4)
    sheet.column_dimensions["D"].width = 28
    sheet.freeze_panes = "A2"
    for code in provinces:
        province = admin_units.current_province(code)
        if province is None:
            continue
        for unit in admin_units.communes_of_province(code, admin_units.Boundary.CURRENT):
            row: list[object] = [code, province.name, unit.code, unit.name]
            if with_legacy:
                sources = admin_units.legacy_sources_of_commune(unit.code)
                row += [", ".join(u.code for u in sources), ", ".join(u.name for u in sources)]
            sheet.append(row)
