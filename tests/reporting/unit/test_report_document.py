"""The report as an official document (`report_layout.document`): the frame of
Decree 30/2020/NĐ-CP, the early-issue warning, the issue key; no database."""

from __future__ import annotations

from datetime import date

from ishc_reporting.domain import report_layout as layout
from ishc_reporting.domain.report_layout import PeriodKind, ReportFrame


def frame(**changes: object) -> ReportFrame:
    values: dict[str, object] = {
        "scope": "province",
        "province": "86",
        "province_name": "Tỉnh Vĩnh Long",
        "boundary": "current",
        "kind": PeriodKind.QUARTER,
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 12, 31),
        "issued_on": date(2027, 1, 5),
    }
    values.update(changes)
    return ReportFrame(**values)  # type: ignore[arg-type]


def test_the_place_and_date_line_as_decree_30_writes_it() -> None:
    # A 0 before days under 10 and months under 3; none before March to September.
    assert layout.place_date_text("Vĩnh Long", date(2027, 1, 5), "vi") == (
        "Vĩnh Long, ngày 05 tháng 01 năm 2027"
    )
    assert layout.place_date_text("Hà Nội", date(2026, 3, 9), "vi") == (
        "Hà Nội, ngày 09 tháng 3 năm 2026"
    )
    assert layout.place_date_text("Hà Nội", date(2026, 11, 30), "en") == "Hà Nội, 30 November 2026"
    assert layout.place_of(frame()) == "Vĩnh Long"
    assert layout.place_of(frame(province_name="Thành phố Đà Nẵng")) == "Đà Nẵng"
    hcm = frame(province="79", province_name="Thành phố Hồ Chí Minh")
    assert layout.place_of(hcm) == "Thành phố Hồ Chí Minh"
    assert layout.place_of(frame(scope="nation", province=None, province_name=None)) == "Hà Nội"


def test_the_issuing_body_and_the_signer() -> None:
    assert layout.issuer_text(frame(), "vi") == "HỘI NGƯỜI CAO TUỔI TỈNH VĨNH LONG"
    nation = frame(scope="nation", province=None, province_name=None)
    assert layout.issuer_text(nation, "vi") == "HỘI NGƯỜI CAO TUỔI VIỆT NAM"
    doc = layout.document(frame(), {"format": 3, "year": 2026, "number": 4, "as_of": "2026-12-31",
                                    "indicators": {"members": 50}}, "vi")  # fmt: skip
    assert doc.number == "Số: ……/BC-HNCT"
    assert doc.motto == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert doc.title[:3] == [
        "BÁO CÁO",
        "Kết quả hoạt động Câu lạc bộ Liên thế hệ tự giúp nhau",
        "QUÝ 4 NĂM 2026 — Tỉnh Vĩnh Long",
    ]
    assert doc.signer == ["TM. BAN CHẤP HÀNH", "CHỦ TỊCH"]
    assert "- Ủy ban nhân dân tỉnh Vĩnh Long;" in doc.recipients
    assert doc.warning is None and not doc.landscape
    assert doc.sections[0].title == "I. CÁC CHỈ TIÊU"


def test_a_report_issued_before_its_period_ended_is_flagged() -> None:
    end = date(2026, 12, 31)
    assert layout.issued_early(date(2026, 11, 30), end)
    assert layout.issued_early(end, end)  # the last day is not over yet
    assert not layout.issued_early(date(2027, 1, 1), end)
    early = layout.document(
        frame(issued_on=date(2026, 11, 30)),
        {"format": 3, "year": 2026, "number": 4, "as_of": "2026-11-30", "indicators": {}},
        "vi",
    )
    assert early.warning == "Báo cáo lập trước khi hết kỳ: số liệu tính đến ngày 30/11/2026"


def test_cells_and_the_province_rows() -> None:
    assert layout.cell_text(1234567, "int", "vi") == "1.234.567"
    assert layout.cell_text("19.26", "dec", "vi") == "19,26"
    assert layout.cell_text("19.26", "pct", "en") == "19.26%"
    assert layout.cell_text(None, "int", "vi") == "—"
    figures = {
        "indicators": {"clubs": 3, "members": 120, "shares": {"well_managed": "50.00"}},
        "by_province": [
            {"code": "86", "name": "Tỉnh Vĩnh Long", "clubs": 3, "members": 120,
             "well_managed": "50.00"},
        ],
    }  # fmt: skip
    rows = layout.province_rows(figures, "vi")
    clubs = [c[0] for c in layout.PROVINCE_COLUMNS].index("clubs") + 2
    assert rows[0][:2] == ["Tỉnh Vĩnh Long", "86"] and rows[0][clubs] == 3
    assert rows[-1][0] == "Toàn quốc" and rows[-1][clubs] == 3 and rows[-1][-1] == "50.00"
    assert layout.province_rows({"indicators": {}}, "vi") == []


def test_the_issue_key_names_the_report() -> None:
    key = layout.issue_key("nation", None, "year", date(2025, 1, 1), "legacy", date(2025, 12, 31))
    assert key == "nation||year|2025-01-01|legacy|2025-12-31"
    day = date(2025, 12, 31)
    interim = layout.issue_key("nation", None, "year", date(2025, 1, 1), "legacy", day, True)
    assert interim == "nation||year|2025-01-01|legacy|interim:2025-12-31" != key
