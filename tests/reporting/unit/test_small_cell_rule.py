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


def test_groups_hide_shares_built_on_few_people() -> None:
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
        "communes": [{"code": "25195", "clubs": 1, "members": 2, "has_club": True}],
    }
    shown = suppress_small_cells(province, 5)
    ind = shown["indicators"]
    assert ind["members"] == "< 5" and ind["older_members"] == "< 5" and ind["women"] == 0
    assert ind["clubs"] == 1 and ind["communes_with_club"] == 1 and ind["coverage"] == "0.50"
    assert ind["shares"] == {"women_ok": None, "board_ok": "100.00", "meetings_ok": "0.00"}
    assert ind["clubs_meeting"] == {"women_ok": None, "board_ok": 1}
    assert shown["communes"][0]["members"] == "< 5" and shown["communes"][0]["clubs"] == 1
    assert suppress_small_cells(province, 2)["indicators"]["members"] == 2  # configurable


def test_the_priority_groups_and_the_new_members_shares() -> None:
    indicators = {
        "members": 40,
        "poor_older_women": 3,  # a few people
        "ethnic_minority_members": 37,  # all but 3: gives the 3 others away
        "new_members": 20,
        "new_older_members": 18,  # 2 new members are not older
        "new_older_women": 2,
        "new_members_older_share": "90.00",
        "new_older_women_share": "11.11",
        "meetings": 3,  # meetings are not people
        "meetings_with_hardship_case": 2,
        "meetings_with_hardship_case_share": "66.66",
        "clubs_in_all_areas": 1,
        "shares": {"well_managed": "100.00", "full_activity": "0.00", "women_ok": "0.00"},
    }
    shown = suppress_small_cells({"code": "86", "indicators": indicators}, 5)["indicators"]
    assert shown["poor_older_women"] == "< 5" and shown["ethnic_minority_members"] == "> 35"
    assert shown["new_older_women"] == "< 5" and shown["new_older_members"] == 18
    # 90% of 20 new members tells the 2 who are not older; 11.11% of 18 tells the 2 women.
    assert shown["new_members_older_share"] is None and shown["new_older_women_share"] is None
    assert shown["meetings"] == 3 and shown["meetings_with_hardship_case"] == 2
    assert shown["meetings_with_hardship_case_share"] == "66.66"
    assert shown["clubs_in_all_areas"] == 1
    assert shown["shares"] == {
        "well_managed": "100.00",
        "full_activity": "0.00",
        "women_ok": "0.00",
    }

    many = {**indicators, "new_members": 30, "new_older_members": 15, "new_older_women": 9}
    many |= {"new_members_older_share": "50.00", "new_older_women_share": "60.00"}
    kept = suppress_small_cells({"indicators": many}, 5)["indicators"]
    assert kept["new_members_older_share"] == "50.00" and kept["new_older_women_share"] == "60.00"

    club = club_row(members=12, older=12, poor=12, women=12)
    club |= {"poor_older_women": 11, "ethnic_minority_members": 0, "meetings": 2}
    club["checks"] |= {"well_managed": False, "full_activity": False}
    one = suppress_small_cells(club, 5)
    assert one["poor_older_women"] == "> 7" and one["ethnic_minority_members"] == 0
    assert one["meetings"] == 2 and one["checks"]["well_managed"] is False


def plan_target(indicator: str, value: Any, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "plan": "p",
        "indicator": indicator,
        "from": "2021-01-01",
        "by": "2025-12-31",
        "target": "100",
        "target_max": None,
        "measured_on": "2025-06-30",
        "value": value,
        "expected": None,
        "status": "behind",
        "gap": None,
        "commune_category": None,
        "note": None,
    }
    return {**entry, **fields}


def province_page(members: int, territory: dict[str, Any], targets: list[Any]) -> dict[str, Any]:
    return {
        "scope": "province",
        "code": "75",
        "boundary": "current",
        "as_of": "2025-06-30",
        "indicators": {"members": members, "shares": {}},
        "plans": [{"id": "p", "title": "Kế hoạch", "territory": territory, "targets": targets}],
    }


SAME = {"boundary": "current", "province": "75", "name": "Đồng Nai", "communes": 95}
OLD = {"boundary": "legacy", "province": "75", "name": "Đồng Nai", "communes": 159}


def test_a_plans_targets_counting_people_read_as_any_count() -> None:
    targets = [
        plan_target("new_members", 3, target="3500", gap="3497", expected=1200),
        plan_target("members", 2, target="100", gap="98", expected=3),
        plan_target("new_older_members", 40, target="100", gap="60"),
        plan_target("new_clubs", 1, target="70", gap="69", expected=20),  # clubs: not people
    ]
    shown = suppress_small_cells(province_page(60, SAME, targets), 5)
    new_members, members, older, clubs = shown["plans"][0]["targets"]
    assert new_members["value"] == "< 5" and new_members["gap"] is None
    assert new_members["expected"] == 1200  # the plan's own arithmetic from 0: no one's figure
    assert members["value"] == "< 5" and members["gap"] is None and members["expected"] is None
    assert older["value"] == 40 and older["gap"] == "60"
    assert clubs == targets[3]
    assert shown["plans"][0]["title"] == "Kế hoạch"
    assert targets[0]["value"] == 3  # the input is left as it was


def test_a_plans_shares_of_people_show_only_over_enough_known_people() -> None:
    def shares(members: int, territory: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
        targets = [
            plan_target("borrowers", "50.00", target="50", status="reached", gap="0", **fields),
            plan_target("women_ok", "0.00", target="100", expected="40.00", gap="100.00", **fields),
            plan_target("funds_ok", "0.00", target="100", gap="100.00", **fields),  # of clubs
        ]
        result: list[dict[str, Any]] = suppress_small_cells(
            province_page(members, territory, targets), 5
        )["plans"][0]["targets"]
        return result

    # Measured over the page's own group, on the page's date, over enough members: shown.
    borrowers, women, funds = shares(60, SAME)
    assert borrowers["value"] == "50.00" and women["value"] == "0.00" and women["gap"] == "100.00"
    assert funds["value"] == "0.00"
    # Over few members: hidden, with what would give the value away.
    borrowers, women, funds = shares(3, SAME)
    assert borrowers["value"] is None and borrowers["gap"] is None and borrowers["status"] is None
    assert women["value"] is None and women["expected"] is None
    assert funds["value"] == "0.00"  # a share of clubs' funds is about no one
    # 59 of 60 members borrowing would tell the one who does not.
    assert shares(60, SAME)[0]["value"] == "50.00"
    nearly_all = province_page(60, SAME, [plan_target("borrowers", "98.33", target="50")])
    assert suppress_small_cells(nearly_all, 5)["plans"][0]["targets"][0]["value"] is None
    # Over another territory (the old province), or read on another day: its people
    # are not the page's, so it is not known to be enough.
    assert [t["value"] for t in shares(60, OLD)] == [None, None, "0.00"]
    assert [t["value"] for t in shares(60, SAME, measured_on="2024-12-31")][:2] == [None, None]


def test_a_share_of_new_members_goes_by_the_plans_count_of_them() -> None:
    def older_share(new_members: int, share: str) -> Any:
        targets = [
            plan_target("new_members", new_members, target="3500"),
            plan_target("new_members_older_share", share, target="60", target_max="70"),
        ]
        shown = suppress_small_cells(province_page(5000, OLD, targets), 5)
        return shown["plans"][0]["targets"][1]["value"]

    assert older_share(200, "65.00") == "65.00"  # 130 of 200
    assert older_share(4, "75.00") is None  # of 4 new members
    assert older_share(200, "99.00") is None  # all but 2
    # Without the plan's count of new members over the same window: not known, hidden.
    alone = [plan_target("new_members_older_share", "65.00", target="60", target_max="70")]
    shown = suppress_small_cells(province_page(5000, SAME, alone), 5)
    assert shown["plans"][0]["targets"][0]["value"] is None
