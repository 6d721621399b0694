"""Small groups that could identify people are hidden from public views: the
pure rule (`domain/small_cells.py`), without a database or an app."""

from __future__ import annotations

from typing import Any

from ishc_reporting.domain.small_cells import suppress_small_cells

# -- the pure rule ----------------------------------------------------------------------


def club_row(**counts: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "club_id": "c1",
        "name": "CLB",
        "members": 0,
        "women": 0,
        "older": 0,
        "young": 0,
        "poor": 0,
        "volunteers": 0,
        "new_members": 0,
        "hardship_cases_supported": 0,
        "months_required": 12,
        "months_met": 3,
        "checks": {
            "size_ok": False,
            "women_ok": True,
            "older_ok": True,
            "young_ok": False,
            "poor_ok": True,
            "board_ok": True,
            "volunteers_ok": False,
            "meetings_ok": False,
        },
    }
    row.update(counts)
    return row


def test_counts_of_one_to_four_people_read_under_the_threshold() -> None:
    one = club_row(members=1, women=1, older=1, poor=1, volunteers=1, new_members=1)
    shown = suppress_small_cells(one, 5)
    for key in ("members", "women", "older", "poor", "volunteers", "new_members"):
        assert shown[key] == "< 5", key
    assert shown["young"] == 0 and shown["hardship_cases_supported"] == 0  # zero stays 0
    assert shown["months_required"] == 12 and shown["months_met"] == 3  # not people
    # Checks computed from the people of a one-member club are hidden; the club's own are not.
    assert shown["checks"]["women_ok"] is None and shown["checks"]["size_ok"] is None
    assert shown["checks"]["board_ok"] is True and shown["checks"]["meetings_ok"] is False
    assert one["members"] == 1  # the input is left as it was

    five = suppress_small_cells(club_row(members=5, women=5, older=5, poor=5), 5)
    assert five["members"] == 5 and five["women"] == 5 and five["checks"]["women_ok"] is True


def test_a_count_whose_complement_is_small_is_bounded() -> None:
    # 12 members of whom 3 young: "older 9" would give the young away (12 − 9).
    shown = suppress_small_cells(club_row(members=12, women=10, older=9, young=3, poor=12), 5)
    assert shown["members"] == 12 and shown["young"] == "< 5"
    assert shown["older"] == "> 7" and shown["women"] == "> 7"  # 8 to 11: 1 to 4 others
    assert shown["poor"] == 12  # nobody outside the group: nothing to give away
    assert shown["checks"]["women_ok"] is True  # a share over 12 people stays


def test_groups_hide_shares_and_targets_built_on_few_people() -> None:
    province = {
        "code": "75",
        "indicators": {
            "coverage": "0.50",
            "communes": 95,
            "communes_with_club": 1,
            "clubs": 1,
            "new_clubs": 1,
            "members": 2,
            "older_members": 2,
            "women": 0,
            "young": 0,
            "shares": {"women_ok": "0.00", "board_ok": "100.00", "meetings_ok": "0.00"},
            "clubs_meeting": {"women_ok": 0, "board_ok": 1},
        },
        "targets": {
            "members": {"value": 2, "target": "100", "by": "2026-12-31", "gap": "98"},
            "women_ok": {"value": "0.00", "target": "80", "by": "2026-12-31", "gap": "80"},
            "clubs": {"value": 1, "target": "10", "by": "2026-12-31", "gap": "9"},
        },
        "communes": [{"code": "25195", "clubs": 1, "members": 2, "has_club": True}],
    }
    shown = suppress_small_cells(province, 5)
    ind = shown["indicators"]
    assert ind["members"] == "< 5" and ind["older_members"] == "< 5" and ind["women"] == 0
    assert ind["clubs"] == 1 and ind["communes_with_club"] == 1 and ind["coverage"] == "0.50"
    assert ind["shares"] == {"women_ok": None, "board_ok": "100.00", "meetings_ok": "0.00"}
    assert ind["clubs_meeting"] == {"women_ok": None, "board_ok": 1}
    assert shown["targets"]["members"] == {
        "value": "< 5",
        "target": "100",
        "by": "2026-12-31",
        "gap": None,
    }
    assert shown["targets"]["women_ok"]["value"] is None
    assert shown["targets"]["women_ok"]["gap"] is None
    assert shown["targets"]["clubs"]["value"] == 1
    assert shown["communes"][0]["members"] == "< 5" and shown["communes"][0]["clubs"] == 1
    assert suppress_small_cells(province, 2)["indicators"]["members"] == 2  # configurable
