"""Plans: create or replace one (the API, the plan files), list and read them."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform import admin_units
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.errors import invalid, not_found
from ishc_reporting import queries
from ishc_reporting.domain.plans import PlanDoc, legacy_province_fits
from ishc_reporting.models import Plan
from ishc_reporting.queries.targets import plan_progress_unchecked
from ishc_reporting.service import policy


async def put_plan(session: AsyncSession, caller: Caller, doc: PlanDoc) -> tuple[PlanDoc, bool]:
    """Create or replace a plan as the caller may (`policy.ensure_plan_writer`,
    `policy.ensure_may_replace`). Returns the plan and whether it is new."""
    policy.ensure_plan_writer(caller, doc)
    _check_places(doc)
    row = await session.get(Plan, doc.id)
    if row is not None:
        policy.ensure_may_replace(caller, row, queries.stored_plan(row))
    return doc, await _store(session, row, doc, by=caller.sub)


async def load_plan_file(session: AsyncSession, doc: PlanDoc, *, source: str) -> bool:
    """Create or replace a plan from a plan file (`ishc-reporting plans load`).
    No token is asked: whoever runs the command already holds the database's
    credentials, which is more than any token grants. Returns whether it is new."""
    _check_places(doc)
    return await _store(session, await session.get(Plan, doc.id), doc, by=source)


def _check_places(doc: PlanDoc) -> None:
    if doc.province and admin_units.current_province(doc.province) is None:
        raise invalid("province", f"{doc.province} is not a current province code")
    if doc.legacy_province and admin_units.legacy_province(doc.legacy_province) is None:
        raise invalid("legacy_province", f"{doc.legacy_province} is not a legacy province code")
    if not legacy_province_fits(doc):
        raise invalid(
            "legacy_province",
            f"old province {doc.legacy_province} was not merged into province {doc.province}",
        )


async def _store(session: AsyncSession, row: Plan | None, doc: PlanDoc, *, by: str) -> bool:
    created = row is None
    body = doc.model_dump_json(by_alias=True, exclude_none=True)
    if row is None:
        row = Plan(
            id=doc.id,
            scope=doc.scope,
            province=doc.province,
            period_start=doc.period_start,
            period_end=doc.period_end,
            body=body,
            updated_at=utcnow(),
            updated_by=by,
        )
    else:
        row.scope, row.province, row.body = doc.scope, doc.province, body
        row.period_start, row.period_end = doc.period_start, doc.period_end
        row.version += 1
        row.updated_at, row.updated_by = utcnow(), by
    session.add(row)
    await session.commit()
    return created


async def list_plans(session: AsyncSession, caller: Caller, province: str | None) -> list[PlanDoc]:
    policy.ensure_collection(caller, province)
    plans = await queries.load_plans(session)
    visible = [p for p in plans if policy.may_read_plan(caller, p.scope, p.province)]
    if province is not None:
        visible = [p for p in visible if p.province == province]
    return sorted(visible, key=lambda p: (p.scope, p.province or "", p.period_start, p.id))


async def get_plan(session: AsyncSession, caller: Caller, plan_id: str) -> PlanDoc:
    policy.require_reader(caller)
    row = await queries.plan_row(session, plan_id)
    if row is None or not policy.may_read_plan(caller, row.scope, row.province):
        raise not_found("plan")
    doc = queries.stored_plan(row)
    if doc is None:  # stored before today's rules and no longer valid: as if absent
        raise not_found("plan")
    return doc


async def plan_progress(
    session: AsyncSession, caller: Caller, plan_id: str, as_of: date | None
) -> dict[str, Any]:
    """A plan the caller may read, every target measured on `as_of` (default:
    today) over its own window and territory: a plan past its end is reviewed
    here, each target read on its deadline."""
    plan = await get_plan(session, caller, plan_id)
    day = as_of or today()
    return {"as_of": day, **await plan_progress_unchecked(session, plan, day)}
