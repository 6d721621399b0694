"""Small-cell suppression for public views: no count or share may single people out.

A public page that says a club has one member, who is a poor older woman and a
volunteer, describes that person. So, where the viewer is anonymous (the public
dashboard and the public live feed), figures pass through `suppress_small_cells`:

- a count of people from 1 to `threshold - 1` reads `"< 5"` (for a threshold of
  5); 0 stays 0, since an empty cell describes nobody;
- a count of people whose complement within its group is that small is bounded
  instead (`"> 7"` for 9 older members of 12: "older 9" beside "members 12"
  would give the 3 younger ones away);
- shares and checks computed from the people of a group of fewer than
  `threshold` people are hidden (None), since a share of 3 people reveals the
  counts; shares of clubs' own properties (board, meetings) stay;
- counts of clubs and communes, coverage and dates are not about people and stay;
- borrowers are people, and loans stand for their borrowers: the share of
  members who borrow hides with the count of borrowers (beside the members it
  would give that count away); the outstanding principal, the principal at
  risk and PAR30 of fewer than `threshold` loans are hidden, since they would
  tell one person's loan. A group's cash, gifts in kind and incomes stay;
- members checked twice in the year and members insured are parts of the
  membership, and people cared for at home and the visits that stand for them
  are people: each count is shown as the others, and its share of members
  (`health_checks_ok`, `insurance_coverage`) hides with it, as does the target
  of `health_checks_ok`. Exercise sessions, and the share of clubs exercising
  three times a week (a club's own practice), stay.

Signed-in viewers and the authenticated API see exact figures. Differencing
across levels (a province's total minus its other communes) is not prevented:
that would need suppressing a second cell in every group, beyond this rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_THRESHOLD = 5

# Counts of people, wherever they appear in the figures.
PEOPLE_COUNTS = frozenset(
    {
        "members",
        "women",
        "older",
        "older_members",
        "young",
        "poor",
        "volunteers",
        "new_members",
        "new_older_members",
        "hardship_cases_supported",
        "borrowers",
        "loans_outstanding",
        "loans_at_risk",
        "members_checked_twice",
        "members_insured",
        "people_cared_for",
        "home_care_visits",
    }
)
# Parts of a group's membership: the rest of the group is the complement.
MEMBERSHIP_PARTS = frozenset(
    {
        "women",
        "older",
        "older_members",
        "young",
        "poor",
        "volunteers",
        "borrowers",
        "members_checked_twice",
        "members_insured",
    }
)
# Checks and shares computed from the people of a club (not its board, meetings or exercise).
PEOPLE_FLAGS = frozenset(
    {
        "size_ok",
        "women_ok",
        "older_ok",
        "young_ok",
        "poor_ok",
        "volunteers_ok",
        "borrowers",
        "health_checks_ok",
    }
)
# A share of members beside the count it is computed from: it hides with the count.
SHARE_OF_COUNT = {
    "borrowers_share": "borrowers",
    "health_checks_ok": "members_checked_twice",
    "insurance_coverage": "members_insured",
}
# Plan targets measured on such a share (by the target's name: the share's name).
TARGET_SHARES = {"borrowers": "borrowers_share", "health_checks_ok": "health_checks_ok"}
# What a few loans' figures would tell of one person's loan.
PORTFOLIO_FIGURES = frozenset({"outstanding_principal_vnd", "at_risk_principal_vnd", "par30"})
# Sub-tables keyed by check: shares of clubs, clubs meeting a check, a club's checks.
FLAG_TABLES = frozenset({"shares", "clubs_meeting", "checks"})


def under(threshold: int) -> str:
    """What a count of 1 to threshold − 1 people reads as."""
    return f"< {threshold}"


def suppress_small_cells(figures: Mapping[str, Any], threshold: int) -> dict[str, Any]:
    """A copy of `figures` (a group's figures, with nested groups: communes,
    clubs, indicators) fit for the public; the input is not changed."""
    return _group(figures, threshold, None)


def _base(figures: Mapping[str, Any], inherited: int | None) -> int | None:
    """How many people a group's figures are about: its own `members`, else its
    indicators' members, else its parent's."""
    own = figures.get("members")
    if isinstance(own, int) and _is_count(own):
        return own
    indicators = figures.get("indicators")
    if isinstance(indicators, Mapping):
        theirs = indicators.get("members")
        if isinstance(theirs, int) and _is_count(theirs):
            return theirs
    return inherited


def _own(figures: Mapping[str, Any], key: str) -> int | None:
    """A count of the group: its own, else its indicators'."""
    own = figures.get(key)
    if isinstance(own, int) and _is_count(own):
        return own
    indicators = figures.get("indicators")
    if isinstance(indicators, Mapping):
        theirs = indicators.get(key)
        if isinstance(theirs, int) and _is_count(theirs):
            return theirs
    return None


def _derived(figures: Mapping[str, Any], base: int | None, few: bool, t: int) -> set[str]:
    """Figures that would give a hidden count away: a share of members beside its
    hidden count (borrowers, members checked twice, members insured), a few
    loans' principal and PAR30."""
    hidden: set[str] = set()
    for share, key in SHARE_OF_COUNT.items():
        count = _own(figures, key)
        if count is not None and (few or _count(key, count, base, t) != count):
            hidden.add(share)
    loans = _own(figures, "loans_outstanding")
    if loans is not None and 0 < loans < t:
        hidden |= PORTFOLIO_FIGURES
    return hidden


def _group(figures: Mapping[str, Any], t: int, inherited: int | None) -> dict[str, Any]:
    base = _base(figures, inherited)
    few = base is not None and 0 < base < t
    hidden = _derived(figures, base, few, t)
    result: dict[str, Any] = {}
    for key, value in figures.items():
        if key in hidden:
            result[key] = None
        elif key in PEOPLE_COUNTS and _is_count(value):
            result[key] = _count(key, value, base, t)
        elif key in FLAG_TABLES and isinstance(value, Mapping):
            result[key] = {f: None if few and f in PEOPLE_FLAGS else v for f, v in value.items()}
        elif key == "targets" and isinstance(value, Mapping):
            result[key] = {
                # a target measured on a share of members hides with the share
                k: _target(k, v, base, few or TARGET_SHARES.get(k) in hidden, t)
                for k, v in value.items()
            }
        elif isinstance(value, Mapping):
            result[key] = _group(value, t, base)
        elif isinstance(value, list):
            result[key] = [_group(v, t, base) if isinstance(v, Mapping) else v for v in value]
        else:
            result[key] = value
    return result


def _count(key: str, value: int, base: int | None, t: int) -> int | str:
    if value == 0:
        return 0  # describes nobody, whatever the group's size
    if value < t:
        return under(t)
    if key in MEMBERSHIP_PARTS and base is not None and 0 < base - value < t:
        # value lies in base-t+1 .. base-1: say only that, as "< t" says of the rest.
        return f"> {base - t}"
    return value


def _target(indicator: str, entry: Any, base: int | None, few: bool, t: int) -> Any:
    """A target's value and gap (target − value) hide together."""
    if not isinstance(entry, Mapping):
        return entry
    value = entry.get("value")
    if indicator in PEOPLE_COUNTS and isinstance(value, int) and _is_count(value):
        shown = _count(indicator, value, base, t)
        if shown != value:
            return {**entry, "value": shown, "gap": None}
    if indicator in PEOPLE_FLAGS and few:
        return {**entry, "value": None, "gap": None}
    return dict(entry)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
