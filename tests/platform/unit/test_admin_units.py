"""Administrative units over the `vietnam-provinces` data (unit tier: no I/O)."""

from __future__ import annotations

from collections import Counter

import pytest

from ishc_platform.admin_units import (
    Boundary,
    ProvinceUnit,
    Unit,
    UnknownUnit,
    bare_name_key,
    communes_named,
    communes_of_province,
    current_commune,
    current_province,
    current_province_of_legacy_province,
    current_provinces,
    is_current_commune,
    legacy_commune,
    legacy_province,
    legacy_provinces_of,
    legacy_sources_of_commune,
    province_of_commune,
    search_communes,
    search_key,
    successors_of_legacy_commune,
)


def _all_current_communes() -> list[Unit]:
    return [u for p in current_provinces() for u in communes_of_province(p.code, Boundary.CURRENT)]


# --- counts ---------------------------------------------------------------------


def test_34_current_provinces_sorted_by_code() -> None:
    provinces = current_provinces()
    assert len(provinces) == 34
    assert [p.code for p in provinces] == sorted(p.code for p in provinces)
    assert provinces[0] == ProvinceUnit("01", "Thành phố Hà Nội")
    assert provinces[-1] == ProvinceUnit("96", "Tỉnh Cà Mau")


def test_3321_current_communes_by_kind() -> None:
    communes = _all_current_communes()
    assert len(communes) == 3321
    kinds = Counter(u.name.split()[0] for u in communes)
    assert kinds["Xã"] == 2621
    assert kinds["Phường"] == 687
    assert kinds["Đặc"] == 13  # "Đặc khu ..."


def test_current_commune_counts_of_vinh_long_and_dong_nai() -> None:
    assert len(communes_of_province("86", Boundary.CURRENT)) == 124
    assert len(communes_of_province("75", Boundary.CURRENT)) == 95


def test_legacy_commune_counts() -> None:
    # Old Vĩnh Long had 109 communes in 2017; the package's (2025) legacy map has 102.
    assert len(communes_of_province("86", Boundary.LEGACY)) == 102
    assert len(communes_of_province("83", Boundary.LEGACY)) == 148  # Bến Tre
    assert len(communes_of_province("84", Boundary.LEGACY)) == 104  # Trà Vinh


def test_split_legacy_communes_number_440() -> None:
    legacy_codes = [
        u.code
        for code in (f"{n:02d}" for n in range(100))
        if legacy_province(code) is not None
        for u in communes_of_province(code, Boundary.LEGACY)
    ]
    assert len(legacy_codes) == 10051
    successors = [successors_of_legacy_commune(c) for c in legacy_codes]
    assert sum(len(s) > 1 for s in successors) == 440
    assert sum(not s for s in successors) == 28


# --- current map ----------------------------------------------------------------


def test_current_commune_and_its_province() -> None:
    assert current_commune("29584") == Unit("29584", "Xã An Bình", "86")
    assert is_current_commune("29584")
    assert province_of_commune("29584") == "86"
    assert current_province("86") == ProvinceUnit("86", "Tỉnh Vĩnh Long")
    assert current_province("75") == ProvinceUnit("75", "Thành phố Đồng Nai")


@pytest.mark.parametrize("code", ["99999", "2958", "029584", "29584 ", "", "abcde"])
def test_unknown_current_commune(code: str) -> None:
    assert not is_current_commune(code)
    assert current_commune(code) is None
    with pytest.raises(UnknownUnit) as caught:
        province_of_commune(code)
    assert caught.value.code == code
    assert isinstance(caught.value, LookupError)


def test_unknown_province() -> None:
    assert current_province("83") is None  # Bến Tre existed only on the legacy map
    assert current_province("1") is None  # not zero-padded
    assert legacy_province("83") == ProvinceUnit("83", "Tỉnh Bến Tre")
    with pytest.raises(UnknownUnit):
        communes_of_province("83", Boundary.CURRENT)


def test_names_start_with_a_capital() -> None:
    # The package spells this one "xã Bắc Sơn".
    assert current_commune("06325") == Unit("06325", "Xã Bắc Sơn", "20")
    assert all(u.name[0].isupper() for u in _all_current_communes())


def test_same_number_names_different_communes_on_each_map() -> None:
    assert legacy_commune("29623") == Unit("29623", "Xã Mỹ An", "86")
    assert current_commune("29623") == Unit("29623", "Xã Nhơn Phú", "86")


# --- legacy -> current ----------------------------------------------------------


def test_legacy_commune_with_one_successor() -> None:
    assert legacy_commune("29632") == Unit("29632", "Xã Nhơn Phú", "86")
    assert successors_of_legacy_commune("29632") == [Unit("29623", "Xã Nhơn Phú", "86")]


def test_split_legacy_commune() -> None:
    assert legacy_commune("29764") == Unit("29764", "Xã Ngãi Tứ", "86")
    assert successors_of_legacy_commune("29764") == [
        Unit("29767", "Xã Ngãi Tứ", "86"),
        Unit("29770", "Phường Cái Vồn", "86"),
    ]


def test_legacy_commune_without_successor() -> None:
    assert legacy_commune("01651") == Unit("01651", "Xã Mỹ Hưng", "04")
    assert successors_of_legacy_commune("01651") == []
    assert successors_of_legacy_commune("26935") == []  # Phường 14, Bình Thạnh (HCMC)


def test_old_code_known_only_to_the_conversion_table() -> None:
    assert legacy_commune("26929") is None
    assert successors_of_legacy_commune("26929") == [Unit("26929", "Phường Bình Thạnh", "79")]


@pytest.mark.parametrize("code", ["99999", "1651", "00000", "x"])
def test_unknown_legacy_commune(code: str) -> None:
    assert legacy_commune(code) is None
    with pytest.raises(UnknownUnit) as caught:
        successors_of_legacy_commune(code)
    assert caught.value.code == code
    assert caught.value.boundary is Boundary.LEGACY


def test_legacy_sources_of_current_commune() -> None:
    assert legacy_sources_of_commune("29584") == [
        Unit("29578", "Xã Đồng Phú", "86"),
        Unit("29581", "Xã Bình Hòa Phước", "86"),
        Unit("29584", "Xã Hòa Ninh", "86"),
        Unit("29587", "Xã An Bình", "86"),
    ]


def test_island_special_zone_has_no_legacy_sources() -> None:
    assert current_commune("26732") == Unit("26732", "Đặc khu Côn Đảo", "79")
    assert legacy_sources_of_commune("26732") == []
    with pytest.raises(UnknownUnit):
        legacy_sources_of_commune("99999")


# --- provinces across the maps --------------------------------------------------


def test_legacy_provinces_of_vinh_long() -> None:
    assert legacy_provinces_of("86") == [
        ProvinceUnit("83", "Tỉnh Bến Tre"),
        ProvinceUnit("84", "Tỉnh Trà Vinh"),
        ProvinceUnit("86", "Tỉnh Vĩnh Long"),
    ]


def test_legacy_provinces_of_dong_nai() -> None:
    assert legacy_provinces_of("75") == [
        ProvinceUnit("70", "Tỉnh Bình Phước"),
        ProvinceUnit("75", "Tỉnh Đồng Nai"),
    ]


def test_tien_giang_went_to_dong_thap_only() -> None:
    # The package's own province table also lists Tiền Giang under Tây Ninh (a bad row).
    assert legacy_provinces_of("80") == [
        ProvinceUnit("72", "Tỉnh Tây Ninh"),
        ProvinceUnit("80", "Tỉnh Long An"),
    ]
    assert current_province_of_legacy_province("82") == ProvinceUnit("82", "Tỉnh Đồng Tháp")


def test_every_legacy_province_maps_to_one_current_province() -> None:
    legacy_codes = [f"{n:02d}" for n in range(100) if legacy_province(f"{n:02d}") is not None]
    assert len(legacy_codes) == 63
    merged = [p for c in current_provinces() for p in legacy_provinces_of(c.code)]
    assert sorted(p.code for p in merged) == legacy_codes


def test_current_province_of_legacy_province() -> None:
    assert current_province_of_legacy_province("83") == ProvinceUnit("86", "Tỉnh Vĩnh Long")
    assert current_province_of_legacy_province("70") == ProvinceUnit("75", "Thành phố Đồng Nai")
    assert current_province_of_legacy_province("03") is None


def test_communes_per_province_stay_on_their_map() -> None:
    current = communes_of_province("86", Boundary.CURRENT)
    old = communes_of_province("86", Boundary.LEGACY)
    assert all(u.province_code == "86" for u in current + old)
    assert [u.code for u in current] == sorted(u.code for u in current)
    assert Unit("29623", "Xã Nhơn Phú", "86") in current
    assert Unit("29623", "Xã Mỹ An", "86") in old
    assert Unit("29632", "Xã Nhơn Phú", "86") in old
    bentre = communes_of_province("83", Boundary.LEGACY)
    assert all(u.province_code == "83" for u in bentre)


# --- search ---------------------------------------------------------------------


def test_search_key() -> None:
    assert search_key("Nguyễn Thị Đào") == "nguyen thi dao"
    assert search_key("  Xã  HÒA\tBình ") == "xa hoa binh"
    assert search_key("Phường Cái Vồn") == "phuong cai von"
    assert search_key("đường ĐÊ") == "duong de"


# --- finding communes by name ---------------------------------------------------


@pytest.mark.parametrize(
    "query", ["phuoc hau", "Phước Hậu", "PHUOC HAU", "PHƯỚC  HẬU", "phường phước"]
)
def test_search_is_accent_and_case_insensitive_on_both_maps(query: str) -> None:
    current = search_communes(query, Boundary.CURRENT, {"86"})
    assert "29557" in [u.code for u in current]  # Phường Phước Hậu (Vĩnh Long)
    legacy = search_communes(query.replace("phường", "xã"), Boundary.LEGACY, {"86"})
    assert [u.code for u in legacy] == ["29596"]  # Xã Phước Hậu of old Vĩnh Long


def test_search_folds_d_with_stroke_and_keeps_code_order() -> None:
    found = search_communes("dong hoa", Boundary.CURRENT)
    assert {"22258", "25951", "31024"} <= {u.code for u in found}  # Đông Hòa in 66, 79, 91
    assert [u.code for u in found] == sorted(u.code for u in found)
    assert search_communes("x" * 10_000, Boundary.CURRENT) == []
    assert len(search_communes(None, Boundary.CURRENT)) == 3321


def test_communes_named_ignores_the_kind_unless_given() -> None:
    assert bare_name_key("Thị trấn Cái Vồn") == "cai von"
    assert [u.code for u in communes_named("Phước Hậu", Boundary.CURRENT)] == ["22873", "29557"]
    assert [u.code for u in communes_named("phuong phuoc hau", Boundary.CURRENT)] == ["29557"]
    assert [u.code for u in communes_named("Phước Hậu", Boundary.CURRENT, {"86"})] == ["29557"]
    assert communes_named("Xã", Boundary.CURRENT) == []  # a kind alone names nothing
