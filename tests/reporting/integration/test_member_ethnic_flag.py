"""The ethnic-minority flag in reporting's member facts (ADR 0007): it lands from
member joined/updated events, follows a later update (erasure clears it), and,
as every member fact, is never overwritten by an older event arriving late.
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ishc_contracts import registry_events as re
from ishc_platform.db import Database
from ishc_reporting.models import MemberFact
from tests.reporting.conftest import Registry, feeder

pytestmark = pytest.mark.integration
JOINED = date(2024, 3, 1)


def facts(member_id: str, club_id: str, *, ethnic_minority: bool) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "club_id": club_id,
        "sex": re.Sex.FEMALE,
        "birth_year": 1950,
        "poverty_status": re.PovertyStatus.POOR,
        "ethnic_minority": ethnic_minority,
        "joined_on": JOINED,
    }


def joined(registry: Registry, member_id: str, club_id: str, *, ethnic_minority: bool) -> None:
    payload = re.MemberJoined(**facts(member_id, club_id, ethnic_minority=ethnic_minority))
    registry.emit("member.joined", member_id, "86", payload)


def updated(registry: Registry, member_id: str, club_id: str, *, ethnic_minority: bool) -> None:
    payload = re.MemberUpdated(**facts(member_id, club_id, ethnic_minority=ethnic_minority))
    registry.emit("member.updated", member_id, "86", payload)


async def flags(db: Database) -> dict[str, bool]:
    async with db.sessions() as session:
        rows = await session.exec(MemberFact.__table__.select())  # type: ignore[attr-defined,call-overload]
        return {row.member_id: row.ethnic_minority for row in rows}


async def test_the_flag_lands_and_follows_an_update(
    reporting_db: Database, registry: Registry
) -> None:
    club = registry.club("29623", date(2018, 3, 15))
    joined(registry, "m-dt", club, ethnic_minority=True)
    joined(registry, "m-kinh", club, ethnic_minority=False)
    await feeder(reporting_db).apply_log(registry.log)
    assert await flags(reporting_db) == {"m-dt": True, "m-kinh": False}

    applied = len(registry.log)
    updated(registry, "m-dt", club, ethnic_minority=False)  # e.g. the registry's erasure
    updated(registry, "m-kinh", club, ethnic_minority=True)  # a correction
    await feeder(reporting_db).apply_log(registry.log[applied:])
    assert await flags(reporting_db) == {"m-dt": False, "m-kinh": True}


async def test_an_older_event_arriving_late_never_overwrites_the_flag(
    reporting_db: Database, registry: Registry
) -> None:
    club = registry.club("29623", date(2018, 3, 15))
    joined(registry, "m-1", club, ethnic_minority=True)
    updated(registry, "m-1", club, ethnic_minority=False)
    first, second = registry.log[1], registry.log[2]
    await feeder(reporting_db).apply_log([registry.log[0], second])
    await feeder(reporting_db).apply_log([first])  # the join, late
    assert await flags(reporting_db) == {"m-1": False}


async def test_a_departure_first_then_the_join_fills_the_flag(
    reporting_db: Database, registry: Registry
) -> None:
    club = registry.club("29623", date(2018, 3, 15))
    joined(registry, "m-1", club, ethnic_minority=True)
    registry.leave("m-1", club, "86", date(2025, 1, 1))
    await feeder(reporting_db).apply_log([registry.log[0], registry.log[2]])
    assert await flags(reporting_db) == {"m-1": False}  # a row with the default
    await feeder(reporting_db).apply_log([registry.log[1]])
    assert await flags(reporting_db) == {"m-1": True}


async def test_events_written_without_the_flag_read_false(
    reporting_db: Database, registry: Registry
) -> None:
    club = registry.club("29623", date(2018, 3, 15))
    joined(registry, "m-old", club, ethnic_minority=True)
    del registry.log[1]["data"]["ethnic_minority"]  # as published before ADR 0007
    await feeder(reporting_db).apply_log(registry.log)
    assert await flags(reporting_db) == {"m-old": False}
