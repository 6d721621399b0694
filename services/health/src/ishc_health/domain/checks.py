"""Health checks (khám sức khỏe định kỳ) and the health book (sổ theo dõi sức khỏe).

Plain rules over plain data, no I/O:

- **Ranges.** Each value of a check is optional; a value given must lie in a
  physiological range (`RANGES`, bounds included) and keep a sensible precision:
  blood pressure and pulse are whole numbers, weight, height and glucose take one
  decimal place. The diastolic pressure is strictly below the systolic.
- **Flags** a volunteer acts on:
  - blood pressure (huyết áp) is `high` at or above 140/90 mmHg: systolic ≥ 140
    or diastolic ≥ 90 (either one is enough), else `normal`;
  - the BMI (chỉ số khối cơ thể) is weight ÷ height² (kg/m²) rounded half up to
    one decimal place, banded for Asian adults (WHO 2004, as the Vietnamese
    Ministry of Health uses it): < 18.5 `underweight` (thiếu cân), 18.5–22.9
    `normal`, 23–24.9 `overweight` (thừa cân), ≥ 25 `obese` (béo phì). The band is
    read from the rounded value, so the number shown and its band always agree.
    An adult's height hardly changes, so a check that weighs without measuring
    takes the height of the latest earlier check that measured it;
  - blood glucose (đường huyết) is `low` below 3.9 mmol/L (hypoglycaemia) and
    `high` from 7.0 mmol/L (the fasting threshold of diabetes: a reading that
    high asks for a fasting test at the health station), else `normal`.
- **Trend** (xu hướng): each value against the same value at the latest earlier
  check that measured it: `up`, `down` or `same`, with the signed difference.
- **Twice a year** (ít nhất 2 lần/năm, Vĩnh Long plan): the checks in the twelve
  months up to today, from the day after the same date a year before (a year
  before 29 February is 28 February) through today, and whether there are at
  least two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from ishc_contracts.health_events import Checker, HealthCheckDone
from ishc_contracts.periods import twelve_months_start as twelve_months_up_to
from ishc_platform.validation import FieldError

Fault = tuple[str, str]
"""A refused value: the field and why."""

Reading = int | Decimal


@dataclass(frozen=True)
class Range:
    """Where a value may lie (bounds included), its unit and its decimal places."""

    low: Decimal
    high: Decimal
    unit: str
    places: int

    def text(self) -> str:
        return f"{self.low} and {self.high} {self.unit}"


RANGES: Mapping[str, Range] = {
    "systolic_mmhg": Range(Decimal(60), Decimal(260), "mmHg", 0),
    "diastolic_mmhg": Range(Decimal(30), Decimal(160), "mmHg", 0),
    "pulse_bpm": Range(Decimal(30), Decimal(220), "beats/min", 0),
    "weight_kg": Range(Decimal(20), Decimal(250), "kg", 1),
    "height_cm": Range(Decimal(100), Decimal(220), "cm", 1),
    "glucose_mmol_l": Range(Decimal("1.0"), Decimal("35.0"), "mmol/L", 1),
}
"""Physiological ranges of an older or younger adult's check (bounds included)."""


@dataclass(frozen=True)
class CheckValues:
    """What a check measured; None where it did not."""

    systolic_mmhg: int | None = None  # huyết áp tâm thu
    diastolic_mmhg: int | None = None  # huyết áp tâm trương
    pulse_bpm: int | None = None  # mạch
    weight_kg: Decimal | None = None  # cân nặng
    height_cm: Decimal | None = None  # chiều cao
    glucose_mmol_l: Decimal | None = None  # đường huyết

    def readings(self) -> dict[str, Reading]:
        """The values measured, by field, in `RANGES` order."""
        found = {f.name: getattr(self, f.name) for f in fields(self)}
        return {name: value for name, value in found.items() if value is not None}

    def measured(self) -> list[str]:
        return list(self.readings())

    def document(self) -> dict[str, int | str]:
        """The values as JSON (decimals as strings, so "61.7" stays 61.7), to seal."""
        return {
            name: value if isinstance(value, int) else format(value, "f")
            for name, value in self.readings().items()
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CheckValues:
        """The values a sealed document holds (the inverse of `document`)."""

        def whole(name: str) -> int | None:
            value = document.get(name)
            return None if value is None else int(value)

        def decimal(name: str) -> Decimal | None:
            value = document.get(name)
            return None if value is None else Decimal(str(value))

        return cls(
            systolic_mmhg=whole("systolic_mmhg"),
            diastolic_mmhg=whole("diastolic_mmhg"),
            pulse_bpm=whole("pulse_bpm"),
            weight_kg=decimal("weight_kg"),
            height_cm=decimal("height_cm"),
            glucose_mmol_l=decimal("glucose_mmol_l"),
        )


def value_problems(values: CheckValues) -> list[Fault]:
    """Every value outside its range or precision, and a diastolic pressure not
    below the systolic; empty when the check may be stored."""
    faults: list[Fault] = []
    for name, value in values.readings().items():
        allowed = RANGES[name]
        number = Decimal(value)
        if not number.is_finite() or not allowed.low <= number <= allowed.high:
            faults.append((name, f"{name} must lie between {allowed.text()}"))
        elif number != number.quantize(Decimal(1).scaleb(-allowed.places)):
            kept = "a whole number" if allowed.places == 0 else "one decimal place"
            faults.append((name, f"{name} takes {kept} (e.g. {_example(allowed)})"))
    systolic, diastolic = values.systolic_mmhg, values.diastolic_mmhg
    if (
        systolic is not None
        and diastolic is not None
        and not any(name in ("systolic_mmhg", "diastolic_mmhg") for name, _ in faults)
        and diastolic >= systolic
    ):
        faults.append(
            ("diastolic_mmhg", "the diastolic pressure must be below the systolic pressure")
        )
    return faults


def _example(allowed: Range) -> str:
    middle = (allowed.low + allowed.high) / 2
    return format(middle.quantize(Decimal(1).scaleb(-allowed.places)), "f")


def normalised(values: CheckValues) -> CheckValues:
    """The values at their precision ("61.70" kg is 61.7 kg), once checked."""

    def kept(value: Decimal | None) -> Decimal | None:
        return None if value is None else value.quantize(TENTH)

    return replace(
        values,
        weight_kg=kept(values.weight_kg),
        height_cm=kept(values.height_cm),
        glucose_mmol_l=kept(values.glucose_mmol_l),
    )


def check_checked_on(checked_on: date, *, today: date, joined_on: date | None) -> None:
    """A check is dated neither in the future nor before the member joined."""
    if checked_on > today:
        raise FieldError("checked_on", f"checked_on is in the future (today is {today:%d/%m/%Y})")
    if joined_on is not None and checked_on < joined_on:
        raise FieldError(
            "checked_on", f"checked_on is before the member joined the club ({joined_on:%d/%m/%Y})"
        )


def has_left(left_on: date | None, on: date) -> bool:
    """Whether the member had left the club by `on` (left on that day included)."""
    return left_on is not None and on >= left_on


def volunteer_problem(
    *,
    checker: Checker,
    checker_member_id: str | None,
    club_id: str,
    volunteer_club_id: str | None,
    is_volunteer: bool,
    joined_on: date | None,
    left_on: date | None,
    checked_on: date,
) -> str | None:
    """Why `checker_member_id` cannot stand for who checked, or None.

    A volunteer's check names the volunteer: a member flagged as volunteer of the
    same club, a member on the day. A station's check names no member.
    `volunteer_club_id` is None when the directory does not know that member."""
    if checker is Checker.STATION:
        if checker_member_id is not None:
            return "a health station's check names no volunteer: leave checker_member_id out"
        return None
    if checker_member_id is None:
        return "a volunteer's check names the volunteer (checker_member_id)"
    if volunteer_club_id != club_id:
        return "the volunteer is not a member of the member's club"
    if not is_volunteer:
        return "that member is not a volunteer of the club"
    if joined_on is None or checked_on < joined_on or has_left(left_on, checked_on):
        return f"the volunteer was not a member of the club on {checked_on:%d/%m/%Y}"
    return None


def check_done(
    *, check_id: str, member_id: str, club_id: str, checked_on: date, checker: Checker
) -> HealthCheckDone:
    """The event of a check: who, when and by whom, never what was found."""
    return HealthCheckDone(
        check_id=check_id,
        member_id=member_id,
        club_id=club_id,
        checked_on=checked_on,
        checker=checker,
    )


# -- flags -----------------------------------------------------------------------------


class Level(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class BmiBand(StrEnum):
    """BMI bands for Asian adults (WHO 2004; Bộ Y tế)."""

    UNDERWEIGHT = "underweight"  # thiếu cân: < 18.5
    NORMAL = "normal"  # bình thường: 18.5–22.9
    OVERWEIGHT = "overweight"  # thừa cân: 23–24.9
    OBESE = "obese"  # béo phì: ≥ 25


HIGH_SYSTOLIC = 140
HIGH_DIASTOLIC = 90
LOW_GLUCOSE = Decimal("3.9")
HIGH_GLUCOSE = Decimal("7.0")
TENTH = Decimal("0.1")


def blood_pressure_flag(systolic: int | None, diastolic: int | None) -> Level | None:
    """`high` at or above 140/90 (either number is enough), else `normal`; None
    when the pressure was not measured."""
    if systolic is None and diastolic is None:
        return None
    if (systolic is not None and systolic >= HIGH_SYSTOLIC) or (
        diastolic is not None and diastolic >= HIGH_DIASTOLIC
    ):
        return Level.HIGH
    return Level.NORMAL


def bmi(weight_kg: Decimal, height_cm: Decimal) -> Decimal:
    """Weight ÷ height² in kg/m², rounded half up to one decimal place."""
    metres = height_cm / 100
    return (weight_kg / (metres * metres)).quantize(TENTH, rounding=ROUND_HALF_UP)


def bmi_band(value: Decimal) -> BmiBand:
    """The band of a BMI rounded to one decimal place (18.5–22.9 is normal)."""
    if value < Decimal("18.5"):
        return BmiBand.UNDERWEIGHT
    if value < Decimal("23.0"):
        return BmiBand.NORMAL
    if value < Decimal("25.0"):
        return BmiBand.OVERWEIGHT
    return BmiBand.OBESE


def glucose_flag(glucose: Decimal | None) -> Level | None:
    if glucose is None:
        return None
    if glucose < LOW_GLUCOSE:
        return Level.LOW
    if glucose >= HIGH_GLUCOSE:
        return Level.HIGH
    return Level.NORMAL


@dataclass(frozen=True)
class Flags:
    blood_pressure: Level | None = None
    bmi: BmiBand | None = None
    glucose: Level | None = None


# -- trend -----------------------------------------------------------------------------


class Direction(StrEnum):
    UP = "up"  # tăng
    DOWN = "down"  # giảm
    SAME = "same"  # không đổi


@dataclass(frozen=True)
class Trend:
    """A value against the same value at an earlier check (`since`)."""

    direction: Direction
    difference: Reading  # signed: this check's value less the earlier one
    since: date


def trend(value: Reading, earlier: Reading, since: date) -> Trend:
    difference = value - earlier
    if difference > 0:
        return Trend(Direction.UP, difference, since)
    if difference < 0:
        return Trend(Direction.DOWN, difference, since)
    return Trend(Direction.SAME, difference, since)


# -- twice a year ----------------------------------------------------------------------

CHECKS_A_YEAR = 2


@dataclass(frozen=True)
class TwiceAYear:
    """Checks in the twelve months up to a day, against the twice-a-year rule."""

    window_from: date
    window_to: date
    checks: int
    required: int = CHECKS_A_YEAR

    @property
    def met(self) -> bool:
        return self.checks >= self.required


def twice_a_year(checked_on: Iterable[date], today: date) -> TwiceAYear:
    start = twelve_months_up_to(today)
    return TwiceAYear(start, today, sum(1 for on in checked_on if start <= on <= today))


# -- the book --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckFacts:
    """A check as the book reads it; `values` is None once erased."""

    check_id: str
    checked_on: date
    checker: Checker
    checker_member_id: str | None
    station: str | None
    values: CheckValues | None


@dataclass(frozen=True)
class BookEntry:
    check: CheckFacts
    bmi: Decimal | None
    flags: Flags
    trend: dict[str, Trend] = field(default_factory=dict)


@dataclass(frozen=True)
class Book:
    entries: list[BookEntry]
    twice_a_year: TwiceAYear


def book(checks: Sequence[CheckFacts], today: date) -> Book:
    """The member's checks in date order (a day's checks in the order given), each
    with its flags, BMI and trend, and the twice-a-year count up to `today`."""
    ordered = sorted(checks, key=lambda c: c.checked_on)  # stable: ties keep their order
    latest: dict[str, tuple[Reading, date]] = {}
    entries: list[BookEntry] = []
    for check in ordered:
        values = check.values
        if values is None:  # erased: the date stays, the values are gone
            entries.append(BookEntry(check, None, Flags()))
            continue
        readings = values.readings()
        height = values.height_cm if values.height_cm is not None else _value(latest, "height_cm")
        found_bmi = (
            bmi(values.weight_kg, height)
            if values.weight_kg is not None and height is not None
            else None
        )
        flags = Flags(
            blood_pressure=blood_pressure_flag(values.systolic_mmhg, values.diastolic_mmhg),
            bmi=bmi_band(found_bmi) if found_bmi is not None else None,
            glucose=glucose_flag(values.glucose_mmol_l),
        )
        trends = {
            name: trend(value, *latest[name]) for name, value in readings.items() if name in latest
        }
        entries.append(BookEntry(check, found_bmi, flags, trends))
        latest.update({name: (value, check.checked_on) for name, value in readings.items()})
    return Book(entries, twice_a_year((c.checked_on for c in ordered), today))


def _value(latest: Mapping[str, tuple[Reading, date]], name: str) -> Decimal | None:
    kept = latest.get(name)
    return None if kept is None else Decimal(kept[0])


# -- input -----------------------------------------------------------------------------

_DECIMAL_TEXT = re.compile(r"[0-9]{1,4}(\.[0-9]{1,6})?")


def measure(value: object) -> Decimal:
    """A weight, height or glucose as a request gives it: a JSON number (61.7) or
    a decimal string with a point ("61.7"); never a boolean, NaN, an exponent or
    a decimal comma. Its range and precision are `value_problems`'."""
    if isinstance(value, bool):
        raise ValueError("a number, e.g. 61.7")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a finite number, e.g. 61.7")
        return Decimal(repr(value))  # 61.7, not the binary 61.7000000000000028…
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError('a decimal number with a point, e.g. 61.7 or "61.7"')
        return Decimal(text)
    raise ValueError("a number, e.g. 61.7")
