"""Writing the projection: the statements behind reporting's event handlers.

Each concern of an aggregate keeps the sequence of the event that last set
it; an older event arriving late fills gaps and never overwrites. Members
arrive in thousands, so their facts are upserted set-wise, one statement per
batch, written per database (PostgreSQL's `jsonb_to_recordset`, SQLite's
`json_each`). Runs inside the inbox consumer's transaction, which commits.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, case, or_, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Event
from ishc_contracts import registry_events as re
from ishc_platform import admin_units
from ishc_platform.clock import utcnow
from ishc_platform.projection import set_if_newer
from ishc_reporting.domain import snapshots
from ishc_reporting.models import (
    ClubFact,
    ClubLocation,
    ProjectionState,
)

type MemberEvent = re.MemberJoined | re.MemberUpdated | re.MemberLeft

# What a membership event says of the person, as the contract defines it.
_MEMBER_FACTS = tuple(f for f in re.MemberJoined.model_fields if f != "member_id")


async def insert_new(
    session: AsyncSession,
    model: type[SQLModel],
    rows: list[dict[str, Any]],
    returning: Sequence[str] = (),
) -> list[Any]:
    """Facts stated once (meetings, activities, the finance and health facts),
    inserted set-wise: rows whose key is already stored are left as they are
    (`INSERT … ON CONFLICT DO NOTHING`). Returns the `returning` columns of the
    rows it did insert (none of a fact already there), so what is summed from
    them is summed once. Every row names the same columns.

    On PostgreSQL, through `insert_rows_postgres`; on SQLite, as one cached
    statement run for each row."""
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        return await insert_rows_postgres(connection, table, rows, returning=returning)
    insert = sqlite_insert(table).on_conflict_do_nothing()
    if not returning:
        await connection.execute(insert, rows)
        return []
    columns = (table.c[name] for name in returning)
    return list((await connection.execute(insert.returning(*columns), rows)).all())


async def insert_rows_postgres(
    connection: AsyncConnection,
    table: Table,
    rows: list[dict[str, Any]],
    *,
    on_conflict: str = "ON CONFLICT DO NOTHING",
    returning: Sequence[str] = (),
) -> list[Any]:
    """Insert `rows` (each naming the same columns) as one JSON document through
    `jsonb_to_recordset`, in a statement whose text is the same for every batch:
    a statement a row, or a VALUES list as long as the batch, cost psycopg and
    SQLAlchemy more Python than the insert. No two rows may meet the same row
    in an `ON CONFLICT … DO UPDATE`."""
    statement = _rows_into(table, tuple(rows[0]), on_conflict, tuple(returning))
    result = await connection.execute(
        statement, {"rows": json.dumps(rows, default=str, ensure_ascii=False)}
    )
    return list(result.all()) if returning else []


@functools.cache
def _rows_into(
    table: Table, columns: tuple[str, ...], on_conflict: str, returning: tuple[str, ...]
) -> Any:
    dialect = postgresql.dialect()
    record = ", ".join(f'"{c}" {table.c[c].type.compile(dialect=dialect)}' for c in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) SELECT {names}"
        f" FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({record}) {on_conflict}"
    )
    if returning:
        sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    return text(sql)


async def club_placed(session: AsyncSession, payload: re.ClubPlacement, sequence: int) -> None:
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
    set_if_newer(
        club,
        "placement_sequence",
        sequence,
        name=payload.name or club.name,
        commune_code=payload.commune_code,
        legacy_commune_code=payload.legacy_commune_code,
        province=admin_units.province_of_commune(payload.commune_code),
        # a relocation says nothing of the founding
        founded_on=getattr(payload, "founded_on", club.founded_on),
    )
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


async def club_dissolved(session: AsyncSession, payload: re.ClubDissolved, sequence: int) -> None:
    club = await session.get(ClubFact, payload.club_id) or ClubFact(club_id=payload.club_id)
    set_if_newer(club, "status_sequence", sequence, dissolved_on=payload.dissolved_on)
    session.add(club)


async def apply_members(
    session: AsyncSession, events: list[tuple[Event[BaseModel], MemberEvent]]
) -> None:
    """Upserts, no look-ups: the database keeps, per concern, whichever event has
    the higher sequence (facts from joined/updated, status from left)."""
    facts, departures = [], []
    for event, payload in events:
        row: dict[str, Any] = {
            "member_id": payload.member_id,
            "club_id": payload.club_id,
            "province": event.envelope.province,
            "facts_sequence": 0,
            "status_sequence": 0,
            "left_on": None,
            **dict.fromkeys(_MEMBER_FACTS[1:]),
            # NOT NULL flags: a departure arriving first must still insert a row.
            "is_volunteer": False,
            "ethnic_minority": False,
        }
        if isinstance(payload, re.MemberLeft):
            row.update(left_on=payload.left_on, status_sequence=event.envelope.sequence)
            departures.append(row)
        else:
            row.update({f: getattr(payload, f) for f in _MEMBER_FACTS})
            row.update(
                sex=payload.sex.value,
                poverty_status=payload.poverty_status.value,
                facts_sequence=event.envelope.sequence,
            )
            facts.append(row)
    await _upsert_rows(session, "facts", _newest(facts, "facts_sequence"))
    await _upsert_rows(session, "status", _newest(departures, "status_sequence"))


def _newest(rows: list[dict[str, Any]], sequence: str) -> list[dict[str, Any]]:
    """One row per member (a statement may touch a row once): the newest event's."""
    kept: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["member_id"] not in kept or row[sequence] > kept[row["member_id"]][sequence]:
            kept[row["member_id"]] = row
    return list(kept.values())


_MEMBER_COLUMNS = {
    "member_id": "varchar",
    "club_id": "varchar",
    "province": "varchar",
    "sex": "varchar",
    "birth_year": "int",
    "poverty_status": "varchar",
    "is_volunteer": "boolean",
    "ethnic_minority": "boolean",
    "joined_on": "date",
    "facts_sequence": "int",
    "left_on": "date",
    "status_sequence": "int",
}
_UPDATES = {
    "facts": (
        [c for c in _MEMBER_COLUMNS if c not in ("member_id", "left_on", "status_sequence")],
        "facts_sequence",
    ),
    "status": (["left_on", "status_sequence"], "status_sequence"),
}


def _member_upsert_sql(dialect: str, concern: str) -> str:
    """One statement for a whole batch: the rows travel as one JSON document
    (100 single-row upserts cost several times more). Per concern, a row is
    changed only by an event with a higher sequence."""
    columns = ", ".join(_MEMBER_COLUMNS)
    if dialect == "postgresql":
        record = ", ".join(f"{c} {t}" for c, t in _MEMBER_COLUMNS.items())
        source = f"SELECT {columns} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({record})"
    else:
        picks = ", ".join(f"json_extract(value, '$.{c}')" for c in _MEMBER_COLUMNS)
        source = f"SELECT {picks} FROM json_each(:rows) WHERE true"  # WHERE: SQLite's upsert rule
    updated, sequence = _UPDATES[concern]
    assignments = ", ".join(f"{c} = excluded.{c}" for c in updated)
    return (
        f"INSERT INTO member_fact ({columns}) {source}"
        f" ON CONFLICT (member_id) DO UPDATE SET {assignments}"
        f" WHERE member_fact.{sequence} < excluded.{sequence}"
    )


async def _upsert_rows(session: AsyncSession, concern: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    document = json.dumps(rows, default=str)
    connection = await session.connection()
    await connection.execute(text(_member_upsert_sql(dialect, concern)), {"rows": document})


async def note_batch(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """One more revision of the projection, and for each club the batch touched
    that revision and when its province last sent data of it: caches recompute
    only those clubs, and the rollout view sees who has gone quiet."""
    touched: dict[str, tuple[str, datetime]] = {}
    changed: dict[str, date] = {}  # the earliest date the batch alters, per club (ADR 0008)
    for event in events:
        club_id = getattr(event.payload, "club_id", None)
        if club_id is None:
            continue
        at = event.envelope.time
        if club_id not in touched or touched[club_id][1] < at:
            touched[club_id] = (event.envelope.province, at)
        since = snapshots.changed_from(event.payload)
        changed[club_id] = min(since, changed.get(club_id, since))
    # Core statements on the session's connection: the ORM adds more than they cost.
    connection = await session.connection()
    newest = max((at for _, at in touched.values()), default=None)
    rows = json.dumps(
        [
            {"club_id": c, "province": p, "at": at.isoformat(), "from": changed[c].isoformat()}
            for c, (p, at) in touched.items()
        ]
    )
    if session.get_bind().dialect.name == "postgresql":
        # One round trip: the revision's increment and the touches in one statement.
        await connection.execute(
            text(_REVISION_AND_TOUCHES_POSTGRES),
            {"rows": rows, "now": utcnow(), "newest": newest},
        )
        return
    # An atomic increment: two replicas' batches get two revisions, in commit order.
    await connection.execute(
        update(ProjectionState)
        .where(col(ProjectionState.id) == 1)
        .values(
            revision=col(ProjectionState.revision) + 1,
            applied_at=utcnow(),
            last_event_at=_later(col(ProjectionState.last_event_at), newest),
        )
    )
    if touched:
        await connection.execute(text(_TOUCH_SQLITE), {"rows": rows})


# The clubs a batch touched, each with the revision this transaction sets.
_TOUCH_COMMON = (
    " ON CONFLICT (club_id) DO UPDATE SET revision = excluded.revision,"
    " province = excluded.province,"
    " last_event_at = CASE WHEN club_touch.last_event_at IS NULL"
    " OR club_touch.last_event_at < excluded.last_event_at"
    " THEN excluded.last_event_at ELSE club_touch.last_event_at END,"
    " changed_from = CASE WHEN club_touch.changed_from IS NULL"
    " OR excluded.changed_from < club_touch.changed_from"
    " THEN excluded.changed_from ELSE club_touch.changed_from END"
)
_REVISION_AND_TOUCHES_POSTGRES = (
    "WITH state AS ("
    " UPDATE projection_state SET revision = revision + 1, applied_at = CAST(:now AS timestamptz),"
    " last_event_at = CASE WHEN last_event_at IS NULL"
    " OR last_event_at < CAST(:newest AS timestamptz)"
    " THEN CAST(:newest AS timestamptz) ELSE last_event_at END"
    " WHERE id = 1 RETURNING revision)"  # a data-modifying CTE runs even with no touches
    " INSERT INTO club_touch (club_id, revision, province, last_event_at, changed_from)"
    " SELECT r.club_id, state.revision, r.province, r.at, r.from"
    " FROM jsonb_to_recordset(CAST(:rows AS jsonb))"
    ' AS r(club_id varchar, province varchar, at timestamptz, "from" date)'
    " CROSS JOIN state" + _TOUCH_COMMON
)
_TOUCH_SQLITE = (
    "INSERT INTO club_touch (club_id, revision, province, last_event_at, changed_from)"
    " SELECT json_extract(value, '$.club_id'),"
    " (SELECT revision FROM projection_state WHERE id = 1),"
    " json_extract(value, '$.province'),"
    # as SQLAlchemy writes datetimes in SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff'
    " strftime('%Y-%m-%d %H:%M:%f000', json_extract(value, '$.at')),"
    " json_extract(value, '$.from')"
    " FROM json_each(:rows) WHERE true" + _TOUCH_COMMON
)


def _later(current: Any, candidate: Any) -> Any:
    """The later of two instants in SQL (either may be NULL), on SQLite and PostgreSQL."""
    if candidate is None:
        return current
    return case(
        (or_(current.is_(None), current < candidate), candidate),
        else_=current,
    )
