"""The read side of reporting, shared by use cases and internal readers.

NO ACCESS CHECKS anywhere in this package: each function answers for the scope
it is given (its public readers are named `*_unchecked`). Use cases
(`ishc_reporting.service`) check the caller through `service/policy.py` first;
internal readers (the live feed, the gauges, the CLI, report issuing, the
public dashboard) read the whole nation, which is what they show.

- `facts`: every active club's facts as of a date (grouped queries);
- `warm`: today's figures kept warm per process;
- `indicators`: the province table, the nation, a province, a commune, a club,
  the rollout, and the stored plans.
"""

from ishc_reporting.queries.indicators import (
    RECORD_ID_PATTERN,
    Provinces,
    Query,
    club_detail_unchecked,
    club_fact,
    commune_detail_unchecked,
    load_plans,
    make_query,
    national_unchecked,
    plan_row,
    projection_state,
    province_detail_unchecked,
    province_page_unchecked,
    province_table_unchecked,
    rollout_on_unchecked,
    rollout_unchecked,
    stored_plan,
    todays_query,
)

__all__ = [
    "RECORD_ID_PATTERN",
    "Provinces",
    "Query",
    "club_detail_unchecked",
    "club_fact",
    "commune_detail_unchecked",
    "load_plans",
    "make_query",
    "national_unchecked",
    "plan_row",
    "projection_state",
    "province_detail_unchecked",
    "province_page_unchecked",
    "province_table_unchecked",
    "rollout_on_unchecked",
    "rollout_unchecked",
    "stored_plan",
    "todays_query",
]
