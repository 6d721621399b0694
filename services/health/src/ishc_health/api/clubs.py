"""HTTP routes of a club's exercise sessions and home-care visits: they only
translate HTTP to `service/`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from ishc_contracts.health_events import Beneficiary
from ishc_health import schemas
from ishc_health.api.http import ClubId, SealerDep
from ishc_health.domain.activities import SESSIONS_PER_WEEK, two_places
from ishc_health.models import ExerciseSession, HomeCareVisit
from ishc_health.service import exercise, visits
from ishc_platform.deps import CurrentCaller, Cursor, Limit, SessionDep
from ishc_platform.directory import DirectoryClub
from ishc_platform.errors import problems
from ishc_platform.pagination import Page
from ishc_platform.validation import CalendarDate

router = APIRouter(prefix="/v1", tags=["club health activities"])

DateFrom = Annotated[
    CalendarDate | None, Query(alias="from", description="first day of the period")
]
DateTo = Annotated[CalendarDate | None, Query(alias="to", description="last day of the period")]
SummaryFrom = Annotated[
    CalendarDate | None,
    Query(alias="from", description="first day (the day after the same date a year before `to`)"),
]
SummaryTo = Annotated[CalendarDate | None, Query(alias="to", description="last day (today)")]


def session_out(row: ExerciseSession, club: DirectoryClub) -> schemas.ExerciseSessionOut:
    return schemas.ExerciseSessionOut(
        id=row.id,
        club_id=row.club_id,
        province=club.province,
        held_on=row.held_on,
        participants=row.participants,
        external_id=row.external_id,
    )


def visit_fields(row: HomeCareVisit, club: DirectoryClub) -> dict[str, object]:
    member = row.beneficiary == Beneficiary.MEMBER
    return {
        "id": row.id,
        "club_id": row.club_id,
        "province": club.province,
        "volunteer_id": row.volunteer_id,
        "beneficiary": row.beneficiary,
        "beneficiary_member_id": row.beneficiary_id if member else None,
        "community_person_id": None if member else row.beneficiary_id,
        "visited_on": row.visited_on,
        "tasks": visits.task_list(row.tasks),
        "has_note": row.note_sealed is not None,
        "external_id": row.external_id,
    }


# -- exercise sessions (dưỡng sinh) ----------------------------------------------------


@router.post(
    "/clubs/{club_id}/exercise-sessions",
    status_code=201,
    response_model=schemas.ExerciseSessionOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_exercise_session(
    club_id: ClubId,
    body: schemas.ExerciseSessionIn,
    caller: CurrentCaller,
    session: SessionDep,
    response: Response,
) -> schemas.ExerciseSessionOut:
    """A session of dưỡng sinh the club held, with its number of participants."""
    row, club = await exercise.record_session(session, caller, club_id, body)
    response.headers["Location"] = f"/v1/clubs/{club.club_id}/exercise-sessions"
    return session_out(row, club)


@router.get(
    "/clubs/{club_id}/exercise-sessions",
    response_model=Page[schemas.ExerciseSessionOut],
    responses=problems(401, 403, 404, 422),
)
async def list_exercise_sessions(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.ExerciseSessionOut]:
    """The club's sessions in date order (counts: national and province tokens)."""
    rows, next_cursor, club = await exercise.list_sessions(
        session,
        caller,
        club_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        cursor=cursor,
    )
    return Page(items=[session_out(r, club) for r in rows], next_cursor=next_cursor)


@router.get(
    "/clubs/{club_id}/exercise-sessions/summary",
    response_model=schemas.ExerciseSummaryOut,
    responses=problems(401, 403, 404, 422),
)
async def exercise_summary(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    date_from: SummaryFrom = None,
    date_to: SummaryTo = None,
) -> schemas.ExerciseSummaryOut:
    """Sessions over the period against the rule of at least 3 a week (Vĩnh Long
    plan): sessions ÷ weeks the club was active in the period."""
    found = await exercise.summary(session, caller, club_id, date_from=date_from, date_to=date_to)
    rate = found.rate
    per_week = rate.per_week
    return schemas.ExerciseSummaryOut(
        club_id=found.club.club_id,
        province=found.club.province,
        date_from=found.date_from,
        date_to=found.date_to,
        active_from=rate.active_from,
        active_to=rate.active_to,
        days_active=rate.days_active,
        weeks_active=two_places(rate.weeks_active),
        sessions=rate.sessions,
        participants=rate.participants,
        sessions_per_week=two_places(per_week) if per_week is not None else None,
        rule_per_week=SESSIONS_PER_WEEK,
        meets_rule=rate.meets_rule,
    )


# -- home-care visits (chăm sóc tại nhà) ------------------------------------------------


@router.post(
    "/clubs/{club_id}/home-care-visits",
    status_code=201,
    response_model=schemas.HomeCareVisitOut,
    responses=problems(401, 403, 404, 409, 422),
)
async def record_home_care_visit(
    club_id: ClubId,
    body: schemas.HomeCareVisitIn,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
    response: Response,
) -> schemas.HomeCareVisitOut:
    """A volunteer's visit to a member or a person of the community: who, whom,
    when and what was done. The answer repeats no name and no note."""
    row, club = await visits.record_visit(session, caller, club_id, body, sealer)
    response.headers["Location"] = f"/v1/clubs/{club.club_id}/home-care-visits"
    return schemas.HomeCareVisitOut.model_validate(visit_fields(row, club))


@router.get(
    "/clubs/{club_id}/home-care-visits",
    response_model=Page[schemas.HomeCareVisitDetailOut],
    responses=problems(401, 403, 404, 422),
)
async def list_home_care_visits(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    sealer: SealerDep,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[schemas.HomeCareVisitDetailOut]:
    """The club's visits in date order, with names and notes (province tokens of
    the club's province only: visits name people)."""
    views, next_cursor, club = await visits.list_visits(
        session,
        caller,
        club_id,
        sealer,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        cursor=cursor,
    )
    return Page(
        items=[
            schemas.HomeCareVisitDetailOut.model_validate(
                {
                    **visit_fields(v.visit, club),
                    "community_person_name": v.community_person_name,
                    "note": v.note,
                }
            )
            for v in views
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/clubs/{club_id}/home-care-visits/summary",
    response_model=schemas.VisitSummaryOut,
    responses=problems(401, 403, 404, 422),
)
async def home_care_summary(
    club_id: ClubId,
    caller: CurrentCaller,
    session: SessionDep,
    date_from: SummaryFrom = None,
    date_to: SummaryTo = None,
) -> schemas.VisitSummaryOut:
    """Visits, people cared for and tasks over the period, as counts (national and
    province tokens)."""
    found = await visits.count_visits(
        session, caller, club_id, date_from=date_from, date_to=date_to
    )
    counts = found.counts
    return schemas.VisitSummaryOut(
        club_id=found.club.club_id,
        province=found.club.province,
        date_from=found.date_from,
        date_to=found.date_to,
        visits=counts.visits,
        people_cared_for=counts.people_cared_for,
        members_cared_for=counts.members_cared_for,
        community_people_cared_for=counts.community_people_cared_for,
        volunteers=counts.volunteers,
        by_task=counts.by_task,
    )
