"""HTTP routes of a member's health insurance (BHYT): they only translate HTTP to
`service.insurance`."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ishc_health import schemas
from ishc_health.api.http import MemberId, SealerDep
from ishc_health.service import insurance as service
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems

router = APIRouter(prefix="/v1", tags=["health insurance"])


def card_out(view: service.CardView) -> schemas.InsuranceOut:
    row = view.row
    return schemas.InsuranceOut(
        id=row.id,
        member_id=row.member_id,
        club_id=row.club_id,
        province=view.province,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        card_number_masked=view.masked,
        covers_today=view.covers_today,
    )


@router.post(
    "/members/{member_id}/insurance",
    status_code=201,
    response_model=schemas.InsuranceOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_insurance(
    member_id: MemberId,
    body: schemas.InsuranceIn,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
    response: Response,
) -> schemas.InsuranceOut:
    """The member's health insurance card (thẻ BHYT) valid `valid_from`..`valid_to`
    (both included). The card's number is sealed and answered only masked."""
    view = await service.record_insurance(session, caller, member_id, body, sealer)
    response.headers["Location"] = f"/v1/members/{view.row.member_id}/insurance"
    return card_out(view)


@router.get(
    "/members/{member_id}/insurance",
    response_model=schemas.InsurancePage,
    responses=problems(401, 403, 404, 422),
)
async def insurance_history(
    member_id: MemberId,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.InsurancePage:
    """The member's cards by start of validity, and whether one covers today
    (province tokens of the member's province only)."""
    found = await service.history(session, caller, member_id, sealer, limit=limit, cursor=cursor)
    return schemas.InsurancePage(
        items=[card_out(v) for v in found.cards],
        next_cursor=found.next_cursor,
        member_id=found.member.member_id,
        as_of=found.as_of,
        covered_today=found.covered_today,
    )
