"""Reconciliation's comparison (domain/reconciliation.py), no I/O: per club and
per province, a source's tallies against the projection's."""

from __future__ import annotations

from ishc_reporting.domain.reconciliation import UNPLACED, ClubTally, Difference, compare

NAMES = ("members", "meetings")


def t(club: str, province: str | None, members: int = 0, meetings: int = 0) -> ClubTally:
    return ClubTally(club, province, {"members": members, "meetings": meetings})


def test_equal_sides_have_no_difference_and_the_same_totals() -> None:
    side = [t("a", "86", 5, 2), t("b", "75", 3, 0)]
    result = compare("registry", NAMES, side, list(side))
    assert result.differences == ()
    assert result.clubs == 2
    assert result.source_totals == result.projected_totals == {"members": 8, "meetings": 2}


def test_a_club_missing_on_one_side_tallies_zero_there() -> None:
    # Finance lists every club it knows; reporting only those with facts.
    result = compare("finance", NAMES, [t("a", "86", 0, 0), t("b", "86", 1, 0)], [t("b", "86", 1)])
    assert result.differences == ()
    assert result.clubs == 2


def test_a_lost_event_names_the_club_province_and_tally_then_the_province() -> None:
    source = [t("a", "86", 5, 2), t("b", "86", 3, 1)]
    projected = [t("a", "86", 5, 1), t("b", "86", 3, 1)]  # one meeting of a never arrived
    result = compare("registry", NAMES, source, projected)
    assert result.differences == (
        Difference("registry", "club", "a", "86", "meetings", 2, 1),
        Difference("registry", "province", None, "86", "meetings", 3, 2),
    )
    assert result.source_totals["meetings"] == 3 and result.projected_totals["meetings"] == 2


def test_a_doubled_count_and_a_club_only_the_projection_has() -> None:
    source = [t("a", "86", 2)]
    projected = [t("a", "86", 3), t("z", None, 1)]  # z: facts without its club's events
    result = compare("health", NAMES, source, projected)
    assert Difference("health", "club", "a", "86", "members", 2, 3) in result.differences
    assert Difference("health", "club", "z", None, "members", 0, 1) in result.differences
    assert Difference("health", "province", None, UNPLACED, "members", 0, 1) in result.differences
    assert Difference("health", "province", None, "86", "members", 2, 3) in result.differences
    assert len(result.differences) == 4


def test_a_club_placed_in_another_province_is_the_registrys_difference() -> None:
    source = [t("a", "86", 4)]
    projected = [t("a", "75", 4)]
    registry = compare("registry", NAMES, source, projected)
    assert registry.differences == (
        Difference("registry", "club", "a", "86", "province", "86", "75"),
        Difference("registry", "province", None, "75", "members", 0, 4),
        Difference("registry", "province", None, "86", "members", 4, 0),
    )
    # Finance and health place clubs by the registry's events too: not repeated there,
    # but their provinces' sums still show it.
    finance = compare("finance", NAMES, source, projected)
    assert [d.tally for d in finance.differences] == ["members", "members"]
    assert {d.level for d in finance.differences} == {"province"}


def test_differences_cancelling_out_in_a_province_still_show_per_club() -> None:
    source = [t("a", "86", 2), t("b", "86", 2)]
    projected = [t("a", "86", 3), t("b", "86", 1)]
    result = compare("registry", NAMES, source, projected)
    assert [(d.level, d.club_id) for d in result.differences] == [("club", "a"), ("club", "b")]


def test_as_dict_is_plain_json_data() -> None:
    d = Difference("finance", "club", "a", "86", "fees_vnd", 30_000, 27_000)
    assert d.as_dict() == {
        "service": "finance",
        "level": "club",
        "club_id": "a",
        "province": "86",
        "tally": "fees_vnd",
        "source": 30_000,
        "projected": 27_000,
    }


def test_every_side_reads_the_tally_names_from_the_contract() -> None:
    """One copy of the names (ishc_contracts.tallies): a service that declared its
    own would drift, and a tally would be compared with zero."""
    from ishc_contracts.tallies import TALLIES
    from ishc_finance import queries as finance
    from ishc_health import queries as health
    from ishc_registry import queries as registry
    from ishc_reporting.queries import reconciliation

    assert reconciliation.TALLIES is TALLIES
    assert registry.RECONCILIATION_TALLIES is TALLIES["registry"]
    assert finance.RECONCILIATION_TALLIES is TALLIES["finance"]
    assert health.RECONCILIATION_TALLIES is TALLIES["health"]
