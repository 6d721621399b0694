"""The directory applies a batch of registry events as the events say, whatever
their order inside the batch or across batches: a member who joins and leaves in
one batch is stored once with both facts, and an older event never overwrites a
newer one, in the same batch or a later one. On a real database, both kinds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

import pytest
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Envelope, new_event_id
from ishc_contracts.registry import Event
from ishc_contracts.registry_events import (
    ClubDissolved,
    ClubRegistered,
    ClubRelocated,
    MemberJoined,
    MemberLeft,
    MemberUpdated,
)
from ishc_platform.clock import utcnow
from ishc_platform.db import make_async_engine
from ishc_platform.directory import (
    DirectoryClub,
    DirectoryMember,
    apply_registry_events,
    directory_metadata,
)

pytestmark = pytest.mark.integration
PERSON = {"sex": "female", "birth_year": 1955, "poverty_status": "poor"}


def event(payload: BaseModel, sequence: int, province: str = "86") -> Event[BaseModel]:
    subject = getattr(payload, "member_id", None) or payload.club_id  # type: ignore[attr-defined]
    envelope = Envelope(
        id=new_event_id(),
        type="ishc.registry.directory.test.v1",
        source="/ishc/registry",
        time=utcnow(),
        subject=subject,
        sequence=sequence,
        province=province,
        data={},
    )
    return Event(envelope=envelope, payload=payload)


def joined(member_id: str, sequence: int) -> Event[BaseModel]:
    return event(
        MemberJoined(member_id=member_id, club_id="c-1", joined_on=date(2020, 1, 1), **PERSON),
        sequence,
    )


def apply_batches(
    url: str, *batches: Sequence[Event[BaseModel]]
) -> tuple[list[DirectoryClub], list[DirectoryMember]]:
    async def run() -> tuple[list[DirectoryClub], list[DirectoryMember]]:
        engine = make_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(directory_metadata.create_all)
        sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        for batch in batches:
            async with sessions() as session:
                await apply_registry_events(session, batch)
                await session.commit()
        async with sessions() as session:
            clubs = list((await session.exec(select(DirectoryClub))).all())
            members = list((await session.exec(select(DirectoryMember))).all())
        async with engine.begin() as connection:
            await connection.run_sync(directory_metadata.drop_all)
        await engine.dispose()
        return clubs, members

    return asyncio.run(run())


def test_a_member_who_joins_and_leaves_in_one_batch_is_stored_once_with_both(
    database_url: str,
) -> None:
    left = event(MemberLeft(member_id="m-1", club_id="c-1", left_on=date(2021, 3, 1)), 2)
    _, members = apply_batches(database_url, [joined("m-1", 1), left])
    assert [(m.member_id, m.joined_on, m.left_on) for m in members] == [
        ("m-1", date(2020, 1, 1), date(2021, 3, 1))
    ]


def test_an_older_event_never_overwrites_a_newer_one_in_the_batch_or_after(
    database_url: str,
) -> None:
    updated = event(
        MemberUpdated(
            member_id="m-1",
            club_id="c-2",
            joined_on=date(2020, 2, 1),
            is_volunteer=True,
            **PERSON,
        ),
        3,
    )
    # the update first, the join (older) after it in the same batch, and again later
    _, members = apply_batches(database_url, [updated, joined("m-1", 1)], [joined("m-1", 1)])
    (member,) = members
    assert (member.club_id, member.joined_on, member.is_volunteer, member.facts_sequence) == (
        "c-2",
        date(2020, 2, 1),
        True,
        3,
    )


def test_a_late_registration_fills_the_founding_and_keeps_the_newer_place(
    database_url: str,
) -> None:
    relocated = event(
        ClubRelocated(
            club_id="c-1",
            commune_code="29650",
            legacy_commune_code=None,
            relocated_on=date(2022, 1, 1),
        ),
        2,
    )
    registered = event(
        ClubRegistered(
            club_id="c-1",
            commune_code="29623",
            legacy_commune_code=None,
            founded_on=date(2018, 5, 1),
        ),
        1,
    )
    dissolved = event(ClubDissolved(club_id="c-1", dissolved_on=date(2024, 6, 30)), 3)
    clubs, _ = apply_batches(database_url, [relocated, dissolved], [registered])
    (club,) = clubs
    assert (club.commune_code, club.dissolved_on, club.placement_sequence) == (
        "29650",
        date(2024, 6, 30),
        2,
    )


def test_a_batch_of_thousands_is_stored_whole(database_url: str) -> None:
    # more ids than one query of stored rows takes
    batch = [joined(f"m-{i:05}", 1) for i in range(2_000)]
    _, members = apply_batches(database_url, batch, batch)
    assert len(members) == 2_000 and {m.facts_sequence for m in members} == {1}
