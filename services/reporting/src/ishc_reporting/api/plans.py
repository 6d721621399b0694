"""Plan routes: they only translate HTTP to `service/plans.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from ishc_platform.deps import CurrentCaller, SessionDep
from ishc_platform.errors import invalid, problems
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate
from ishc_reporting import schemas
from ishc_reporting.domain.plans import PLAN_ID_PATTERN, PlanDoc
from ishc_reporting.service import plans as service

router = APIRouter(prefix="/v1", tags=["plans"])
PlanId = Annotated[str, Path(pattern=PLAN_ID_PATTERN, description="a plan's id")]


@router.get(
    "/plans",
    response_model=None,
    # Documented, not re-serialised: each plan reads as written, absent fields absent.
    responses={200: {"model": Page[PlanDoc]}, **problems(401, 403, 422)},
)
async def list_plans(
    session: SessionDep,
    caller: CurrentCaller,
    province: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
) -> dict[str, Any]:
    plans = await service.list_plans(session, caller, province)
    return {
        "items": [p.model_dump(mode="json", by_alias=True, exclude_none=True) for p in plans],
        "next_cursor": None,
    }


@router.get(
    "/plans/{plan_id}",
    response_model=PlanDoc,
    response_model_exclude_none=True,
    responses=problems(401, 403, 404, 422),
)
async def get_plan(session: SessionDep, caller: CurrentCaller, plan_id: PlanId) -> dict[str, Any]:
    plan = await service.get_plan(session, caller, plan_id)
    return plan.model_dump(mode="json", by_alias=True, exclude_none=True)


@router.get(
    "/plans/{plan_id}/progress",
    response_model=schemas.PlanProgressAsOf,
    responses=problems(401, 403, 404, 422),
)
async def plan_progress(
    session: SessionDep,
    caller: CurrentCaller,
    plan_id: PlanId,
    as_of: Annotated[
        CalendarDate | None,
        Query(description="the date to measure on (default: today in Vietnam)"),
    ] = None,
) -> dict[str, Any]:
    """Every target of the plan over its own window, on the map and with the
    commune count the plan was written for: the value so far (or on the
    deadline, once passed), the value expected by now on a straight path from
    the plan's baseline, and met, missed, on track or behind."""
    result: dict[str, Any] = schemas.jsonable(
        await service.plan_progress(session, caller, plan_id, as_of)
    )
    return result


@router.put(
    "/plans/{plan_id}",
    response_model=PlanDoc,
    response_model_exclude_none=True,
    responses={201: {"description": "Created", "model": PlanDoc}, **problems(401, 403, 404, 422)},
)
async def put_plan(
    session: SessionDep,
    caller: CurrentCaller,
    plan_id: PlanId,
    plan: Annotated[PlanDoc, Body()],
    response: Response,
) -> dict[str, Any]:
    """Create or replace a plan (national tokens: any; province tokens: their own)."""
    if plan.id != plan_id:
        raise invalid("id", "the plan's id must match the path")
    doc, created = await service.put_plan(session, caller, plan)
    response.status_code = 201 if created else 200
    return doc.model_dump(mode="json", by_alias=True, exclude_none=True)
