"""The health book (sổ theo dõi sức khỏe) as a printable page in Vietnamese: dates
dd/mm/yyyy, decimal commas (61,7 kg), units, and the flags and trends in words,
so a volunteer reads it at the member's home without the API.

It names the member by id only (the name is the registry's), and every text
(a station's name, ids) reaches the HTML through Jinja2's autoescaping. The
member's export is JSON (`api/members.py`); this page is for printing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import quote

from jinja2 import Environment

from ishc_contracts.health_events import Checker
from ishc_health.domain.checks import (
    BmiBand,
    Book,
    BookEntry,
    Direction,
    Level,
    Reading,
    Trend,
    TwiceAYear,
)
from ishc_health.domain.consent import ConsentState
from ishc_platform import admin_units
from ishc_platform.directory import DirectoryClub

HTML_MEDIA_TYPE = "text/html; charset=utf-8"

TITLE = "SỔ THEO DÕI SỨC KHỎE"
CLUB = "Câu lạc bộ liên thế hệ tự giúp nhau"
HEADERS = (
    "Ngày khám",
    "Người khám",
    "Huyết áp (mmHg)",
    "Mạch (lần/phút)",
    "Cân nặng (kg)",
    "Chiều cao (cm)",
    "BMI (kg/m²)",
    "Đường huyết (mmol/L)",
    "Nhận xét",
    "Thay đổi so với lần trước",
)
CHECKERS = {Checker.STATION: "Trạm y tế", Checker.VOLUNTEER: "Tình nguyện viên"}
BLOOD_PRESSURE = {Level.HIGH: "Huyết áp cao", Level.NORMAL: "Huyết áp bình thường"}
BMI_BANDS = {
    BmiBand.UNDERWEIGHT: "Thiếu cân",
    BmiBand.NORMAL: "Cân nặng bình thường",
    BmiBand.OVERWEIGHT: "Thừa cân",
    BmiBand.OBESE: "Béo phì",
}
GLUCOSE = {
    Level.LOW: "Đường huyết thấp",
    Level.NORMAL: "Đường huyết bình thường",
    Level.HIGH: "Đường huyết cao",
}
VALUE_NAMES = {
    "systolic_mmhg": ("Huyết áp tâm thu", "mmHg"),
    "diastolic_mmhg": ("Huyết áp tâm trương", "mmHg"),
    "pulse_bpm": ("Mạch", "lần/phút"),
    "weight_kg": ("Cân nặng", "kg"),
    "height_cm": ("Chiều cao", "cm"),
    "glucose_mmol_l": ("Đường huyết", "mmol/L"),
}
DIRECTIONS = {Direction.UP: "tăng", Direction.DOWN: "giảm", Direction.SAME: "không đổi"}
ERASED = "Đã xóa số liệu theo yêu cầu của thành viên"
NO_CHECKS = "Chưa có lần khám nào"


def day(on: date) -> str:
    return f"{on:%d/%m/%Y}"


def number(value: Reading | Decimal | None) -> str:
    """61.7 → "61,7" (Vietnamese writes a decimal comma); None → ""."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return format(value, "f").replace(".", ",")


@dataclass(frozen=True)
class Heading:
    member_id: str
    club_id: str
    place: str
    printed_on: date


def heading(member_id: str, club: DirectoryClub, printed_on: date) -> Heading:
    places: list[str] = []
    commune = (
        admin_units.current_commune(club.commune_code)
        if club.commune_code
        else admin_units.legacy_commune(club.legacy_commune_code or "")
    )
    if commune is not None:
        places.append(commune.name)
    province = admin_units.current_province(club.province)
    if province is not None:
        places.append(province.name)
    return Heading(member_id, club.club_id, ", ".join(places), printed_on)


def consent_text(state: ConsentState, given_on: date | None, withdrawn_on: date | None) -> str:
    if state is ConsentState.STANDING and given_on is not None:
        return f"Đồng ý cho xử lý dữ liệu sức khỏe từ ngày {day(given_on)}"
    if state is ConsentState.WITHDRAWN and withdrawn_on is not None:
        return f"Đã rút lại sự đồng ý cho xử lý dữ liệu sức khỏe ngày {day(withdrawn_on)}"
    return "Chưa có sự đồng ý cho xử lý dữ liệu sức khỏe"


def checker_text(entry: BookEntry) -> str:
    text = CHECKERS[entry.check.checker]
    if entry.check.station:
        text += f": {entry.check.station}"
    return text


def pressure_text(entry: BookEntry) -> str:
    values = entry.check.values
    if values is None or (values.systolic_mmhg is None and values.diastolic_mmhg is None):
        return ""
    systolic = number(values.systolic_mmhg) or "–"
    diastolic = number(values.diastolic_mmhg) or "–"
    return f"{systolic}/{diastolic}"


def flags_text(entry: BookEntry) -> list[str]:
    if entry.check.values is None:
        return [ERASED]
    found = []
    if entry.flags.blood_pressure is not None:
        found.append(BLOOD_PRESSURE[entry.flags.blood_pressure])
    if entry.flags.bmi is not None:
        found.append(BMI_BANDS[entry.flags.bmi])
    if entry.flags.glucose is not None:
        found.append(GLUCOSE[entry.flags.glucose])
    return found


def trend_text(name: str, trend: Trend) -> str:
    """e.g. "Cân nặng giảm 1,3 kg (so với 03/05/2026)"."""
    label, unit = VALUE_NAMES[name]
    if trend.direction is Direction.SAME:
        return f"{label} không đổi (so với {day(trend.since)})"
    difference = trend.difference
    amount = number(-difference if difference < 0 else difference)
    return f"{label} {DIRECTIONS[trend.direction]} {amount} {unit} (so với {day(trend.since)})"


def twice_text(twice: TwiceAYear) -> str:
    verdict = (
        f"đạt yêu cầu khám ít nhất {twice.required} lần/năm"
        if twice.met
        else f"chưa đạt yêu cầu khám ít nhất {twice.required} lần/năm"
    )
    return (
        f"Số lần khám trong 12 tháng (từ {day(twice.window_from)} đến "
        f"{day(twice.window_to)}): {twice.checks} – {verdict}"
    )


def printed_text(on: date) -> str:
    return f"In ngày {on:%d} tháng {on:%m} năm {on:%Y}"


_PAGE = """<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} – {{ head.member_id }}</title>
<style>
  @page { size: A4 landscape; margin: 12mm; }
  body { font-family: "Times New Roman", Times, serif; font-size: 12pt; color: #000;
         background: #fff; margin: 1.5em auto; max-width: 75em; }
  header { text-align: center; margin-bottom: 1em; }
  h1 { font-size: 16pt; margin: 0 0 .3em; letter-spacing: .03em; }
  header p { margin: .1em 0; }
  p.notice { font-weight: bold; }
  table { width: 100%; border-collapse: collapse; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; break-inside: avoid; }
  th, td { border: 1px solid #000; padding: .25em .4em; vertical-align: top; }
  th { background: #eee; }
  td.date { white-space: nowrap; text-align: center; }
  td.number { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
  td ul { margin: 0; padding-left: 1.1em; }
  footer { display: flex; justify-content: space-around; margin-top: 2em; text-align: center; }
  footer p { margin: 0; }
  .signature { min-height: 5em; }
  @media print { body { margin: 0; max-width: none; } th { background: none; } }
</style>
</head>
<body>
<header>
  <h1>{{ title }}</h1>
  <p>{{ club }}</p>
  <p>Mã câu lạc bộ: {{ head.club_id }}</p>
  <p>Mã thành viên: {{ head.member_id }}</p>
  <p>{{ consent }}</p>
</header>
{% if book is none %}
<p class="notice">{{ withheld }}</p>
{% else %}
{% if audit_view %}
<p class="notice">Bản xem của thanh tra: gồm các lần khám đã ẩn do thành viên rút lại sự đồng ý.</p>
{% endif %}
<p>{{ twice }}</p>
<table>
  <thead>
    <tr>{% for name in headers %}<th scope="col">{{ name }}</th>{% endfor %}</tr>
  </thead>
  <tbody>
  {% for entry in book.entries %}
    {% set values = entry.check.values %}
    <tr>
      <td class="date">{{ day(entry.check.checked_on) }}</td>
      <td>{{ checker(entry) }}</td>
      <td class="number">{{ pressure(entry) }}</td>
      <td class="number">{{ number(values.pulse_bpm) if values else "" }}</td>
      <td class="number">{{ number(values.weight_kg) if values else "" }}</td>
      <td class="number">{{ number(values.height_cm) if values else "" }}</td>
      <td class="number">{{ number(entry.bmi) }}</td>
      <td class="number">{{ number(values.glucose_mmol_l) if values else "" }}</td>
      <td>{{ flags(entry)|join("; ") }}</td>
      <td>{% if entry.trend %}<ul>{% for name, trend in entry.trend.items() %}
        <li>{{ trend_text(name, trend) }}</li>{% endfor %}</ul>{% endif %}</td>
    </tr>
  {% else %}
    <tr><td colspan="{{ headers|length }}">{{ no_checks }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endif %}
<footer>
  <div><p><strong>Người ghi sổ</strong></p><p class="signature"></p></div>
  <div><p>{{ printed }}</p><p><strong>Thành viên</strong></p><p class="signature"></p></div>
</footer>
</body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_TEMPLATE = _ENVIRONMENT.from_string(_PAGE)


def render_html(
    head: Heading,
    *,
    book: Book | None,
    state: ConsentState,
    given_on: date | None,
    withdrawn_on: date | None,
    audit_view: bool,
) -> bytes:
    """The page; `book` None when a withdrawn consent hides the checks."""
    withheld = (
        "Thành viên đã rút lại sự đồng ý: các lần khám không được hiển thị."
        if state is ConsentState.WITHDRAWN
        else "Chưa có sự đồng ý của thành viên: không có số liệu để hiển thị."
    )
    page = _TEMPLATE.render(
        title=TITLE,
        head=head,
        club=f"{CLUB}: {head.place}" if head.place else CLUB,
        consent=consent_text(state, given_on, withdrawn_on),
        withheld=withheld,
        audit_view=audit_view,
        book=book,
        twice=twice_text(book.twice_a_year) if book is not None else "",
        headers=HEADERS,
        no_checks=NO_CHECKS,
        printed=printed_text(head.printed_on),
        day=day,
        number=number,
        checker=checker_text,
        pressure=pressure_text,
        flags=flags_text,
        trend_text=trend_text,
    )
    return page.encode("utf-8")


def file_name(member_id: str, on: date, extension: str) -> str:
    """e.g. "Sổ theo dõi sức khỏe - <member id> - 01-12-2026.html"."""
    return f"Sổ theo dõi sức khỏe - {member_id} - {on:%d-%m-%Y}.{extension}"


def _ascii(name: str) -> str:
    """The name without accents, for clients that do not read `filename*`."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9.\-]+", "_", plain).strip("_")


def content_disposition(name: str, *, inline: bool = False) -> str:
    """RFC 6266 with the RFC 5987 `filename*` for the Vietnamese name."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
