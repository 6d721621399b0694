"""Who may do what in reporting: the one place its use cases ask.

- Indicators, the rollout and plans are read with a national or province
  token; a province token sees its current provinces and, on the old map, the
  old provinces merged into them. A record it may not see is not found (404);
  the national figures need a national token (403).
- Plans are written by national tokens, and by a province token only when the
  plan is wholly its own (`domain.plans.province_may_write`); it never replaces
  another's plan.
- Reports are issued and read for the nation with a national token, for a
  province with a token that covers it; another province's report is not found.

Internal readers (the live feed, the gauges, the CLI, report issuing, the
public dashboard) do not come through here: they call the `*_unchecked` reads
of `ishc_reporting.queries`, which show the whole nation.
"""

from __future__ import annotations

from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller, Role, ensure_collection_allowed
from ishc_platform.errors import forbidden, not_found
from ishc_reporting.domain import placement
from ishc_reporting.domain.plans import PlanDoc, province_may_write
from ishc_reporting.models import ClubFact, IssuedReport, Plan

READERS = (Role.NATIONAL, Role.PROVINCE)


def require_reader(caller: Caller) -> None:
    if caller.role not in READERS:
        raise forbidden("indicators are read with a national or province token")


def readable_provinces(caller: Caller) -> frozenset[str] | None:
    """The current provinces the caller reads (None: every one)."""
    require_reader(caller)
    return None if caller.role is Role.NATIONAL else caller.provinces


def require_national(caller: Caller) -> None:
    require_reader(caller)
    if caller.role is not Role.NATIONAL:
        raise forbidden("the national figures are read with a national token")


def ensure_province_visible(caller: Caller, code: str, boundary: Boundary, what: str) -> None:
    """A province (or a commune of it) on a map: another's is not found."""
    provinces = readable_provinces(caller)
    if provinces is not None and code not in placement.visible_provinces(provinces, boundary):
        raise not_found(what)


def ensure_club_visible(caller: Caller, club: ClubFact | None) -> ClubFact:
    """A club the caller may see; another province's, or none, is not found."""
    require_reader(caller)
    if club is None or club.province is None or not caller.can_see_province(club.province):
        raise not_found("club")
    return club


def ensure_collection(caller: Caller, province: str | None) -> frozenset[str] | None:
    """The provinces a filtered list may show; another province is 403."""
    require_reader(caller)
    if province is not None:
        ensure_collection_allowed(caller, province)
    return readable_provinces(caller)


# -- plans -------------------------------------------------------------------------


def may_read_plan(caller: Caller, scope: str, province: str | None) -> bool:
    return scope == "nation" or caller.can_see_province(province or "")


def ensure_plan_writer(caller: Caller, doc: PlanDoc) -> None:
    if caller.role is Role.PROVINCE:
        if not province_may_write(doc, caller.provinces):
            raise forbidden("a province token writes only its own provinces' plans")
    elif caller.role is not Role.NATIONAL:
        raise forbidden("plans are written with a national or province token")


def ensure_may_replace(caller: Caller, row: Plan, stored: PlanDoc | None) -> None:
    """A province token replaces only a plan wholly its own. One it can read
    (the nation's, its own province's) is refused; another province's does not
    exist for it."""
    if caller.role is not Role.PROVINCE:
        return
    if stored is None or not province_may_write(stored, caller.provinces):
        if may_read_plan(caller, row.scope, row.province):
            raise forbidden("this plan is not the token's provinces' to replace")
        raise not_found("plan")


# -- reports -----------------------------------------------------------------------


def ensure_report_issuer(caller: Caller, scope: str, province: str | None) -> None:
    if caller.role not in READERS:
        raise forbidden("reports are issued with a national or province token")
    if scope == "nation" and caller.role is not Role.NATIONAL:
        raise forbidden("a national report needs a national token")
    if scope == "province" and not caller.can_see_province(province or ""):
        raise forbidden(f"the token does not cover province {province}")


def ensure_report_visible(caller: Caller, report: IssuedReport | None) -> IssuedReport:
    """A report the caller may read; another province's is not found."""
    if caller.role not in READERS:
        raise forbidden("reports are read with a national or province token")
    if report is None:
        raise not_found("report")
    if caller.role is Role.PROVINCE and (
        report.scope == "nation" or report.province not in caller.provinces
    ):
        raise not_found("report")
    return report


def report_collection(caller: Caller, province: str | None) -> frozenset[str] | None:
    """The provinces a list of reports may show (None: all); another province is 403."""
    return ensure_collection_allowed(caller, province)
