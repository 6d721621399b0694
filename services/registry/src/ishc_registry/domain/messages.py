"""Why a value cannot be taken, said so the person who typed it can fix it.

A rule answers a `Reason`: its English message (what the API has always said,
so API answers do not change) that also carries which rule spoke (`code`) and
with what values (`params`). An import says the same reason in the reader's
language (`say`), after where it is (`located`): "Cột “Ngày tham gia” (H),
dòng 7: ngày 31/02/2024 không có thật; ghi theo dd/mm/yyyy." One copy of each
rule, two languages of its message. Dates people read are dd/mm/yyyy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any


class Lang(StrEnum):
    VI = "vi"  # the default: the people who keep the spreadsheets read Vietnamese
    EN = "en"


class Reason(str):
    """An English message that also says which rule spoke and with what values."""

    code: str
    params: Mapping[str, Any]

    def __new__(cls, text: str, rule: str, /, **params: Any) -> Reason:
        reason = super().__new__(cls, text)
        reason.code = rule
        reason.params = params
        return reason


def dmy(value: object) -> str:
    """A date as people in Vietnam write it (31/12/2024); anything else as is."""
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value)


def short_province(name: str) -> str:
    """ "Tỉnh Vĩnh Long" -> "Vĩnh Long", "Thành phố Đồng Nai" -> "Đồng Nai"."""
    for kind in ("Tỉnh ", "Thành phố "):
        if name.startswith(kind):
            return name[len(kind) :]
    return name


def _units(units: Sequence[Mapping[str, str]]) -> str:
    """ "25280 (Xã Lộc Thạnh, Đồng Nai), 25294 (Xã Lộc Thành, Đồng Nai)"."""
    return ", ".join(
        f"{u['code']} ({u['name']}" + (f", {u['province']})" if u.get("province") else ")")
        for u in units
    )


def _birth_vi(value: object) -> str:
    return "ngày sinh" if isinstance(value, date) else "năm sinh"


def _birth_en(value: object) -> str:
    return "the date of birth" if isinstance(value, date) else "the year of birth"


_Say = Callable[[Mapping[str, Any]], str]
# code -> (Vietnamese, English). Each says what is wrong, then what to do.
CATALOGUE: dict[str, tuple[_Say, _Say]] = {
    # -- a cell that cannot be read -------------------------------------------------
    "not_a_date": (
        lambda p: f"“{p['value']}” không phải là ngày; ghi theo dd/mm/yyyy, ví dụ 15/03/2018.",
        lambda p: f"“{p['value']}” is not a date; write dd/mm/yyyy, e.g. 15/03/2018.",
    ),
    "no_such_date": (
        lambda p: f"ngày {p['value']} không có thật; ghi theo dd/mm/yyyy.",
        lambda p: f"{p['value']} is not a real date; write dd/mm/yyyy.",
    ),
    "bad_commune_code": (
        lambda p: f"“{p['value']}” không phải mã xã; ghi mã 5 chữ số (ví dụ 29623) hoặc tên xã.",
        lambda p: (
            f"“{p['value']}” is not a commune code; write the 5-digit code "
            "(e.g. 29623) or the commune's name."
        ),
    ),
    "bad_flag": (
        lambda p: f"“{p['value']}” không rõ là có hay không; ghi x nếu có, để trống nếu không.",
        lambda p: f"“{p['value']}” is neither yes nor no; write x for yes, leave it empty for no.",
    ),
    "bad_sex": (
        lambda p: f"“{p['value']}” không phải giới tính; ghi Nam hoặc Nữ.",
        lambda p: f"“{p['value']}” is not a sex; write Nam (male) or Nữ (female).",
    ),
    "bad_poverty": (
        lambda p: (
            f"“{p['value']}” không phải hoàn cảnh; ghi Hộ nghèo, Cận nghèo, Khó khăn hoặc Không."
        ),
        lambda p: (
            f"“{p['value']}” is not a circumstance; write Hộ nghèo (poor), "
            "Cận nghèo (near-poor), Khó khăn (disadvantaged) or Không (none)."
        ),
    ),
    "bad_year": (
        lambda p: f"“{p['value']}” không phải năm sinh; ghi năm bằng 4 chữ số, ví dụ 1955.",
        lambda p: f"“{p['value']}” is not a year of birth; write 4 digits, e.g. 1955.",
    ),
    "bad_text": (
        lambda p: f"ô có ký tự ẩn không được phép ({p['char']}); hãy xoá ô và gõ lại.",
        lambda p: (
            f"the cell holds a hidden control or direction character ({p['char']}); "
            "clear the cell and type it again."
        ),
    ),
    "cell_too_long": (
        lambda p: f"ô dài {p['length']} ký tự, tối đa {p['max']}; hãy rút ngắn.",
        lambda p: f"the cell holds {p['length']} characters, at most {p['max']}; shorten it.",
    ),
    "several_marks": (
        lambda p: (
            "đánh dấu nhiều cột hoàn cảnh; chỉ đánh x ở một trong các cột "
            "Hộ nghèo, Cận nghèo, Khó khăn."
        ),
        lambda p: (
            "several circumstance columns are marked; mark x in only one of "
            "Hộ nghèo, Cận nghèo, Khó khăn."
        ),
    ),
    # -- a file that cannot be taken as a whole ---------------------------------------
    "empty_file": (
        lambda p: "tệp rỗng; hãy gửi lại tệp đã điền.",
        lambda p: "the file is empty; send the filled-in file again.",
    ),
    "not_a_spreadsheet": (
        lambda p: "đây không phải bảng tính; hãy gửi tệp .xlsx, hoặc .csv lưu theo UTF-8.",
        lambda p: "not a spreadsheet: send an .xlsx file, or a .csv saved as UTF-8.",
    ),
    "unknown_columns": (
        lambda p: (
            f"không đọc được cột {p['columns']}; đặt tiêu đề như tệp mẫu "
            f"({p['accepted']}) hoặc xoá cột đó."
        ),
        lambda p: (
            f"unknown column(s) {p['columns']}; head them as the template does "
            f"({p['accepted']}, or the API's field names) or delete them."
        ),
    ),
    "several_columns": (
        lambda p: f"các cột {p['columns']} cùng một nghĩa; chỉ giữ một cột.",
        lambda p: f"columns {p['columns']} mean the same; keep only one.",
    ),
    "missing_columns": (
        lambda p: (
            "thiếu cột "
            + ", cột ".join(" hoặc ".join(f"“{h}”" for h in g) for g in p["groups"])
            + "; thêm cột như tệp mẫu."
        ),
        lambda p: (
            "missing column(s) "
            + ", ".join(" or ".join(f"“{h}”" for h in g) for g in p["groups"])
            + "; add them as the template has them."
        ),
    ),
    "header_too_long": (
        lambda p: f"tiêu đề cột {p['letter']} dài quá {p['max']} ký tự; đặt tiêu đề như tệp mẫu.",
        lambda p: (
            f"the header of column {p['letter']} is longer than {p['max']} "
            "characters; head it as the template does."
        ),
    ),
    "too_many_columns": (
        lambda p: f"dòng {p['row']} có {p['width']} cột, tối đa {p['max']}; xoá các cột thừa.",
        lambda p: (
            f"row {p['row']} has {p['width']} columns, at most {p['max']}; delete the extra ones."
        ),
    ),
    "too_many_rows": (
        lambda p: f"tệp có hơn {p['max']} dòng dữ liệu; hãy chia thành nhiều tệp.",
        lambda p: f"the file has more than {p['max']} data rows; split it.",
    ),
    "no_rows": (
        lambda p: "tệp không có dòng nào; dùng tệp mẫu, tiêu đề ở dòng 1.",
        lambda p: "the file has no rows; use the template, headers on row 1.",
    ),
    "no_data_rows": (
        lambda p: "tệp chỉ có dòng tiêu đề; điền dữ liệu từ dòng 2.",
        lambda p: "the file has headers only; fill in the rows from row 2.",
    ),
    # -- a value the API's schema refuses -------------------------------------------
    "missing": (
        lambda p: f"chưa điền {p['label']}; hãy điền vào.",
        lambda p: f"{p['label']} is empty; fill it in.",
    ),
    "too_long": (
        lambda p: f"dài quá {p['max']} ký tự; hãy rút ngắn.",
        lambda p: f"longer than {p['max']} characters; shorten it.",
    ),
    "too_long_to_index": (
        lambda p: f"tên có quá nhiều chữ (hơn {p['max']} chữ cái khi bỏ dấu); hãy rút ngắn.",
        lambda p: f"the name has too many letters (over {p['max']} without accents); shorten it.",
    ),
    "file_too_large": (
        lambda p: f"tệp lớn hơn {p['mb']} MB; hãy chia thành nhiều tệp.",
        lambda p: f"the file is larger than {p['mb']} MB; split it.",
    ),
    "blank": (
        lambda p: "ô chỉ có khoảng trắng; hãy điền nội dung.",
        lambda p: "the cell holds only spaces; fill it in.",
    ),
    "too_small": (
        lambda p: f"{p['value']} nhỏ hơn mức thấp nhất {p['bound']}; hãy kiểm tra lại.",
        lambda p: f"{p['value']} is below the lowest value, {p['bound']}; check it.",
    ),
    "too_large": (
        lambda p: f"{p['value']} lớn hơn mức cao nhất {p['bound']}; hãy kiểm tra lại.",
        lambda p: f"{p['value']} is above the highest value, {p['bound']}; check it.",
    ),
    "date_out_of_range": (
        lambda p: (
            f"ngày {dmy(p['value'])} nằm ngoài khoảng {dmy(p['low'])}–{dmy(p['high'])}; "
            "hãy kiểm tra lại năm."
        ),
        lambda p: f"{dmy(p['value'])} is outside {dmy(p['low'])}–{dmy(p['high'])}; check the year.",
    ),
    "bad_key": (
        lambda p: "mã không được có ký tự tab; hãy gõ lại mã trên một dòng.",
        lambda p: "a key may not hold a tab; type it again on one line.",
    ),
    "invalid": (
        lambda p: f"giá trị không dùng được ({p['detail']}); hãy sửa lại.",
        lambda p: f"the value cannot be taken ({p['detail']}); correct it.",
    ),
    # -- the rules of clubs and members ---------------------------------------------
    "in_future": (
        lambda p: (
            f"ngày {dmy(p['value'])} chưa tới (hôm nay là {dmy(p['today'])}); ghi ngày đã qua."
        ),
        lambda p: (
            f"{dmy(p['value'])} is in the future (today is {dmy(p['today'])}); "
            "write a date that has passed."
        ),
    ),
    "birth_missing": (
        lambda p: "chưa có năm sinh; ghi Năm sinh (ví dụ 1955) hoặc Ngày sinh.",
        lambda p: "no year of birth; write Năm sinh (e.g. 1955) or Ngày sinh.",
    ),
    "birth_disagree": (
        lambda p: (
            f"năm sinh {p['year']} không khớp ngày sinh {dmy(p['date'])}; "
            "sửa một trong hai cho khớp."
        ),
        lambda p: (
            f"year of birth {p['year']} does not match date of birth "
            f"{dmy(p['date'])}; correct one of them."
        ),
    ),
    "birth_future": (
        lambda p: f"{_birth_vi(p['value'])} {dmy(p['value'])} chưa tới; hãy kiểm tra lại.",
        lambda p: f"{_birth_en(p['value'])} {dmy(p['value'])} is in the future; check it.",
    ),
    "birth_too_old": (
        lambda p: (
            f"{_birth_vi(p['value'])} {dmy(p['value'])} cách đây hơn {p['max_age']} "
            "năm; hãy kiểm tra lại."
        ),
        lambda p: (
            f"{_birth_en(p['value'])} {dmy(p['value'])} is more than {p['max_age']} "
            "years ago; check it."
        ),
    ),
    "joined_before_born": (
        lambda p: (
            f"ngày tham gia {dmy(p['joined_on'])} trước năm sinh {p['birth_year']}; "
            "hãy kiểm tra lại hai ô này."
        ),
        lambda p: (
            f"joined on {dmy(p['joined_on'])}, before the year of birth "
            f"{p['birth_year']}; check both cells."
        ),
    ),
    "club_dissolved": (
        lambda p: (
            f"CLB này đã giải thể ngày {dmy(p['dissolved_on'])}, không nhận thêm "
            "hội viên; ghi CLB khác."
        ),
        lambda p: (
            f"the club was dissolved on {dmy(p['dissolved_on'])} and takes no "
            "members; name another club."
        ),
    ),
    "legacy_unknown": (
        lambda p: (
            f"{p['code']} không phải mã xã trước 1/7/2025; kiểm tra lại, hoặc để "
            "trống và ghi Mã xã hiện hành."
        ),
        lambda p: (
            f"{p['code']} is not a commune code of the map before 1/7/2025; check it, "
            "or leave it empty and write the current commune code."
        ),
    ),
    "legacy_no_successor": (
        lambda p: (
            f"xã cũ {p['code']} không có xã kế thừa trong danh mục; ghi thêm Mã xã hiện hành."
        ),
        lambda p: (
            f"legacy commune {p['code']} has no successor on the current map; "
            "write the current commune code too."
        ),
    ),
    "legacy_split": (
        lambda p: (
            f"xã cũ {p['code']} đã chia cho nhiều xã mới: {_units(p['successors'])}; "
            "ghi Mã xã hiện hành là một trong các mã này."
        ),
        lambda p: (
            f"legacy commune {p['code']} was split: {_units(p['successors'])}; "
            "write the current commune code, one of these."
        ),
    ),
    "not_a_successor": (
        lambda p: (
            f"xã {p['code']} không được lập từ xã cũ {p['legacy']}, nay thuộc "
            f"{_units(p['successors'])}; sửa một trong hai mã."
        ),
        lambda p: (
            f"commune {p['code']} was not formed from legacy commune {p['legacy']}, "
            f"which became {_units(p['successors'])}; correct one of the codes."
        ),
    ),
    "commune_missing": (
        lambda p: "chưa có xã; ghi Mã xã hiện hành (5 chữ số) hoặc tên xã, hoặc Mã xã cũ.",
        lambda p: (
            "no commune; write the current commune code (5 digits) or name, or the legacy code."
        ),
    ),
    "commune_unknown": (
        lambda p: (
            f"{p['code']} không phải mã xã hiện hành (từ 1/7/2025); nếu là mã cũ, "
            "ghi vào cột Mã xã cũ; tra mã ở trang “Danh mục xã” của tệp mẫu."
        ),
        lambda p: (
            f"{p['code']} is not a current commune code (since 1/7/2025); if it is "
            "a legacy one, write it in the legacy column; look codes up in the template's "
            "commune sheet."
        ),
    ),
    # -- what the import checks against the registry ----------------------------------
    "not_covered": (
        lambda p: (
            f"xã này thuộc {p['province_name']} ({p['province']}), ngoài tỉnh của "
            "tài khoản; chỉ nhập CLB trong tỉnh của mình."
        ),
        lambda p: (
            f"the commune is in {p['province_name']} ({p['province']}), which the "
            "token does not cover; import only your province's clubs."
        ),
    ),
    "duplicate_key": (
        lambda p: f"mã “{p['value']}” đã có ở dòng {p['first_row']}; mỗi mã chỉ ghi một lần.",
        lambda p: f"key “{p['value']}” is already on row {p['first_row']}; write each key once.",
    ),
    "commune_differs": (
        lambda p: (
            f"CLB này đã đăng ký ở xã {p['registered']}; muốn đổi xã thì dùng chức "
            "năng chuyển địa bàn (relocate), không sửa qua tệp nhập."
        ),
        lambda p: (
            f"this club is registered in commune {p['registered']}; to move it, "
            "relocate it, not through an import."
        ),
    ),
    "club_unknown": (
        lambda p: (
            f"không tìm thấy CLB “{p['reference']}” trong tỉnh của tài khoản; "
            "ghi Mã CLB đã đăng ký."
        ),
        lambda p: (
            f"no club “{p['reference']}” in the token's provinces; write a registered club's key."
        ),
    ),
    "club_missing": (
        lambda p: (
            "chưa rõ hội viên thuộc CLB nào; thêm cột Mã CLB hoặc chọn CLB (club_id) khi nhập."
        ),
        lambda p: "no club for this member; add a Mã CLB column or give club_id.",
    ),
    "active_elsewhere": (
        lambda p: (
            "người này đang là hội viên của CLB khác; ghi nhận rời CLB cũ trước rồi nhập lại."
        ),
        lambda p: (
            "this person is an active member of another club; record their "
            "leaving first, then import again."
        ),
    ),
    "commune_name_unknown": (
        lambda p: (
            f"không có xã nào tên “{p['name']}” ở {p['where']}; ghi mã xã "
            "(tra ở trang “Danh mục xã” của tệp mẫu)."
        ),
        lambda p: (
            f"no commune named “{p['name']}” in {p['where']}; write the commune "
            "code (see the template's commune sheet)."
        ),
    ),
    "commune_name_ambiguous": (
        lambda p: (
            f"có {len(p['candidates'])} xã tên “{p['name']}”: {_units(p['candidates'])}; ghi mã xã."
        ),
        lambda p: (
            f"{len(p['candidates'])} communes are named “{p['name']}”: "
            f"{_units(p['candidates'])}; write the commune code."
        ),
    ),
}

_WHERE = {
    Lang.VI: ("Cột", "dòng", "Dòng"),
    Lang.EN: ("Column", "row", "Row"),
}
_SUMMARY = {
    Lang.VI: "Tệp có {n} lỗi; chưa nhập dòng nào. Sửa các lỗi rồi gửi lại tệp.",
    Lang.EN: "{n} problem(s) in the file; nothing was imported. Correct them and send "
    "the file again.",
}


def say(message: str, lang: Lang) -> str:
    """The message in `lang`: a `Reason` from the catalogue, any other text as it is."""
    if isinstance(message, Reason) and message.code in CATALOGUE:
        vietnamese, english = CATALOGUE[message.code]
        return (vietnamese if lang is Lang.VI else english)(message.params)
    return str(message)


def located(text: str, lang: Lang, *, row: int, column: str | None, letter: str | None) -> str:
    """ "Cột “Ngày tham gia” (H), dòng 7: …", or "Dòng 7: …" when no one column is meant."""
    column_word, row_word, row_first = _WHERE[lang]
    if column and letter:
        return f"{column_word} “{column}” ({letter}), {row_word} {row}: {text}"
    return f"{row_first} {row}: {text}"


def summary(count: int, lang: Lang) -> str:
    return _SUMMARY[lang].format(n=count)
