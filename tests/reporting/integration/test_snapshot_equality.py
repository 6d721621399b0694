"""Past dates read from the monthly snapshots equal a cold computation from the
facts (ADR 0008), on random histories, SQLite and PostgreSQL: events applied
in any order, part of them after the snapshots were built (late data, dated
in the past), with or without the snapshot job catching up since.

The history spans June 2027 to March 2028: a year's turn (members born in
1967 and 1968 turn 60 on it, and 1972–73 turn 55), and 29 February 2028."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, update
from sqlmodel import select

from ishc_contracts import registry_events as re
from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform.admin_units import Boundary
from ishc_platform.clock import set_clock_start
from ishc_platform.db import Database
from ishc_platform.migrate import upgrade
from ishc_reporting.domain import placement
from ishc_reporting.domain.indicators import default_period_start
from ishc_reporting.domain.snapshots import last_complete_month_end, month_ends
from ishc_reporting.models import ClubTouch, MemberFact, RollupSnapshot, metadata
from ishc_reporting.queries import indicators, snapshots, warm
from ishc_reporting.queries.clubs import active_clubs
from ishc_reporting.queries.facts import ClubRecord, computed_clubs
from ishc_reporting.service.snapshots import keep_snapshots
from tests.reporting.conftest import (
    Finance,
    Health,
    Registry,
    feeder,
    finance_feeder,
    health_feeder,
)

TODAY = datetime(2028, 3, 10, 3, 0, tzinfo=UTC)  # 10/03/2028 in Vietnam
FIRST_DAY = date(2027, 6, 1)
LAST_DAY = date(2028, 3, 9)
COMMUNES = ["29623", "29410", "28756", "29719"]  # Vĩnh Long
AGES = (60, 55)


@dataclass
class Operation:
    kind: str
    club: int
    day: date
    number: int  # a member's index, a count or a flag, as the kind needs


KINDS = ["members", "members", "leave", "meeting", "meeting", "activity", "board",
         "dissolve", "relocate", "update", "fund", "loan", "check", "session"]  # fmt: skip
days = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
operations = st.builds(
    Operation,
    kind=st.sampled_from(KINDS),
    club=st.integers(0, 2),
    day=days,
    number=st.integers(0, 7),
)
histories = st.tuples(
    st.lists(days, min_size=1, max_size=3),  # the clubs' founding days
    st.lists(operations, min_size=1, max_size=30),
    st.randoms(use_true_random=False),
    st.booleans(),  # whether the job runs again after the late events
)


def events_of(founded: list[date], ops: list[Operation]) -> list[tuple[str, dict[str, Any]]]:
    """The history as (source, envelope), in the order it happened."""
    registry, finance, health = Registry(), Finance(), Health()
    clubs = [
        registry.club(COMMUNES[n % len(COMMUNES)], day, name=f"CLB {n}")
        for n, day in enumerate(founded)
    ]
    members: list[tuple[str, str, date]] = []  # (member, club, joined on)
    funds: dict[str, str] = {}
    birth_years = [1966, 1967, 1968, 1972, 1973]
    for op in ops:
        club = clubs[op.club % len(clubs)]
        someone = members[op.number % len(members)] if members else None
        if op.kind == "members":
            for member in registry.members(
                club, "86", 1 + op.number % 3, joined_on=op.day,
                sex="female" if op.number % 2 else "male",
                birth_year=birth_years[op.number % len(birth_years)],
                poverty=["poor", "none", "near_poor"][op.number % 3],
                volunteer=op.number == 0,
            ):  # fmt: skip
                members.append((member, club, op.day))
        elif op.kind == "leave" and someone:
            registry.leave(someone[0], someone[1], "86", max(op.day, someone[2]))
        elif op.kind == "meeting":
            registry.meeting(club, "86", op.day, supported=op.number % 3)
        elif op.kind == "activity":
            area = list(re.ActivityArea)[op.number % len(re.ActivityArea)]
            registry.activity(club, "86", area.value, op.day)
        elif op.kind == "board":
            chosen = [m for m, c, _ in members if c == club][: 5 if op.number % 2 else 3]
            registry.board(club, "86", op.day, chosen)
        elif op.kind == "dissolve" and op.number == 0:
            registry.dissolve(club, "86", op.day)
        elif op.kind == "relocate":
            registry.emit("club.relocated", club, "86", re.ClubRelocated(
                club_id=club, commune_code=COMMUNES[op.number % len(COMMUNES)],
                relocated_on=op.day,
            ))  # fmt: skip
        elif op.kind == "update" and someone:
            registry.emit("member.updated", someone[0], "86", re.MemberUpdated(
                member_id=someone[0], club_id=someone[1], sex=re.Sex.FEMALE,
                birth_year=birth_years[op.number % len(birth_years)],
                poverty_status=re.PovertyStatus.POOR, joined_on=someone[2],
            ))  # fmt: skip
        elif op.kind == "fund":
            kind = "income" if op.number % 2 else "activity"
            funds.setdefault(f"{club}:{kind}", finance.fund(club, "86", kind, op.day))
        elif op.kind == "loan" and someone and f"{someone[1]}:income" in funds:
            finance.lend(
                funds[f"{someone[1]}:income"], someone[1], "86", someone[0],
                principal=1_000_000 * (1 + op.number), on=op.day, instalments=6,
                interest=10_000,
            )  # fmt: skip
        elif op.kind == "check" and someone:
            health.check(someone[0], someone[1], "86", op.day)
        elif op.kind == "session":
            health.session(club, "86", op.day)
    return (
        [("registry", e) for e in registry.log]
        + [("finance", e) for e in finance.log]
        + [("health", e) for e in health.log]
    )


async def apply(db: Database, events: list[tuple[str, dict[str, Any]]]) -> None:
    feeders = {"registry": feeder(db), "finance": finance_feeder(db), "health": health_feeder(db)}
    for source, envelope in events:
        await feeders[source].apply_log([envelope])


def ordered(records: list[ClubRecord]) -> list[ClubRecord]:
    return sorted(records, key=lambda r: r.club_id)


async def check_history(url: str, history: tuple[Any, ...]) -> None:
    founded, ops, rng, catch_up = history
    events = events_of(founded, ops)
    # Some events arrive late: after the snapshots were built, in any order.
    late = [e for e in events if rng.random() < 0.3]
    early = [e for e in events if not any(e is x for x in late)]
    rng.shuffle(late)
    db = Database(url)
    try:
        async with db.sessions() as session:
            connection = await session.connection()
            for table in reversed(metadata.sorted_tables):
                if table.name != "projection_state":  # its one row is the migration's
                    await connection.execute(delete(table))
            await session.commit()
        await apply(db, early)
        await keep_snapshots(db, months_to_build=100)
        await apply(db, late)
        if catch_up:
            await keep_snapshots(db, months_to_build=100)
        async with db.sessions() as session:
            for month_end in month_ends(FIRST_DAY, last_complete_month_end(LAST_DAY)):
                start = default_period_start(month_end)
                for age in AGES:
                    for provinces in (None, {"86"}):
                        read = await active_clubs(
                            session, as_of=month_end, period_start=start, older_age=age,
                            provinces=provinces,
                        )  # fmt: skip
                        cold = await computed_clubs(
                            session, as_of=month_end, period_start=start, older_age=age,
                            provinces=provinces,
                        )  # fmt: skip
                        assert ordered(read) == ordered(cold), (month_end, age, provinces)
                built = await snapshots.month_built(session, month_end, DEFAULT_OLDER_AGE)
                await check_stored_rollups(session, month_end, must_be_stored=catch_up and built)
    finally:
        await db.dispose()


async def check_stored_rollups(session: Any, month_end: date, *, must_be_stored: bool) -> None:
    """A month end's stored roll-ups, when the pages would read them, equal the
    roll-ups of every club computed cold from the facts; once the job has caught
    up with the late events, every month it has built has them."""
    start = default_period_start(month_end)
    cold_records = await computed_clubs(
        session, as_of=month_end, period_start=start, older_age=DEFAULT_OLDER_AGE
    )
    for boundary in Boundary:
        q = indicators.make_query(month_end, boundary, None, None)
        every = placement.provinces(boundary)
        for grouping, communes, groups in (
            (*indicators._province_grouping(q, [], dict.fromkeys(u.code for u in every)),
             {u.code for u in every}),
            (*indicators._national_grouping(q, [], []), {warm.NATION}),
        ):  # fmt: skip
            stored = await snapshots.stored_rollups(
                session, month_end, start, LAST_DAY, boundary=boundary,
                per_province=grouping.per_province, fingerprint=grouping.fingerprint,
            )  # fmt: skip
            if stored is None:
                assert not must_be_stored, (month_end, boundary, grouping.per_province)
                continue
            cold = warm.roll_up_groups(
                {DEFAULT_OLDER_AGE: {r.club_id: r for r in cold_records}},
                grouping, groups, communes,
            )  # fmt: skip
            assert (stored.rollups, stored.unplaced) == cold, (month_end, boundary)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
def test_a_past_date_from_the_snapshots_equals_the_facts(
    database_url: str, history: tuple[Any, ...]
) -> None:
    set_clock_start(TODAY)
    upgrade("reporting", database_url)
    asyncio.run(check_history(database_url, history))


def one_club_two_members() -> tuple[Any, ...]:
    """One club founded 01/06/2027, two members joining 01/07/2027, the job
    caught up (a fresh random source each time: the history draws from it)."""
    return ([date(2027, 6, 1)], [Operation("members", 0, date(2027, 7, 1), 1)],
            random.Random(1), True)  # fmt: skip


def test_a_month_end_reads_its_snapshot_and_a_changed_club_afresh(database_url: str) -> None:
    """The equality above is not two cold computations agreeing: a built month
    is read from its snapshot (a fact changed behind the projection's back does
    not show), until the club is marked changed, when it is computed afresh."""
    set_clock_start(TODAY)
    upgrade("reporting", database_url)
    february = date(2028, 2, 29)

    async def members_on_february_29(session: Any) -> tuple[int, int]:
        start = default_period_start(february)
        (read,) = await active_clubs(session, as_of=february, period_start=start, older_age=60)
        (cold,) = await computed_clubs(session, as_of=february, period_start=start, older_age=60)
        return read.facts.members, cold.facts.members

    async def check() -> None:
        await check_history(database_url, one_club_two_members())
        db = Database(database_url)
        try:
            async with db.sessions() as session:
                assert await snapshots.month_built(session, february, 60)
                assert not await snapshots.month_built(session, date(2028, 3, 31), 60)
                assert await members_on_february_29(session) == (2, 2)
                connection = await session.connection()
                await connection.execute(update(MemberFact).values(left_on=date(2027, 8, 1)))
                await session.commit()
                assert await members_on_february_29(session) == (2, 0)  # the snapshot's
                connection = await session.connection()
                await connection.execute(update(ClubTouch).values(changed_from=date(2027, 8, 1)))
                await session.commit()
                assert await members_on_february_29(session) == (0, 0)  # afresh
            await keep_snapshots(db)
            async with db.sessions() as session:
                assert await snapshots.changed_since_snapshot(session, february) == set()
                assert await members_on_february_29(session) == (0, 0)  # rewritten
        finally:
            await db.dispose()

    asyncio.run(check())


def test_a_month_end_page_reads_its_stored_rollups_while_they_hold(database_url: str) -> None:
    """The stored roll-ups are what a month end's page shows (a figure changed
    behind the projection's back shows), until a club is marked changed or the
    plans change: then the page rolls the clubs up again, and the job stores
    the month again."""
    set_clock_start(TODAY)
    upgrade("reporting", database_url)
    february = date(2028, 2, 29)
    q = indicators.make_query(february, Boundary.CURRENT, None, None)

    async def vinh_long_members(session: Any) -> tuple[int, int]:
        table = await indicators.province_table_unchecked(session, q)
        nation = await indicators.national_unchecked(session, q)
        row = next(r for r in table["provinces"] if r["code"] == "86")
        return row["indicators"]["members"], nation["indicators"]["members"]

    async def tamper(session: Any, **values: Any) -> None:
        """Forty members more in every stored roll-up of February that has any."""
        rows = (await session.exec(select(RollupSnapshot))).all()
        connection = await session.connection()
        for row in rows:
            stored = snapshots.decode_rollups(row.body)
            for rollup in stored.rollups.values():
                rollup.members += 40 if rollup.members else 0
            await connection.execute(
                update(RollupSnapshot)
                .where(
                    RollupSnapshot.month_end == row.month_end,  # type: ignore[arg-type]
                    RollupSnapshot.boundary == row.boundary,  # type: ignore[arg-type]
                    RollupSnapshot.per_province == row.per_province,  # type: ignore[arg-type]
                    RollupSnapshot.fingerprint == row.fingerprint,  # type: ignore[arg-type]
                )
                .values(body=snapshots.encode_rollups(stored), **values)
            )
        await session.commit()

    async def check() -> None:
        await check_history(database_url, one_club_two_members())
        db = Database(database_url)
        try:
            async with db.sessions() as session:
                assert await vinh_long_members(session) == (2, 2)
                await tamper(session)
                assert await vinh_long_members(session) == (42, 42)  # the stored rows'
                # A club marked changed on or before the month end: rolled up again.
                connection = await session.connection()
                await connection.execute(update(ClubTouch).values(changed_from=date(2028, 2, 1)))
                await session.commit()
                assert await vinh_long_members(session) == (2, 2)
            await keep_snapshots(db)  # rewrites the club's months, stores them again
            async with db.sessions() as session:
                fingerprint = indicators.plans_fingerprint([])
                assert february in await snapshots.rollup_months(session, fingerprint)
                assert await vinh_long_members(session) == (2, 2)
                # Rows stored with other plans are not read.
                await tamper(session, fingerprint="0" * 64)
                assert await vinh_long_members(session) == (2, 2)
        finally:
            await db.dispose()

    asyncio.run(check())
