"""The rules of health checks, the health book and consent (pure: no I/O):
ranges, flags, BMI bands for Asian adults, trends, the twice-a-year rule at its
boundaries (month ends, 29 February, 31 December), and when a check is visible."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ishc_contracts.health_events import Checker, ConsentScope
from ishc_health.domain import checks as rules
from ishc_health.domain import consent as consent_rules
from ishc_health.domain.checks import (
    BmiBand,
    CheckFacts,
    CheckValues,
    Direction,
    Level,
    Trend,
)
from ishc_platform.validation import FieldError

D = Decimal


# -- ranges ----------------------------------------------------------------------------


def test_values_inside_their_ranges_and_at_their_bounds_pass() -> None:
    for values in [
        CheckValues(260, 160, 220, D(250), D(220), D("35.0")),
        CheckValues(60, 30, 30, D(20), D(100), D("1.0")),
        CheckValues(61, 60),
        CheckValues(weight_kg=D("61.70")),  # a trailing zero is one decimal place
        CheckValues(),
    ]:
        assert rules.value_problems(values) == []


@pytest.mark.parametrize(
    ("values", "faults"),
    [
        (CheckValues(systolic_mmhg=20), ["systolic_mmhg"]),
        (CheckValues(systolic_mmhg=400), ["systolic_mmhg"]),
        (CheckValues(systolic_mmhg=59), ["systolic_mmhg"]),
        (CheckValues(systolic_mmhg=261), ["systolic_mmhg"]),
        (CheckValues(diastolic_mmhg=29), ["diastolic_mmhg"]),
        (CheckValues(diastolic_mmhg=161), ["diastolic_mmhg"]),
        (CheckValues(120, 120), ["diastolic_mmhg"]),  # not below
        (CheckValues(120, 121), ["diastolic_mmhg"]),
        (CheckValues(400, 120), ["systolic_mmhg"]),  # out of range: no second fault
        (CheckValues(pulse_bpm=29), ["pulse_bpm"]),
        (CheckValues(pulse_bpm=221), ["pulse_bpm"]),
        (CheckValues(weight_kg=D("19.9")), ["weight_kg"]),
        (CheckValues(weight_kg=D("250.1")), ["weight_kg"]),
        (CheckValues(weight_kg=D("61.75")), ["weight_kg"]),
        (CheckValues(weight_kg=D("NaN")), ["weight_kg"]),
        (CheckValues(weight_kg=D("1E+400")), ["weight_kg"]),
        (CheckValues(height_cm=D("99.9")), ["height_cm"]),
        (CheckValues(height_cm=D("220.1")), ["height_cm"]),
        (CheckValues(glucose_mmol_l=D("0.9")), ["glucose_mmol_l"]),
        (CheckValues(glucose_mmol_l=D("35.1")), ["glucose_mmol_l"]),
        (CheckValues(glucose_mmol_l=D("5.55")), ["glucose_mmol_l"]),
        (
            CheckValues(10, 5, 300, D(10), D(50), D(40)),
            [
                "systolic_mmhg",
                "diastolic_mmhg",
                "pulse_bpm",
                "weight_kg",
                "height_cm",
                "glucose_mmol_l",
            ],
        ),
    ],
)
def test_values_outside_their_ranges_are_named(values: CheckValues, faults: list[str]) -> None:
    assert [field for field, _ in rules.value_problems(values)] == faults


def test_the_messages_say_the_range_and_the_precision() -> None:
    assert rules.value_problems(CheckValues(systolic_mmhg=400)) == [
        ("systolic_mmhg", "systolic_mmhg must lie between 60 and 260 mmHg")
    ]
    assert rules.value_problems(CheckValues(weight_kg=D("61.75"))) == [
        ("weight_kg", "weight_kg takes one decimal place (e.g. 135.0)")
    ]
    assert rules.value_problems(CheckValues(130, 130)) == [
        ("diastolic_mmhg", "the diastolic pressure must be below the systolic pressure")
    ]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (61.7, D("61.7")),
        ("61.7", D("61.7")),
        (" 61.70 ", D("61.70")),
        (62, D(62)),
        (1e308, D("1e308")),
    ],
)
def test_a_measure_is_read_from_a_json_number_or_string(given: object, expected: Decimal) -> None:
    assert rules.measure(given) == expected


@pytest.mark.parametrize(
    "given", [True, False, "61,7", "NaN", "1e2", "", "-5", float("nan"), float("inf"), [61.7], None]
)
def test_anything_else_is_not_a_measure(given: object) -> None:
    with pytest.raises(ValueError):
        rules.measure(given)


def test_values_are_kept_at_their_precision_and_sealed_as_text() -> None:
    values = rules.normalised(CheckValues(135, 85, None, D("61.70"), D("155"), D("7.9")))
    assert values == CheckValues(135, 85, None, D("61.7"), D("155.0"), D("7.9"))
    document = values.document()
    assert document == {
        "systolic_mmhg": 135,
        "diastolic_mmhg": 85,
        "weight_kg": "61.7",
        "height_cm": "155.0",
        "glucose_mmol_l": "7.9",
    }
    assert CheckValues.from_document(document) == values
    assert values.measured() == [
        "systolic_mmhg",
        "diastolic_mmhg",
        "weight_kg",
        "height_cm",
        "glucose_mmol_l",
    ]


# -- dates and who checked -------------------------------------------------------------


def test_a_check_is_dated_between_joining_and_today() -> None:
    rules.check_checked_on(date(2026, 12, 1), today=date(2026, 12, 1), joined_on=date(2019, 1, 10))
    rules.check_checked_on(date(2019, 1, 10), today=date(2026, 12, 1), joined_on=date(2019, 1, 10))
    for on in (date(2026, 12, 2), date(2019, 1, 9)):
        with pytest.raises(FieldError) as caught:
            rules.check_checked_on(on, today=date(2026, 12, 1), joined_on=date(2019, 1, 10))
        assert caught.value.field == "checked_on"
    assert rules.has_left(date(2026, 11, 20), date(2026, 11, 20))
    assert not rules.has_left(date(2026, 11, 20), date(2026, 11, 19))
    assert not rules.has_left(None, date(2026, 11, 19))


def _volunteer(**change: object) -> str | None:
    facts: dict[str, object] = {
        "checker": Checker.VOLUNTEER,
        "checker_member_id": "v",
        "club_id": "c",
        "volunteer_club_id": "c",
        "is_volunteer": True,
        "joined_on": date(2020, 1, 1),
        "left_on": None,
        "checked_on": date(2026, 11, 20),
        **change,
    }
    return rules.volunteer_problem(**facts)  # type: ignore[arg-type]


def test_a_volunteer_s_check_names_a_volunteer_of_the_club_on_the_day() -> None:
    assert _volunteer() is None
    assert _volunteer(checker=Checker.STATION, checker_member_id=None) is None
    assert _volunteer(checker=Checker.STATION) is not None  # a station names no volunteer
    assert _volunteer(checker_member_id=None) is not None
    assert _volunteer(volunteer_club_id="other") is not None
    assert _volunteer(volunteer_club_id=None) is not None  # unknown here
    assert _volunteer(is_volunteer=False) is not None
    assert _volunteer(joined_on=date(2026, 11, 21)) is not None
    assert _volunteer(left_on=date(2026, 11, 20)) is not None
    assert _volunteer(left_on=date(2026, 11, 21)) is None


# -- flags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "flag"),
    [
        (139, 89, Level.NORMAL),
        (140, 80, Level.HIGH),
        (120, 90, Level.HIGH),
        (187, 113, Level.HIGH),
        (140, None, Level.HIGH),
        (None, 89, Level.NORMAL),
        (None, None, None),
    ],
)
def test_blood_pressure_is_high_at_or_above_140_over_90(
    systolic: int | None, diastolic: int | None, flag: Level | None
) -> None:
    assert rules.blood_pressure_flag(systolic, diastolic) == flag


@pytest.mark.parametrize(
    ("weight", "height", "bmi", "band"),
    [
        ("52.0", "155.0", "21.6", BmiBand.NORMAL),  # 21.644…
        ("55.3", "155.0", "23.0", BmiBand.OVERWEIGHT),  # 23.017…
        ("61.7", "158.0", "24.7", BmiBand.OVERWEIGHT),  # 24.715…
        ("44.4", "155.0", "18.5", BmiBand.NORMAL),  # 18.480… rounds up into normal
        ("44.3", "155.0", "18.4", BmiBand.UNDERWEIGHT),  # 18.439…
        ("55.2", "155.0", "23.0", BmiBand.OVERWEIGHT),  # 22.976… shows 23.0, so overweight
        ("55.1", "155.0", "22.9", BmiBand.NORMAL),  # 22.934…
        ("60.0", "155.0", "25.0", BmiBand.OBESE),  # 24.973…
        ("59.9", "155.0", "24.9", BmiBand.OVERWEIGHT),  # 24.932…
        ("120.0", "160.0", "46.9", BmiBand.OBESE),  # 46.875 rounds half up
    ],
)
def test_bmi_rounds_half_up_and_bands_for_asian_adults(
    weight: str, height: str, bmi: str, band: BmiBand
) -> None:
    found = rules.bmi(D(weight), D(height))
    assert found == D(bmi) and str(found) == bmi
    assert rules.bmi_band(found) is band


@pytest.mark.parametrize(
    ("glucose", "flag"),
    [
        ("3.8", Level.LOW),
        ("3.9", Level.NORMAL),
        ("6.9", Level.NORMAL),
        ("7.0", Level.HIGH),
        ("7.9", Level.HIGH),
        (None, None),
    ],
)
def test_glucose_is_low_below_3_9_and_high_from_7(glucose: str | None, flag: Level | None) -> None:
    assert rules.glucose_flag(D(glucose) if glucose else None) == flag


# -- the twice-a-year rule -------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 12, 1), date(2025, 12, 2)),
        (date(2026, 12, 31), date(2026, 1, 1)),
        (date(2027, 1, 1), date(2026, 1, 2)),
        (date(2026, 2, 28), date(2025, 3, 1)),
        (date(2028, 2, 29), date(2027, 3, 1)),  # a year before 29/02 is 28/02
        (date(2029, 2, 28), date(2028, 2, 29)),
        (date(2028, 3, 1), date(2027, 3, 2)),
        (date(2026, 3, 31), date(2025, 4, 1)),
    ],
)
def test_the_twelve_months_start_the_day_after_the_same_date_a_year_before(
    today: date, first: date
) -> None:
    assert rules.twelve_months_up_to(today) == first


def test_twice_a_year_counts_the_checks_of_the_twelve_months() -> None:
    today = date(2026, 12, 1)
    assert rules.twice_a_year([date(2025, 12, 1), date(2026, 6, 1)], today).checks == 1
    found = rules.twice_a_year([date(2025, 12, 2), date(2026, 12, 1), date(2026, 12, 2)], today)
    assert (found.window_from, found.window_to, found.checks, found.met) == (
        date(2025, 12, 2),
        today,
        2,
        True,
    )
    leap = rules.twice_a_year(
        [date(2027, 2, 28), date(2027, 3, 1), date(2028, 2, 29)], date(2028, 2, 29)
    )
    assert (leap.window_from, leap.checks, leap.met) == (date(2027, 3, 1), 2, True)
    after = rules.twice_a_year([date(2028, 2, 28), date(2028, 2, 29)], date(2029, 2, 28))
    assert (after.window_from, after.checks, after.met) == (date(2028, 2, 29), 1, False)
    assert rules.twice_a_year([], today).met is False


# -- the book --------------------------------------------------------------------------


def _check(check_id: str, on: date, values: CheckValues | None) -> CheckFacts:
    return CheckFacts(check_id, on, Checker.STATION, None, None, values)


def test_the_book_orders_flags_and_trends_every_check() -> None:
    a = _check("a", date(2025, 6, 10), CheckValues(128, 82, 76, D("52.0"), D("155.0"), D("5.6")))
    b = _check("b", date(2025, 12, 1), CheckValues(145, 88, 80, D("55.3")))  # no height
    c = _check("c", date(2025, 12, 2), CheckValues(138, 92, None, D("61.7"), D("158.0"), D("7.9")))
    d = _check("d", date(2026, 12, 1), CheckValues(pulse_bpm=80, weight_kg=D("61.7")))
    erased = _check("e", date(2026, 1, 5), None)
    book = rules.book([d, c, erased, a, b], date(2026, 12, 1))
    assert [e.check.check_id for e in book.entries] == ["a", "b", "c", "e", "d"]
    first, second, third, fourth, fifth = book.entries
    assert (first.bmi, first.flags, first.trend) == (
        D("21.6"),
        rules.Flags(Level.NORMAL, BmiBand.NORMAL, Level.NORMAL),
        {},
    )
    # the height of the last check that measured it
    assert (second.bmi, second.flags) == (
        D("23.0"),
        rules.Flags(Level.HIGH, BmiBand.OVERWEIGHT, None),
    )
    assert second.trend == {
        "systolic_mmhg": Trend(Direction.UP, 17, date(2025, 6, 10)),
        "diastolic_mmhg": Trend(Direction.UP, 6, date(2025, 6, 10)),
        "pulse_bpm": Trend(Direction.UP, 4, date(2025, 6, 10)),
        "weight_kg": Trend(Direction.UP, D("3.3"), date(2025, 6, 10)),
    }
    assert (third.bmi, third.flags) == (
        D("24.7"),
        rules.Flags(Level.HIGH, BmiBand.OVERWEIGHT, Level.HIGH),
    )
    assert third.trend == {
        "systolic_mmhg": Trend(Direction.DOWN, -7, date(2025, 12, 1)),
        "diastolic_mmhg": Trend(Direction.UP, 4, date(2025, 12, 1)),
        "weight_kg": Trend(Direction.UP, D("6.4"), date(2025, 12, 1)),
        "height_cm": Trend(Direction.UP, D("3.0"), date(2025, 6, 10)),
        "glucose_mmol_l": Trend(Direction.UP, D("2.3"), date(2025, 6, 10)),
    }
    assert (fourth.bmi, fourth.flags, fourth.trend) == (None, rules.Flags(), {})  # erased
    assert (fifth.bmi, fifth.flags) == (D("24.7"), rules.Flags(None, BmiBand.OVERWEIGHT, None))
    assert fifth.trend == {
        "pulse_bpm": Trend(Direction.SAME, 0, date(2025, 12, 1)),
        "weight_kg": Trend(Direction.SAME, D("0.0"), date(2025, 12, 2)),
    }
    # 02/12/2025, 05/01/2026 (erased: the check happened) and 01/12/2026
    assert (book.twice_a_year.checks, book.twice_a_year.met) == (3, True)


def test_checks_of_one_day_keep_the_order_they_were_recorded_in() -> None:
    first = _check("x", date(2026, 5, 1), CheckValues(pulse_bpm=70))
    second = _check("y", date(2026, 5, 1), CheckValues(pulse_bpm=75))
    book = rules.book([first, second], date(2026, 12, 1))
    assert [e.check.check_id for e in book.entries] == ["x", "y"]
    assert book.entries[1].trend == {"pulse_bpm": Trend(Direction.UP, 5, date(2026, 5, 1))}


# -- consent ---------------------------------------------------------------------------

HEALTH = frozenset({ConsentScope.HEALTH_CHECKS})


def test_one_consent_stands_at_a_time_and_hides_what_a_withdrawal_covers() -> None:
    first = consent_rules.ConsentFacts(date(2025, 1, 2), HEALTH, date(2026, 3, 4))
    second = consent_rules.ConsentFacts(date(2026, 3, 5), HEALTH)
    assert consent_rules.state([]) is consent_rules.ConsentState.NONE
    assert consent_rules.state([first]) is consent_rules.ConsentState.WITHDRAWN
    assert consent_rules.state([first, second]) is consent_rules.ConsentState.STANDING
    assert consent_rules.standing([first, second]) == second
    assert not consent_rules.visible([first], date(2025, 6, 1))
    assert not consent_rules.visible([first, second], date(2025, 6, 1))
    assert not consent_rules.visible([first, second], date(2026, 3, 4))
    assert consent_rules.visible([first, second], date(2026, 3, 5))
    home_care = consent_rules.ConsentFacts(date(2025, 1, 2), frozenset({ConsentScope.HOME_CARE}))
    assert not consent_rules.covers(home_care, ConsentScope.HEALTH_CHECKS, date(2026, 1, 1))
    assert consent_rules.covers(second, ConsentScope.HEALTH_CHECKS, date(2026, 3, 5))
    assert not consent_rules.covers(second, ConsentScope.HEALTH_CHECKS, date(2026, 3, 4))
    assert consent_rules.last_withdrawal([first, second]) == date(2026, 3, 4)


@pytest.mark.parametrize(
    ("given_on", "left_on", "withdrawn_before", "refused"),
    [
        (date(2026, 12, 1), None, None, False),
        (date(2026, 12, 2), None, None, True),  # the future
        (date(2019, 1, 9), None, None, True),  # before joining on 10/01/2019
        (date(2026, 6, 29), date(2026, 6, 30), None, False),
        (date(2026, 6, 30), date(2026, 6, 30), None, True),  # the day of leaving
        (date(2026, 3, 4), None, date(2026, 3, 4), True),  # the day of the withdrawal
        (date(2026, 3, 5), None, date(2026, 3, 4), False),
    ],
)
def test_a_consent_is_given_by_a_member_after_any_withdrawal(
    given_on: date, left_on: date | None, withdrawn_before: date | None, refused: bool
) -> None:
    def check() -> None:
        consent_rules.check_given_on(
            given_on,
            today=date(2026, 12, 1),
            joined_on=date(2019, 1, 10),
            left_on=left_on,
            withdrawn_before=withdrawn_before,
        )

    if refused:
        with pytest.raises(FieldError) as caught:
            check()
        assert caught.value.field == "given_on"
    else:
        check()


def test_a_withdrawal_is_dated_between_the_last_check_and_today() -> None:
    def check(on: date, last_check_on: date | None = date(2026, 11, 15)) -> None:
        consent_rules.check_withdrawn_on(
            on, today=date(2026, 12, 1), given_on=date(2025, 1, 2), last_check_on=last_check_on
        )

    check(date(2026, 11, 15))
    check(date(2026, 12, 1))
    check(date(2025, 1, 2), None)
    for on in (date(2026, 12, 2), date(2026, 11, 14), date(2025, 1, 1)):
        with pytest.raises(FieldError) as caught:
            check(on)
        assert caught.value.field == "withdrawn_on"


def test_scopes_are_stored_once_each_in_order() -> None:
    text = consent_rules.scopes_text(
        [ConsentScope.HOME_CARE, ConsentScope.HEALTH_CHECKS, ConsentScope.HOME_CARE]
    )
    assert text == "health_checks,home_care"
    assert consent_rules.scopes_of(text) == {ConsentScope.HOME_CARE, ConsentScope.HEALTH_CHECKS}


def test_events_carry_no_value() -> None:
    done = rules.check_done(
        check_id="k",
        member_id="m",
        club_id="c",
        checked_on=date(2026, 11, 20),
        checker=Checker.STATION,
    )
    assert done.model_dump(mode="json") == {
        "check_id": "k",
        "member_id": "m",
        "club_id": "c",
        "checked_on": "2026-11-20",
        "checker": "station",
    }
