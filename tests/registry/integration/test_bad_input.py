"""Bad input to the registry: always a precise 4xx problem naming the field (or the
spreadsheet row and column), never a 500, never silently taken, and nothing changed."""

from __future__ import annotations

import base64
import csv
import io
import json
import resource
import time
import zipfile
from typing import Any

import pytest

from ishc_registry.adapters.spreadsheet import MAX_PART_BYTES, MAX_TOTAL_BYTES
from ishc_registry.domain.spreadsheet import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS
from tests.registry.conftest import OPS, VL, Registry
from tests.registry.integration.test_imports import upload, xlsx

pytestmark = pytest.mark.integration
MIB = 1024 * 1024
PROBLEM = "application/problem+json"
MINIMAL = ["Họ và tên", "Giới tính", "Năm sinh", "Ngày tham gia"]  # the required columns


# -- helpers ----------------------------------------------------------------------


def events_recorded(registry: Registry) -> tuple[int, int]:
    """The outbox's head once the relay has caught up: any accepted change moves it.

    (Positions may have gaps on PostgreSQL, so the last position is compared, not a sum.)"""
    deadline = time.monotonic() + 5
    while True:
        status = registry.http.get("/v1/outbox/status", headers=OPS).json()
        if status["unpublished"] == 0 or time.monotonic() > deadline:
            return int(status["published"]), int(status["unpublished"])
        time.sleep(0.02)


def refused(reply: Any, field: str, status: int = 422) -> dict[str, Any]:
    """The problem of a refused request, asserting it names `field`."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = reply.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    return problem


def cursor_of(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def world(registry: Registry) -> dict[str, str]:
    """A club with a member, a meeting and an activity: every route has a target."""
    club = registry.club(external_id="VL-BAD")
    member = registry.member(club["id"], external_id="P-1")
    for path, body in (
        ("meetings", {"held_on": "2024-05-01", "attendance": 12}),
        ("activities", {"area": "health_care", "held_on": "2024-05-02", "participants": 9}),
    ):
        reply = registry.http.post(f"/v1/clubs/{club['id']}/{path}", json=body, headers=VL)
        assert reply.status_code == 201, reply.text
    return {"club": club["id"], "member": member["id"]}


# -- dates ------------------------------------------------------------------------

# (method, path template, body, field): each body is valid but for one date.
DATED: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "POST",
        "/v1/clubs",
        {"name": "CLB Một", "commune_code": "29623", "founded_on": "0001-01-01"},
        "founded_on",
    ),
    ("PATCH", "/v1/clubs/{club}", {"founded_on": "0001-06-01"}, "founded_on"),
    (
        "POST",
        "/v1/clubs/{club}/relocate",
        {"commune_code": "29623", "relocated_on": "0001-01-01"},
        "relocated_on",
    ),
    (
        "POST",
        "/v1/clubs/{club}/dissolve",
        {"dissolved_on": "1899-12-31", "reason": "giải thể"},
        "dissolved_on",
    ),
    (
        "POST",
        "/v1/clubs/{club}/members",
        {"full_name": "Lê Văn A", "sex": "male", "birth_year": 1950, "joined_on": "0002-02-02"},
        "joined_on",
    ),
    (
        "POST",
        "/v1/clubs/{club}/members",
        {
            "full_name": "Lê Văn A",
            "sex": "male",
            "birth_date": "0001-01-01",
            "joined_on": "2020-01-01",
        },
        "birth_date",
    ),
    ("PATCH", "/v1/members/{member}", {"birth_date": "0001-01-01"}, "birth_date"),
    ("POST", "/v1/members/{member}/leave", {"left_on": "0001-01-01"}, "left_on"),
    ("PUT", "/v1/clubs/{club}/board", {"effective_on": "0001-01-01", "seats": []}, "effective_on"),
    (
        "POST",
        "/v1/clubs/{club}/meetings",
        {"held_on": "0001-01-01", "attendance": 3},
        "held_on",
    ),
    (
        "POST",
        "/v1/clubs/{club}/activities",
        {"area": "health_care", "held_on": "9999-12-31", "participants": 3},
        "held_on",
    ),
]


def refused_and_unchanged(
    registry: Registry,
    world: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    """The request is a 422 naming `field`, and no event was recorded."""
    before = events_recorded(registry)
    reply = registry.http.request(
        method, path.format(**world), json=body, headers={**VL, "If-Match": '"1"'}
    )
    refused(reply, field)
    assert events_recorded(registry) == before


@pytest.mark.parametrize(("method", "path", "body", "field"), DATED)
def test_a_date_outside_1900_2100_is_refused_naming_it(
    registry: Registry,
    world: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    refused_and_unchanged(registry, world, method, path, body, field)


def test_as_of_outside_the_calendar_is_refused(registry: Registry, world: dict[str, str]) -> None:
    reply = registry.http.get(
        f"/v1/clubs/{world['club']}", params={"as_of": "0001-01-01"}, headers=VL
    )
    refused(reply, "as_of")


# -- text -------------------------------------------------------------------------

RLO, LRI, NUL = "\u202e", "\u2066", "\x00"
TEXTS: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "POST",
        "/v1/clubs",
        {"name": f"CLB {RLO}gnàuQ", "commune_code": "29623", "founded_on": "2018-01-01"},
        "name",
    ),
    (
        "POST",
        "/v1/clubs",
        {"name": f"CLB{NUL}", "commune_code": "29623", "founded_on": "2018-01-01"},
        "name",
    ),
    (
        "POST",
        "/v1/clubs",
        {"name": "CLB", "hamlet": f"Ấp{NUL}1", "commune_code": "29623", "founded_on": "2018-01-01"},
        "hamlet",
    ),
    (
        "POST",
        "/v1/clubs",
        {"name": "CLB", "commune_code": "29623", "founded_on": "2018-01-01", "external_id": "  "},
        "external_id",
    ),
    (
        "POST",
        "/v1/clubs",
        {"name": "CLB", "commune_code": "29623", "founded_on": "2018-01-01", "external_id": "A\tB"},
        "external_id",
    ),
    (
        "POST",
        "/v1/clubs",
        # A name whose accent-free search key outgrows its column (Hangul: 3 letters each).
        {"name": "한" * 200, "commune_code": "29623", "founded_on": "2018-01-01"},
        "name",
    ),
    ("PATCH", "/v1/clubs/{club}", {"name": f"{LRI}CLB"}, "name"),
    ("PATCH", "/v1/clubs/{club}", {"external_id": f"VL{NUL}"}, "external_id"),
    (
        "POST",
        "/v1/clubs/{club}/dissolve",
        {"dissolved_on": "2024-01-01", "reason": f"giải{NUL}thể"},
        "reason",
    ),
    (
        "POST",
        "/v1/clubs/{club}/dissolve",
        {"dissolved_on": "2024-01-01", "reason": "   "},
        "reason",
    ),
    (
        "POST",
        "/v1/clubs/{club}/relocate",
        {"commune_code": "29623", "hamlet": f"{RLO}1 pẤ", "relocated_on": "2024-01-01"},
        "hamlet",
    ),
    (
        "POST",
        "/v1/clubs/{club}/members",
        {"full_name": f"Lan{NUL}", "sex": "female", "birth_year": 1950, "joined_on": "2020-01-01"},
        "full_name",
    ),
    ("PATCH", "/v1/members/{member}", {"full_name": f"{RLO}naL"}, "full_name"),
    (
        "POST",
        "/v1/clubs/{club}/meetings",
        {"held_on": "2024-01-01", "attendance": 3, "external_id": f"M{NUL}"},
        "external_id",
    ),
    (
        "POST",
        "/v1/clubs/{club}/activities",
        {
            "area": "health_care",
            "held_on": "2024-01-01",
            "participants": 3,
            "external_id": "x" * 101,
        },
        "external_id",
    ),
    (
        "PUT",
        "/v1/clubs/{club}/board",
        {"effective_on": "2024-01-01", "seats": [{"position": "chair", "member_id": NUL}]},
        "seats[0].member_id",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), TEXTS)
def test_control_and_bidi_characters_in_text_are_refused_naming_the_field(
    registry: Registry,
    world: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    refused_and_unchanged(registry, world, method, path, body, field)


@pytest.mark.parametrize("q", [f"Lan{NUL}", f"{RLO}naL", "x" * 101])
@pytest.mark.parametrize("path", ["/v1/clubs", "/v1/clubs/{club}/members"])
def test_a_bad_search_word_is_refused_naming_q(
    registry: Registry, world: dict[str, str], path: str, q: str
) -> None:
    refused(registry.http.get(path.format(**world), params={"q": q}, headers=VL), "q")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/clubs/%00", "club_id"),
        ("/v1/clubs/%00/members", "club_id"),
        ("/v1/clubs/not-an-id/meetings", "club_id"),
        ("/v1/members/%00", "member_id"),
        ("/v1/audit?member_id=%00", "member_id"),
    ],
)
def test_an_id_that_cannot_be_one_is_refused_naming_it(
    registry: Registry, path: str, field: str
) -> None:
    refused(registry.http.get(path, headers=VL), field)


def test_a_bad_club_id_in_an_import_form_is_refused(registry: Registry) -> None:
    content = xlsx([MINIMAL, ["A B", "Nữ", 1950, "01/01/2020"]])
    refused(upload(registry, content, "members", club_id="\x00"), "club_id")


# -- unknown fields ---------------------------------------------------------------

BODIES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/v1/clubs", {"name": "CLB", "commune_code": "29623", "founded_on": "2018-01-01"}),
    ("PATCH", "/v1/clubs/{club}", {"name": "CLB Mới"}),
    ("POST", "/v1/clubs/{club}/relocate", {"commune_code": "29623", "relocated_on": "2024-01-01"}),
    ("POST", "/v1/clubs/{club}/dissolve", {"dissolved_on": "2024-01-01", "reason": "giải thể"}),
    (
        "POST",
        "/v1/clubs/{club}/members",
        {"full_name": "Lê Văn A", "sex": "male", "birth_year": 1950, "joined_on": "2020-01-01"},
    ),
    ("PATCH", "/v1/members/{member}", {"full_name": "Lê Văn B"}),
    ("POST", "/v1/members/{member}/leave", {"left_on": "2024-01-01"}),
    ("PUT", "/v1/clubs/{club}/board", {"effective_on": "2024-01-01", "seats": []}),
    ("POST", "/v1/clubs/{club}/meetings", {"held_on": "2024-01-01", "attendance": 3}),
    (
        "POST",
        "/v1/clubs/{club}/activities",
        {"area": "health_care", "held_on": "2024-01-01", "participants": 3},
    ),
]


@pytest.mark.parametrize(("method", "path", "body"), BODIES)
def test_every_body_refuses_an_unknown_field(
    registry: Registry, world: dict[str, str], method: str, path: str, body: dict[str, Any]
) -> None:
    before = events_recorded(registry)
    reply = registry.http.request(
        method,
        path.format(**world),
        json={**body, "province": "75"},
        headers={**VL, "If-Match": '"1"'},
    )
    refused(reply, "province")
    assert events_recorded(registry) == before


# -- If-Match ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "if_match",
    ['"' + "9" * 5000 + '"', "9" * 40, '"1234567890"', '"²"', '"٣"', "*", '"1", "2"', '"-1"'],
)
@pytest.mark.parametrize("resource", ["club", "member"])
def test_if_match_is_parsed_strictly(
    registry: Registry, world: dict[str, str], resource: str, if_match: str
) -> None:
    path = f"/v1/clubs/{world['club']}" if resource == "club" else f"/v1/members/{world['member']}"
    body = {"name": "CLB Mới"} if resource == "club" else {"full_name": "Lê Văn B"}
    before = events_recorded(registry)
    # Sent as UTF-8 bytes: a client may send any octets in a header.
    headers: dict[str, Any] = {**VL, "If-Match": if_match.encode()}
    refused(registry.http.patch(path, json=body, headers=headers), "If-Match")
    assert events_recorded(registry) == before
    # The ETag the API sent still works, weak or strong.
    etag = registry.http.get(path, headers=VL).headers["ETag"]
    assert registry.http.patch(path, json=body, headers={**VL, "If-Match": f"W/{etag}"}).is_success


# -- cursors ----------------------------------------------------------------------

GARBLED_VALUES: list[Any] = [
    7,
    10**30,
    -1.5,
    True,
    None,
    {"id": "x"},
    ["a"],
    "a\x00b",
    "x" * 10_000,
]


def garbled_cursors(key: str, kind: type) -> list[str]:
    """Cursors this API never returned for a list whose `key` holds a `kind`."""
    return [
        "!!! this is not a cursor !!!",
        "%00",
        "\x00",
        cursor_of(b"\xff\xfe\x00 not json"),
        cursor_of(b"[1, 2, 3]"),
        cursor_of({key: "0", "extra": 1}),
        *[cursor_of({key: value}) for value in GARBLED_VALUES if type(value) is not kind],
    ]


LISTS = [
    ("/v1/clubs", "after", str),
    ("/v1/clubs/{club}/members", "after", str),
    ("/v1/clubs/{club}/meetings", "after", str),
    ("/v1/clubs/{club}/activities", "after", str),
    ("/v1/audit", "before", int),  # audit entries are numbered
]


@pytest.mark.parametrize(("path", "key", "kind"), LISTS)
def test_a_garbled_cursor_is_a_422_naming_cursor_on_every_list(
    registry: Registry, world: dict[str, str], path: str, key: str, kind: type
) -> None:
    url = path.format(**world)
    # The list pages with a real cursor (so the key is right), then refuses forged ones.
    assert registry.http.get(url, params={"limit": 1}, headers=VL).status_code == 200
    registry.http.get(f"/v1/members/{world['member']}", headers=VL)  # one more audit entry
    for cursor in garbled_cursors(key, kind):
        reply = registry.http.get(url, params={"cursor": cursor}, headers=VL)
        assert reply.status_code == 422, (cursor[:80], reply.status_code, reply.text[:300])
        assert "cursor" in [e["field"] for e in reply.json()["errors"]], cursor[:80]


def test_the_audit_log_takes_the_cursor_it_returned(
    registry: Registry, world: dict[str, str]
) -> None:
    """Its ids are numbers: a cursor holding one is its own, not a forged one."""
    for _ in range(2):
        registry.http.get(f"/v1/members/{world['member']}", headers=VL)
    first = registry.http.get("/v1/audit", params={"limit": 1}, headers=VL).json()
    assert first["next_cursor"] is not None
    params = {"limit": 1, "cursor": first["next_cursor"]}
    second = registry.http.get("/v1/audit", params=params, headers=VL)
    assert second.status_code == 200, second.text
    assert second.json()["items"] != first["items"]


# -- imports: sizes of cells, rows and columns --------------------------------------


def member_csv(rows: list[list[str]], headers: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers or ["Họ và tên", "Giới tính", "Năm sinh", "Ngày tham gia"])
    writer.writerows(rows)
    return out.getvalue().encode()


@pytest.mark.parametrize("length", [MAX_CELL_CHARS + 1, 200_000])
def test_a_long_csv_cell_is_named_by_row_and_column(registry: Registry, length: int) -> None:
    """200,000 characters is past the csv module's own field limit (it answered 500)."""
    club = registry.club()
    content = member_csv(
        [["Lê Văn A", "Nam", "1950", "01/01/2020"], ["B" * length, "Nữ", "1951", "01/01/2020"]]
    )
    before = events_recorded(registry)
    reply = upload(registry, content, "members", name="ds.csv", club_id=club["id"])
    problem = refused(reply, "full_name")
    error = next(e for e in problem["errors"] if e["field"] == "full_name")
    assert (error["row"], error["column"]) == (3, "Họ và tên")
    assert str(MAX_CELL_CHARS) in error["message"]
    assert events_recorded(registry) == before


def test_a_long_quoted_multiline_csv_cell_past_the_csv_limit_keeps_later_rows(
    registry: Registry,
) -> None:
    club = registry.club()
    long_cell = '"' + ("x" * 100_000 + "\n") * 2 + '"'
    text = (
        "Họ và tên;Giới tính;Năm sinh;Ngày tham gia;Ghi chú\n"
        f"Lê Văn A;Nam;1950;01/01/2020;{long_cell}\n"
        "Lê Văn B;Nam;1951;01/01/2099;\n"
    ).replace("Ghi chú", "STT")
    checked = upload(
        registry, text.encode(), "members", name="ds.csv", club_id=club["id"], dry_run=True
    )
    assert checked.status_code == 200, checked.text
    errors = {(e["row"], e["column"]) for e in checked.json()["errors"]}
    # The long cell (row 2, column STT) and the future date of row 3: both reported.
    assert (2, "STT") in errors and (3, "Ngày tham gia") in errors


def test_too_many_data_rows_is_refused_naming_the_limit(registry: Registry) -> None:
    club = registry.club()
    content = member_csv([["Lê Văn A", "Nam", "1950", "01/01/2020"]] * (MAX_ROWS + 1))
    reply = upload(registry, content, "members", name="ds.csv", club_id=club["id"])
    problem = refused(reply, "file")
    assert problem["errors"][0]["limit"] == "rows"
    assert problem["errors"][0]["row"] == MAX_ROWS + 2


@pytest.mark.parametrize("where", ["header", "row"])
def test_too_many_columns_is_refused_naming_the_limit(registry: Registry, where: str) -> None:
    club = registry.club()
    headers = ["Họ và tên", "Giới tính", "Năm sinh", "Ngày tham gia"]
    wide = ["x"] * (MAX_COLUMNS + 1)
    rows: list[list[Any]] = [headers, ["Lê Văn A", "Nam", 1950, "01/01/2020"]]
    if where == "header":
        rows[0] = headers + ["STT"] * (MAX_COLUMNS - 3)
    else:
        rows.append(wide)
    reply = upload(registry, xlsx(rows), "members", club_id=club["id"])
    problem = refused(reply, "file")
    assert problem["errors"][0]["limit"] == "columns"
    assert problem["errors"][0]["row"] == (1 if where == "header" else 3)


def test_text_in_a_spreadsheet_goes_through_the_same_checks(registry: Registry) -> None:
    """Bidi overrides and control characters were taken into names from files."""
    club = registry.club(external_id="VL-A")
    content = xlsx_with_shared_strings(
        [
            [*MINIMAL, "Mã CLB"],
            ["Lê Văn A", "Nam", 1950, "01/01/2020", f"VL{RLO}-A"],
            [f"{RLO}naL", "Nữ", 1951, "01/01/2020", "VL-A"],
        ]
    )
    before = events_recorded(registry)
    problem = refused(upload(registry, content, "members"), "club")
    found = {(e["row"], e["field"], e.get("column")) for e in problem["errors"]}
    assert (2, "club", "Mã CLB") in found and (3, "full_name", "Họ và tên") in found
    text = "Họ và tên,Giới tính,Năm sinh,Ngày tham gia\nLan\x1b[31m,Nữ,1950,01/01/2020\n"
    reply = upload(registry, text.encode(), "members", name="ds.csv", club_id=club["id"])
    assert (2, "full_name") in {
        (e["row"], e["field"]) for e in refused(reply, "full_name")["errors"]
    }
    assert events_recorded(registry) == before


def test_a_date_outside_the_calendar_in_a_file_is_named_by_row_and_column(
    registry: Registry,
) -> None:
    text = "Tên CLB,Mã xã,Ngày thành lập\nCLB Một,29623,01/01/0001\n"
    before = events_recorded(registry)
    problem = refused(upload(registry, text.encode(), "clubs", name="ds.csv"), "founded_on")
    assert (problem["errors"][0]["row"], problem["errors"][0]["column"]) == (2, "Ngày thành lập")
    assert registry.http.get("/v1/clubs", headers=VL).json()["items"] == []
    assert events_recorded(registry) == before


def test_a_csv_that_is_not_text_is_refused(registry: Registry) -> None:
    club = registry.club()
    # A UTF-16 byte-order mark, then a lone surrogate: not decodable (it answered 500).
    reply = upload(registry, b"\xff\xfe\x00\xd8", "members", name="ds.csv", club_id=club["id"])
    refused(reply, "file")


# -- imports: XLSX archives ------------------------------------------------------------


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def xlsx_with_shared_strings(rows: list[list[Any]], *, huge_string: int = 0) -> bytes:
    """An XLSX as Excel writes it, text in shared strings (openpyxl writes inline text).

    Text is written raw, so an `_x0000_` escape reaches the reader as Excel would
    send it. `huge_string` adds one shared string of that many bytes, streamed into
    the zip in chunks (about 1000:1), so the test never holds it."""
    strings: list[str] = []
    cells: list[str] = []
    for number, row in enumerate(rows, start=1):
        line = []
        for column, value in enumerate(row):
            ref = f"{chr(ord('A') + column)}{number}"
            if isinstance(value, str):
                strings.append(value)
                line.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                line.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{number}">{"".join(line)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.encode())
        part = zipfile.ZipInfo("xl/sharedStrings.xml")
        part.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(part, "w", force_zip64=True) as stream:
            stream.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for text in strings:
                stream.write(f"<si><t>{text}</t></si>".encode())
            if huge_string:
                stream.write(b"<si><t>")
                chunk = b"A" * MIB
                for _ in range(huge_string // MIB):
                    stream.write(chunk)
                stream.write(b"</t></si>")
            stream.write(b"</sst>")
    return out.getvalue()


def xlsx_bomb(expanded: int, *, lie_about_size: bool = False) -> bytes:
    """A valid XLSX of a few hundred KB whose shared strings expand to `expanded` bytes."""
    data = xlsx_with_shared_strings(
        [MINIMAL, ["Lê Văn A", "Nam", 1950, "01/01/2020"]], huge_string=expanded
    )
    if lie_about_size:
        data = _shrink_declared_size(data, "xl/sharedStrings.xml")
    return data


def _shrink_declared_size(data: bytes, name: str) -> bytes:
    """Make the central directory say `name` expands to 1 KB: a zip header that lies."""
    buffer = bytearray(data)
    start = 0
    while (start := buffer.index(b"PK\x01\x02", start)) >= 0:
        name_length = int.from_bytes(buffer[start + 28 : start + 30], "little")
        if buffer[start + 46 : start + 46 + name_length] == name.encode():
            buffer[start + 24 : start + 28] = (1024).to_bytes(4, "little")
            return bytes(buffer)
        start += 4
    raise AssertionError(name)


def test_an_xlsx_zip_bomb_is_refused_quickly_without_expanding_it(registry: Registry) -> None:
    club = registry.club()
    bomb = xlsx_bomb(400 * MIB)
    assert len(bomb) < 2 * MIB
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    reply = upload(registry, bomb, "members", club_id=club["id"])
    elapsed = time.monotonic() - started
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    problem = refused(reply, "file")
    assert problem["errors"][0]["limit"] in {"part_bytes", "total_bytes", "compression_ratio"}
    assert elapsed < 3, elapsed
    assert grown_kib < 200 * 1024, grown_kib  # ru_maxrss is in KiB on Linux


@pytest.mark.parametrize(
    ("size", "limit"),
    [
        # Under the per-part cap but far past the ratio: refused for the ratio.
        (20 * MIB, "compression_ratio"),
    ],
)
def test_a_highly_compressed_part_is_refused_for_its_ratio(
    registry: Registry, size: int, limit: str
) -> None:
    club = registry.club()
    assert size < MAX_PART_BYTES < MAX_TOTAL_BYTES
    problem = refused(upload(registry, xlsx_bomb(size), "members", club_id=club["id"]), "file")
    assert problem["errors"][0]["limit"] == limit


def test_unexpected_or_encrypted_xlsx_parts_are_refused(registry: Registry) -> None:
    club = registry.club()
    content = xlsx([MINIMAL, ["A B", "Nữ", 1950, "01/01/2020"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        target.writestr("../../etc/evil.sh", b"#!/bin/sh\n")
    refused(upload(registry, out.getvalue(), "members", club_id=club["id"]), "file")
    # The "encrypted" flag on one part.
    flagged = bytearray(content)
    central = flagged.index(b"PK\x01\x02")
    flagged[central + 8] |= 0x1
    reply = upload(registry, bytes(flagged), "members", club_id=club["id"])
    assert "encrypted" in refused(reply, "file")["detail"]


def test_a_zip_header_that_lies_about_a_size_is_refused_without_expanding(
    registry: Registry,
) -> None:
    club = registry.club()
    liar = xlsx_bomb(300 * MIB, lie_about_size=True)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == 1024
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problem = refused(upload(registry, liar, "members", club_id=club["id"]), "file")
    assert "corrupt" in problem["detail"]
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before < 200 * 1024
