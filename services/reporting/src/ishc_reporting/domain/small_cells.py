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
  (`health_checks_ok`, `insurance_coverage`) hides with it. Exercise sessions,
  and the share of clubs exercising three times a week (a club's own
  practice), stay;
- poor older women and members of an ethnic minority are parts of the
  membership, as above; the older women among the new members are people. A
  share of people over people (older among the new members, women among the
  new older members) hides when its whole is few, or its part or the rest of
  the whole is. Meetings are not people: their count and the share choosing a
  hardship case stay, as do the well-managed and full-activity shares of clubs;
- a plan's targets (`plans[].targets[]`) are measured over the plan's own
  territory and window, not the page's group. A target counting people
  (members, new members, new older members) reads as any count; its gap hides
  with it, and so does the expected number of members, drawn from a measured
  baseline (new members are expected from 0: the plan's own arithmetic). A
  target that is a share of people (of members, new members, or of clubs
  judged on their members) is shown only where the people it is
  computed over are known to be enough: the page's own members when the plan's
  territory is the page's group and the target is read on the page's date, or
  the plan's own count target over the same window (new members beside the
  older share of them); otherwise it hides with its expected value, its gap
  and its status (a 100% target "met" tells the value).

Signed-in viewers and the authenticated API see exact figures. Differencing
across levels (a province's total minus its other communes) is not prevented:
that would need suppressing a second cell in every group, beyond this rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

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
        "poor_older_women",
        "ethnic_minority_members",
        "new_older_women",
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
        "poor_older_women",
        "ethnic_minority_members",
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
# A share of people over people, beside its part and its whole: hidden when the
# whole is few, or the part or the rest of the whole is.
SHARE_OF_PART = {
    "new_members_older_share": ("new_older_members", "new_members"),
    "new_older_women_share": ("new_older_women", "new_older_members"),
}
# Plan targets that are shares of people: of members, of new members, and of
# clubs judged on their members (the plan's name of the target).
TARGET_PEOPLE_SHARES = PEOPLE_FLAGS | {
    "borrowers",
    "health_checks_ok",
    "insurance_coverage",
    "new_members_older_share",
    "new_older_women_share",
}
# Of them, the shares of people over people (the others are shares of clubs).
SHARES_OF_MEMBERS = frozenset(TARGET_PEOPLE_SHARES - PEOPLE_FLAGS) | {
    "borrowers",
    "health_checks_ok",
}
# Of them, shares whose whole is a plan's count target over the same window.
TARGET_WHOLE = {
    "new_members_older_share": "new_members",
    "new_older_women_share": "new_older_members",
}
# Targets counting people from nothing at the window's start: their expected
# value is the plan's own arithmetic, not a measurement.
TARGET_PATH_FROM_ZERO = frozenset({"new_members", "new_older_members"})
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
    for share, (part_key, whole_key) in SHARE_OF_PART.items():
        part, whole = _own(figures, part_key), _own(figures, whole_key)
        if part is not None and whole is not None and _few_share(part, whole, t):
            hidden.add(share)
    loans = _own(figures, "loans_outstanding")
    if loans is not None and 0 < loans < t:
        hidden |= PORTFOLIO_FIGURES
    return hidden


def _few_share(part: int, whole: int, t: int) -> bool:
    """Whether a share of `part` in `whole` people would tell a small count."""
    return 0 < whole < t or 0 < part < t or 0 < whole - part < t


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
        elif key == "plans" and isinstance(value, list):
            page = _Page.of(figures, base)
            result[key] = [_plan(p, page, t) if isinstance(p, Mapping) else p for p in value]
        elif key == "targets" and isinstance(value, Mapping):
            # The earlier shape (one plan's targets keyed by indicator, measured
            # on the page's own group): hidden as before, so no figure in that
            # shape reaches the public unsuppressed.
            result[key] = {
                k: _earlier_target(k, v, base, few or EARLIER_TARGET_SHARES.get(k) in hidden, t)
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


@dataclass(frozen=True)
class _Page:
    """The group a page's figures are about, to tell whether a plan's territory is it."""

    province: str | None  # None: the nation
    nation: bool
    boundary: str | None
    as_of: str | None
    members: int | None  # its members on `as_of`

    @classmethod
    def of(cls, figures: Mapping[str, Any], base: int | None) -> _Page:
        nation = figures.get("scope") == "nation"
        code = figures.get("code")
        return cls(
            province=None if nation or code is None else str(code),
            nation=nation,
            boundary=None if figures.get("boundary") is None else str(figures["boundary"]),
            as_of=None if figures.get("as_of") is None else str(figures["as_of"])[:10],
            members=base,
        )

    def members_of(self, territory: Any, measured_on: Any) -> int | None:
        """The page's members, if they are the people the plan's target was read
        over: the same territory on the same map, read on the page's date."""
        if not isinstance(territory, Mapping) or self.members is None or measured_on is None:
            return None
        same_place = (
            (self.nation and territory.get("province") is None)
            or (self.province is not None and territory.get("province") == self.province)
        ) and str(territory.get("boundary")) == self.boundary
        return self.members if same_place and str(measured_on)[:10] == self.as_of else None


def _plan(plan: Mapping[str, Any], page: _Page, t: int) -> dict[str, Any]:
    """A plan in force with its targets fit for the public (its heading and
    territory are no one's figures)."""
    targets = plan.get("targets")
    if not isinstance(targets, list):
        return dict(plan)
    counts = {
        (entry.get("indicator"), str(entry.get("from")), str(entry.get("by"))): entry.get("value")
        for entry in targets
        if isinstance(entry, Mapping)
    }
    territory = plan.get("territory")
    shown = [
        _target(entry, page.members_of(territory, entry.get("measured_on")), counts, t)
        if isinstance(entry, Mapping)
        else entry
        for entry in targets
    ]
    return {**plan, "targets": shown}


def _target(
    entry: Mapping[str, Any],
    members: int | None,
    counts: Mapping[tuple[Any, str, str], Any],
    t: int,
) -> dict[str, Any]:
    """One target: a count of people reads as any count; a share of people
    shows only over enough known people; its gap (target − value) and expected
    value hide with its value."""
    indicator = str(entry.get("indicator"))
    value = entry.get("value")
    if indicator in PEOPLE_COUNTS and _is_count(value):
        shown = _count(indicator, value, None, t)
        result = {**entry, "value": shown}
        if shown != value:
            result["gap"] = None
            if indicator not in TARGET_PATH_FROM_ZERO:
                # drawn from a measured baseline, likely as few: it would tell it
                result["expected"] = None
        expected = result.get("expected")
        if indicator not in TARGET_PATH_FROM_ZERO and _is_count(expected):
            result["expected"] = _count(indicator, expected, None, t)
        return result
    if indicator in TARGET_PEOPLE_SHARES and value is not None:
        whole = members
        if indicator in TARGET_WHOLE:
            window = (str(entry.get("from")), str(entry.get("by")))
            sibling = counts.get((TARGET_WHOLE[indicator], *window))
            whole = sibling if _is_count(sibling) else None
        of_clubs = indicator not in SHARES_OF_MEMBERS
        if whole is None or _few_of(value, whole, of_clubs, t):
            # its status too: "met" of a 100% target would tell the value
            return {**entry, "value": None, "expected": None, "gap": None, "status": None}
    return dict(entry)


# The earlier shape's targets measured on a share of members (the share's name).
EARLIER_TARGET_SHARES = {"borrowers": "borrowers_share", "health_checks_ok": "health_checks_ok"}


def _earlier_target(indicator: str, entry: Any, base: int | None, few: bool, t: int) -> Any:
    """A target of the earlier shape: its value and gap (target − value) hide together."""
    if not isinstance(entry, Mapping):
        return entry
    value = entry.get("value")
    if indicator in PEOPLE_COUNTS and _is_count(value):
        shown = _count(indicator, value, base, t)
        if shown != value:
            return {**entry, "value": shown, "gap": None}
    if indicator in PEOPLE_FLAGS and few:
        return {**entry, "value": None, "gap": None}
    return dict(entry)


def _few_of(share: Any, whole: int, of_clubs: bool, t: int) -> bool:
    """Whether a share over `whole` people would tell a small count: the whole is
    few, or (a share of people, not of clubs) the part or the rest of it is."""
    if 0 < whole < t:
        return True
    if of_clubs:
        return False
    try:
        part = round(Decimal(str(share)) * whole / 100)
    except (InvalidOperation, ValueError):
        return True
    return _few_share(int(part), whole, t)


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
