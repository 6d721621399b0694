"""Event handlers of the reporting service: the registry's events become facts.

The handler runs inside the inbox consumer's transaction (an event already
applied never comes back here). It tolerates reordering across aggregates and,
within one, keeps what the newest event (by `sequence`) said of each concern.
Members arrive in thousands, so their facts are read and written set-wise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import insert, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Event
from ishc_contracts import registry_events as re
from ishc_platform import admin_units
from ishc_platform.clock import utcnow
from ishc_platform.service_app import Subscription
from ishc_reporting.models import (
    ActivityFact,
    BoardState,
    ClubFact,
    ClubLocation,
    ClubTouch,
    MeetingFact,
    MemberFact,
    ProjectionState,
    ProvinceFeed,
    ReportingTable,
)

type MemberEvent = re.MemberJoined | re.MemberUpdated | re.MemberLeft

_MEMBER_FACTS = (
    "club_id",
    "sex",
    "birth_year",
    "birth_date",
    "poverty_status",
    "ethnic_minority",
    "is_volunteer",
    "joined_on",
)


async def apply_registry_events(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    members: list[tuple[Event[BaseModel], MemberEvent]] = []
    for event in events:
        payload = event.payload
        if isinstance(payload, re.MemberJoined | re.MemberUpdated | re.MemberLeft):
            members.append((event, payload))
        elif isinstance(payload, re.ClubPlacement):
            await _club_placed(session, payload, event.envelope.sequence)
        elif isinstance(payload, re.ClubDissolved):
            await _club_dissolved(session, payload, event.envelope.sequence)
        elif isinstance(payload, re.BoardChanged):
            session.add(
                BoardState(
                    club_id=payload.club_id,
                    effective_on=payload.effective_on,
                    complete=payload.complete,
                    sequence=event.envelope.sequence,
                )
            )
        elif isinstance(payload, re.MeetingHeld):
            await _insert_once(
                session,
                MeetingFact(
                    meeting_id=payload.meeting_id,
                    club_id=payload.club_id,
                    held_on=payload.held_on,
                    attendance=payload.attendance,
                    hardship_cases_chosen=payload.hardship_cases_chosen,
                    hardship_cases_supported=payload.hardship_cases_supported,
                ),
            )
        elif isinstance(payload, re.ActivityHeld):
            await _insert_once(
                session,
                ActivityFact(
                    activity_id=payload.activity_id,
                    club_id=payload.club_id,
                    area=payload.area.value,
                    held_on=payload.held_on,
                    participants=payload.participants,
                ),
            )
    if members:
        await _apply_members(session, members)
    await _note_batch(session, events)


async def _insert_once(session: AsyncSession, row: MeetingFact | ActivityFact) -> None:
    # Meetings and activities are created once; a second event for the same id
    # (a re-sent one has another envelope id) changes nothing.
    key = row.meeting_id if isinstance(row, MeetingFact) else row.activity_id
    if await session.get(type(row), key) is None:
        session.add(row)


async def _club_placed(session: AsyncSession, payload: re.ClubPlacement, sequence: int) -> None:
    club = await session.get(ClubFact, payload.club_id) or ClubFact(club_id=payload.club_id)
    if isinstance(payload, re.ClubRelocated):
        session.add(
            ClubLocation(
                club_id=payload.club_id,
                valid_from=payload.relocated_on,
                commune_code=payload.commune_code,
                legacy_commune_code=payload.legacy_commune_code,
                relocation=True,
                sequence=sequence,
            )
        )
    elif isinstance(payload, re.ClubRegistered | re.ClubUpdated):
        await _set_first_location(session, payload, sequence)
    if sequence > club.placement_sequence:
        if isinstance(payload, re.ClubRegistered | re.ClubUpdated):
            club.founded_on = payload.founded_on
        club.name = payload.name or club.name
        club.commune_code = payload.commune_code
        club.legacy_commune_code = payload.legacy_commune_code
        club.province = admin_units.province_of_commune(payload.commune_code)
        club.placement_sequence = sequence
    session.add(club)


async def _set_first_location(
    session: AsyncSession, payload: re.ClubRegistered | re.ClubUpdated, sequence: int
) -> None:
    """Registration places the club from its founding; an update corrects that
    first place, unless the club has moved since (then the update describes
    where it is now, which its relocation already says)."""
    rows = (
        await session.exec(select(ClubLocation).where(ClubLocation.club_id == payload.club_id))
    ).all()
    first = next((r for r in rows if not r.relocation), None)
    if first is not None and first.sequence > sequence:
        return
    moved = any(r.relocation for r in rows)
    if first is None:
        first = ClubLocation(
            club_id=payload.club_id,
            valid_from=payload.founded_on,
            commune_code=payload.commune_code,
            legacy_commune_code=payload.legacy_commune_code,
            relocation=False,
            sequence=sequence,
        )
    elif not moved:
        first.commune_code = payload.commune_code
        first.legacy_commune_code = payload.legacy_commune_code
    first.valid_from = payload.founded_on
    first.sequence = sequence
    session.add(first)


async def _club_dissolved(session: AsyncSession, payload: re.ClubDissolved, sequence: int) -> None:
    club = await session.get(ClubFact, payload.club_id) or ClubFact(club_id=payload.club_id)
    if sequence > club.status_sequence:
        club.dissolved_on = payload.dissolved_on
        club.status_sequence = sequence
    session.add(club)


async def _apply_members(
    session: AsyncSession, events: list[tuple[Event[BaseModel], MemberEvent]]
) -> None:
    ids = sorted({payload.member_id for _, payload in events})
    existing = {
        row.member_id: row
        for row in (
            await session.exec(select(MemberFact).where(col(MemberFact.member_id).in_(ids)))
        ).all()
    }
    states: dict[str, dict[str, Any]] = {
        member_id: row.model_dump() for member_id, row in existing.items()
    }
    for event, payload in events:
        sequence = event.envelope.sequence
        member_id = payload.member_id
        state = states.setdefault(
            member_id,
            {
                "member_id": member_id,
                "club_id": payload.club_id,
                "province": event.envelope.province,
                "facts_sequence": 0,
                "status_sequence": 0,
                "left_on": None,
                **dict.fromkeys(_MEMBER_FACTS[1:]),
                "ethnic_minority": False,
                "is_volunteer": False,
            },
        )
        if isinstance(payload, re.MemberLeft):
            if sequence > state["status_sequence"]:
                state.update(left_on=payload.left_on, status_sequence=sequence)
        elif sequence > state["facts_sequence"]:  # joined or updated
            facts = {f: getattr(payload, f) for f in _MEMBER_FACTS}
            facts["sex"] = payload.sex.value
            facts["poverty_status"] = payload.poverty_status.value
            state.update(facts, facts_sequence=sequence, province=event.envelope.province)
    new = [s for member_id, s in states.items() if member_id not in existing]
    changed = [s for member_id, s in states.items() if member_id in existing]
    if new:
        await session.exec(insert(MemberFact), params=new)
    if changed:
        await session.exec(update(MemberFact), params=changed)


async def _note_batch(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """When each province last sent data; one more revision of the projection,
    and the clubs this batch touched, so caches recompute only those."""
    latest: dict[str, datetime] = {}
    counts: dict[str, int] = {}
    for event in events:
        province, at = event.envelope.province, event.envelope.time
        latest[province] = max(latest.get(province, at), at)
        counts[province] = counts.get(province, 0) + 1
    for province, at in latest.items():
        feed = await session.get(ProvinceFeed, province)
        if feed is None:
            feed = ProvinceFeed(province=province, events=0, last_event_at=at)
        feed.events += counts[province]
        feed.last_event_at = max(_aware(feed.last_event_at), at)
        session.add(feed)
    await session.flush()
    # An atomic increment: two replicas' batches get two revisions, in commit order.
    revision = (
        await session.exec(
            update(ProjectionState)
            .where(col(ProjectionState.id) == 1)
            .values(revision=col(ProjectionState.revision) + 1, applied_at=utcnow())
            .returning(col(ProjectionState.revision))
        )
    ).scalar_one()
    newest = max(latest.values()) if latest else None
    if newest is not None:
        await session.exec(
            update(ProjectionState)
            .where(col(ProjectionState.id) == 1)
            .where(
                or_(
                    col(ProjectionState.last_event_at).is_(None),
                    col(ProjectionState.last_event_at) < newest,
                )
            )
            .values(last_event_at=newest)
        )
    touched = sorted({c for e in events if (c := getattr(e.payload, "club_id", None))})
    if touched:
        await session.exec(
            upsert(session, ClubTouch).on_conflict_do_update(
                index_elements=["club_id"], set_={"revision": revision}
            ),
            params=[{"club_id": club_id, "revision": revision} for club_id in touched],
        )


def upsert(session: AsyncSession, model: type[ReportingTable]) -> Any:
    """An INSERT that can say ON CONFLICT, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


SUBSCRIPTIONS = (Subscription(stream=re.STREAM, handler=apply_registry_events),)
