"""HTTP routes of a member's health data: consent, checks, the health book (JSON,
the printable page, the member's own copy), the audit of its reads, and erasure.
They only translate HTTP to `service.consent`, `service.checks`,
`service.health_book` and `service.audit` (and the page to
`adapters.health_book_page`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from ishc_health import schemas
from ishc_health.adapters import health_book_page as page
from ishc_health.api.http import MemberId, SealerDep
from ishc_health.domain import checks as rules
from ishc_health.domain.consent import scopes_of
from ishc_health.models import HealthBookAccess
from ishc_health.service import audit as audit_service
from ishc_health.service import checks as check_service
from ishc_health.service import consent as consent_service
from ishc_health.service import health_book as book_service
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate

router = APIRouter(prefix="/v1", tags=["health of members"])

Reason = Annotated[
    schemas.Text,
    Query(description="why the book is read (1–500 characters), kept in the audit"),
]
MemberFilter = Annotated[str | None, Query(pattern=schemas.ID_PATTERN)]
ProvinceCode = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]
JSON_FILE = "application/json"


# -- translations ----------------------------------------------------------------------


def consent_out(view: consent_service.ConsentView) -> schemas.ConsentOut:
    row = view.row
    return schemas.ConsentOut(
        id=row.id,
        member_id=row.member_id,
        club_id=row.club_id,
        province=view.province,
        given_on=row.given_on,
        purpose=row.purpose,
        scopes=sorted(scopes_of(row.scopes)),
        recorded_by=row.recorded_by,
        standing=row.withdrawn_on is None,
        withdrawn_on=row.withdrawn_on,
        withdrawn_by=row.withdrawn_by,
    )


def check_out(view: check_service.CheckView) -> schemas.HealthCheckOut:
    row = view.row
    return schemas.HealthCheckOut(
        id=row.id,
        member_id=row.member_id,
        club_id=row.club_id,
        province=view.province,
        checked_on=row.checked_on,
        checker=row.checker,
        checker_member_id=row.checker_member_id,
        erased=row.erased_at is not None,
        external_id=row.external_id,
        recorded_by=row.recorded_by,
    )


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _difference(value: rules.Reading) -> int | str:
    return value if isinstance(value, int) else format(value, "f")


def book_check_out(entry: rules.BookEntry) -> schemas.BookCheckOut:
    check, values = entry.check, entry.check.values
    return schemas.BookCheckOut(
        id=check.check_id,
        checked_on=check.checked_on,
        checker=check.checker,
        checker_member_id=check.checker_member_id,
        station=check.station,
        erased=values is None,
        values=None
        if values is None
        else schemas.CheckValuesOut(
            systolic_mmhg=values.systolic_mmhg,
            diastolic_mmhg=values.diastolic_mmhg,
            pulse_bpm=values.pulse_bpm,
            weight_kg=_decimal(values.weight_kg),
            height_cm=_decimal(values.height_cm),
            glucose_mmol_l=_decimal(values.glucose_mmol_l),
        ),
        bmi=_decimal(entry.bmi),
        flags=schemas.CheckFlagsOut(
            blood_pressure=entry.flags.blood_pressure,
            bmi=entry.flags.bmi,
            glucose=entry.flags.glucose,
        ),
        trend={
            name: schemas.TrendOut(
                direction=trend.direction,
                difference=_difference(trend.difference),
                since=trend.since,
            )
            for name, trend in entry.trend.items()
        },
    )


def book_out(view: book_service.BookView) -> schemas.HealthBookOut:
    shown = view.shown_consent
    book = view.book
    return schemas.HealthBookOut(
        member_id=view.member.member_id,
        club_id=view.club.club_id,
        province=view.club.province,
        as_of=view.as_of,
        consent=schemas.ConsentStateOut(
            state=view.state,
            given_on=shown.given_on if shown is not None else None,
            withdrawn_on=shown.withdrawn_on if shown is not None else None,
            scopes=sorted(scopes_of(shown.scopes)) if shown is not None else [],
        ),
        hidden=view.hidden,
        audit_view=view.audit_view,
        checks=[book_check_out(e) for e in book.entries] if book is not None else [],
        twice_a_year=None
        if book is None
        else schemas.TwiceAYearOut(
            window_from=book.twice_a_year.window_from,
            window_to=book.twice_a_year.window_to,
            checks=book.twice_a_year.checks,
            required=book.twice_a_year.required,
            met=book.twice_a_year.met,
        ),
    )


def access_out(row: HealthBookAccess) -> schemas.HealthBookAccessOut:
    return schemas.HealthBookAccessOut.model_validate(row, from_attributes=True)


# -- consent ---------------------------------------------------------------------------


@router.post(
    "/members/{member_id}/consent",
    status_code=201,
    response_model=schemas.ConsentOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def give_consent(
    member_id: MemberId,
    body: schemas.ConsentIn,
    caller: CurrentCaller,
    session: SessionDep,
) -> schemas.ConsentOut:
    """Record the member's consent to the processing of their health data, with its
    purpose and scopes (province tokens of the member's province). 409 while
    another consent stands."""
    return consent_out(await consent_service.give_consent(session, caller, member_id, body))


@router.post(
    "/members/{member_id}/consent/withdraw",
    response_model=schemas.ConsentOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def withdraw_consent(
    member_id: MemberId,
    body: schemas.ConsentWithdrawalIn,
    caller: CurrentCaller,
    session: SessionDep,
) -> schemas.ConsentOut:
    """Withdraw the member's standing consent: no new check from then on, and the
    checks recorded under it are hidden from everyone but an auditor."""
    return consent_out(await consent_service.withdraw_consent(session, caller, member_id, body))


@router.get(
    "/members/{member_id}/consent",
    response_model=Page[schemas.ConsentOut],
    responses=problems(401, 403, 404, 422),
)
async def consent_history(
    member_id: MemberId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ConsentOut]:
    """The member's consents, given and withdrawn, oldest first."""
    views, next_cursor = await consent_service.history(
        session, caller, member_id, limit=limit, cursor=cursor
    )
    return Page(items=[consent_out(v) for v in views], next_cursor=next_cursor)


# -- health checks ---------------------------------------------------------------------


@router.post(
    "/members/{member_id}/health-checks",
    status_code=201,
    response_model=schemas.HealthCheckOut,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def record_check(
    member_id: MemberId,
    body: schemas.HealthCheckIn,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
    response: Response,
) -> schemas.HealthCheckOut:
    """Record a health check. Values out of range, a diastolic pressure not below
    the systolic, a future date or one before the member joined: 422 naming the
    field. A member without a standing consent covering health checks on that
    date, or who had left by then: 409 naming `member_id`. The answer repeats no
    value: read them in the health book."""
    view = await check_service.record_check(session, caller, member_id, body, sealer)
    response.headers["Location"] = f"/v1/members/{view.row.member_id}/health-book"
    return check_out(view)


@router.get(
    "/members/{member_id}/health-checks",
    response_model=Page[schemas.HealthCheckOut],
    responses=problems(401, 403, 404, 422),
)
async def list_checks(
    member_id: MemberId,
    caller: CurrentCaller,
    session: SessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.HealthCheckOut]:
    """The member's checks in date order, without their values."""
    views, next_cursor = await check_service.list_checks(
        session, caller, member_id, limit=limit, cursor=cursor
    )
    return Page(items=[check_out(v) for v in views], next_cursor=next_cursor)


# -- the health book -------------------------------------------------------------------


@router.get(
    "/members/{member_id}/health-book",
    response_model=schemas.HealthBookOut,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **problems(401, 403, 404, 422, 503),
    },
)
async def health_book(
    member_id: MemberId,
    reason: Reason,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
    format: Literal["json", "html"] = "json",
) -> Any:
    """The member's health book (sổ theo dõi sức khỏe): checks in date order with
    values, flags, BMI, the trend since the last check and the twice-a-year rule;
    `format=html` is the printable page in Vietnamese. Every read is audited with
    its `reason`."""
    action = audit_service.Action.PRINT if format == "html" else audit_service.Action.READ
    view = await book_service.read_book(
        session, caller, member_id, sealer, reason=reason, action=action
    )
    if format == "json":
        return book_out(view)
    shown = view.shown_consent
    html = page.render_html(
        page.heading(view.member.member_id, view.club, view.as_of),
        book=view.book,
        state=view.state,
        given_on=shown.given_on if shown is not None else None,
        withdrawn_on=shown.withdrawn_on if shown is not None else None,
        audit_view=view.audit_view,
    )
    name = page.file_name(view.member.member_id, view.as_of, "html")
    return Response(
        html,
        media_type=page.HTML_MEDIA_TYPE,
        headers={
            "Content-Disposition": page.content_disposition(name, inline=True),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/members/{member_id}/health-book/export",
    response_model=schemas.HealthBookExportOut,
    responses=problems(401, 403, 404, 422, 503),
)
async def export_health_book(
    member_id: MemberId,
    reason: Reason,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
) -> Response:
    """The member's own copy (right of access): their consents and health book, as
    a JSON file to hand over. Audited with its `reason`."""
    found = await book_service.export_book(session, caller, member_id, sealer, reason=reason)
    view = found.view
    document = schemas.HealthBookExportOut(
        exported_at=found.exported_at,
        exported_by=caller.sub,
        consents=[
            consent_out(consent_service.ConsentView(row, view.club.province))
            for row in view.consents
        ],
        book=book_out(view),
    )
    name = page.file_name(view.member.member_id, view.as_of, "json")
    return Response(
        document.model_dump_json(indent=2),
        media_type=JSON_FILE,
        headers={
            "Content-Disposition": page.content_disposition(name),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/health-book-accesses",
    response_model=Page[schemas.HealthBookAccessOut],
    responses=problems(401, 403, 422),
)
async def health_book_accesses(
    caller: CurrentCaller,
    session: SessionDep,
    province: ProvinceCode = None,
    member_id: MemberFilter = None,
    date_from: Annotated[
        CalendarDate | None, Query(alias="from", description="first day (Vietnam)")
    ] = None,
    date_to: Annotated[CalendarDate | None, Query(alias="to", description="last day")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.HealthBookAccessOut]:
    """The audit of health books: who read, printed, exported or erased whose health
    data, when and why, newest first (province tokens, their provinces)."""
    rows, next_cursor = await audit_service.accesses(
        session,
        caller,
        province=province,
        member_id=member_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[access_out(r) for r in rows], next_cursor=next_cursor)


# -- erasure ---------------------------------------------------------------------------


@router.post(
    "/members/{member_id}/health-data/erase",
    response_model=schemas.HealthDataErasureOut,
    responses=problems(401, 403, 404, 422),
)
async def erase_health_data(
    member_id: MemberId,
    body: schemas.HealthDataErasureIn,
    caller: CurrentCaller,
    session: SessionDep,
) -> schemas.HealthDataErasureOut:
    """Erase the member's clinical values on request (PDPL 91/2025): every check's
    values, insurance card numbers and notes of visits to the member. The checks'
    dates stay as anonymous counts. Idempotent; every request is audited."""
    done = await book_service.erase_health_data(session, caller, member_id, reason=body.reason)
    return schemas.HealthDataErasureOut(
        member_id=done.member.member_id,
        club_id=done.club.club_id,
        province=done.club.province,
        checks_kept=done.checks_kept,
        checks_erased=done.checks_erased,
        insurance_cards_erased=done.insurance_cards_erased,
        visit_notes_erased=done.visit_notes_erased,
    )
