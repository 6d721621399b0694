"""Reconciliation tallies: the names of the per-club counts and sums each source
service serves at `GET /v1/reconciliation/clubs` and reporting computes from its
projections (`ishc-reporting reconcile`). Both sides read them here, so they
cannot drift apart; a new tally is an additive change, like an event field."""

from __future__ import annotations

REGISTRY_TALLIES: tuple[str, ...] = (
    "clubs",
    "dissolved",
    "members",
    "members_active",
    "meetings",
    "meeting_attendance",
    "hardship_cases_supported",
    "activities",
    "activity_participants",
)
"""What reporting projects of each club from the registry's events (club_fact,
member_fact, meeting_fact, activity_fact), counted by the service from its records."""

FINANCE_TALLIES: tuple[str, ...] = (
    "funds",
    "contributions",
    "contributions_vnd",
    "loans",
    "loans_disbursed_vnd",
    "loans_written_off",
    "repayments",
    "repaid_principal_vnd",
    "repaid_interest_vnd",
    "fees",
    "fees_vnd",
    "expenses",
    "expenses_vnd",
    "recoveries",
    "recoveries_vnd",
    "reversals",
)
"""What reporting projects of each club from finance's events (fund_fact,
loan_fact, allocation_fact, money_flow), counted by the service from its records. Gifts
in kind count among the contributions, at their value; a reversal counts once
and leaves what it reverses counted (reporting keeps both, as here)."""

HEALTH_TALLIES: tuple[str, ...] = (
    "health_checks",
    "exercise_sessions",
    "exercise_participants",
    "home_care_visits",
    "insurance",
)
"""What reporting projects of each club from health's events (health_check_fact,
exercise_session_fact, home_care_visit_fact, insurance_fact), counted by the service from
its records. An erased check still counts: erasure removes its values, not the
fact that it was done."""

TALLIES: dict[str, tuple[str, ...]] = {
    "registry": REGISTRY_TALLIES,
    "finance": FINANCE_TALLIES,
    "health": HEALTH_TALLIES,
}
"""Each source service's tally names, by service."""
