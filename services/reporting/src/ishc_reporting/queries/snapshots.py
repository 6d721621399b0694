"""Reading the monthly club snapshots (ADR 0008): whether a month is built, which
clubs have changed since, and the clubs' records as the snapshot holds them.
No access checks here: callers pass the provinces or clubs they may read."""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection
from datetime import date

import msgspec
from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.people import DEFAULT_OLDER_AGE
from ishc_platform.admin_units import Boundary
from ishc_reporting.domain.indicators import Rollup
from ishc_reporting.domain.snapshots import snapshot_serves
from ishc_reporting.models import (
    ClubFact,
    ClubSnapshot,
    ClubTouch,
    Plan,
    RollupSnapshot,
    SnapshotMonth,
    TrendShares,
)
from ishc_reporting.queries.facts import ClubRecord
from ishc_reporting.queries.scope import Scope, fetch_rows

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(list[ClubRecord])


class StoredRollups(msgspec.Struct):
    """A month end's roll-ups by group (province codes, or the nation), and the
    clubs no group could place."""

    rollups: dict[str, Rollup]
    unplaced: int


_ROLLUPS_DECODER = msgspec.json.Decoder(StoredRollups)


def encode(records: list[ClubRecord]) -> list[bytes]:
    """Each record as the snapshot stores it: compressed JSON (about half of
    the plain JSON, whose field names repeat)."""
    return [zlib.compress(_ENCODER.encode(record), 1) for record in records]


def decode(stored: list[bytes]) -> list[ClubRecord]:
    # One array through msgspec: much cheaper than a call per record.
    return _DECODER.decode(b"[" + b",".join(zlib.decompress(blob) for blob in stored) + b"]")


async def month_built(session: AsyncSession, month_end: date, older_age: int) -> bool:
    found = await session.scalar(
        select_columns(col(SnapshotMonth.month_end)).where(
            col(SnapshotMonth.month_end) == month_end, col(SnapshotMonth.older_age) == older_age
        )
    )
    return found is not None


async def changed_since_snapshot(session: AsyncSession, on_or_before: date) -> set[str]:
    """Clubs changed, since their snapshots were rewritten, in a way that can
    alter their figures on `on_or_before` (their snapshots of it are stale)."""
    found = await session.exec(
        select(ClubTouch.club_id).where(col(ClubTouch.changed_from) <= on_or_before)
    )
    return set(found.all())


async def snapshot_records(
    session: AsyncSession,
    month_end: date,
    older_age: int,
    *,
    provinces: Collection[str] | None,
    club_ids: Collection[str] | None,
    leaving_out: set[str],
) -> list[ClubRecord]:
    """The month's snapshot of the clubs in scope, but those left out."""
    query = select_columns(col(ClubSnapshot.club_id), col(ClubSnapshot.record)).where(
        col(ClubSnapshot.month_end) == month_end,
        col(ClubSnapshot.older_age) == older_age,
        # By where the club is now, as the computation scopes it (club_fact).
        *Scope(provinces, club_ids).club_column(ClubSnapshot.club_id),
    )
    rows = await fetch_rows(session, query)
    return decode([record for club_id, record in rows if club_id not in leaving_out])


async def snapshot_ages(session: AsyncSession) -> set[int]:
    """The older ages figures are read with: the default and every stored plan's."""
    ages = {DEFAULT_OLDER_AGE}
    for (body,) in await fetch_rows(session, select_columns(col(Plan.body))):
        # Plans are validated when stored; only the age is wanted here.
        age = json.loads(body).get("older_age", DEFAULT_OLDER_AGE)
        if isinstance(age, int):
            ages.add(age)
    return ages


async def built_months(session: AsyncSession) -> set[tuple[date, int]]:
    rows = await fetch_rows(
        session, select_columns(col(SnapshotMonth.month_end), col(SnapshotMonth.older_age))
    )
    return {(month_end, age) for month_end, age in rows}


async def first_founding(session: AsyncSession) -> date | None:
    found: date | None = await session.scalar(select_columns(func.min(col(ClubFact.founded_on))))
    return found


async def pending_changes(session: AsyncSession) -> list[tuple[str, date, int]]:
    """Clubs whose snapshots a change has made stale: (club, changed from, revision)."""
    rows = await fetch_rows(
        session,
        select_columns(
            col(ClubTouch.club_id), col(ClubTouch.changed_from), col(ClubTouch.revision)
        ).where(col(ClubTouch.changed_from).is_not(None)),
    )
    return [(club_id, changed_from, revision) for club_id, changed_from, revision in rows]


async def trend_months(session: AsyncSession, fingerprint: str) -> set[date]:
    """Months whose trend shares the job has measured with these plans."""
    t = TrendShares
    rows = await fetch_rows(
        session,
        select_columns(col(t.month_end)).where(
            # The nation's point on the current map stands for the month's whole set.
            col(t.province) == "",
            col(t.boundary) == Boundary.CURRENT.value,
            col(t.fingerprint) == fingerprint,
        ),
    )
    return {month_end for (month_end,) in rows}


def encode_rollups(stored: StoredRollups) -> bytes:
    return zlib.compress(_ENCODER.encode(stored), 1)


def decode_rollups(body: bytes) -> StoredRollups:
    return _ROLLUPS_DECODER.decode(zlib.decompress(body))


async def stored_rollups(
    session: AsyncSession,
    as_of: date,
    period_start: date,
    today: date,
    *,
    boundary: Boundary,
    per_province: bool,
    fingerprint: str,
) -> StoredRollups | None:
    """A month end's roll-ups as the job stored them with these plans; None when
    none are stored, or when a club has changed since in a way that can alter
    that month (its snapshots, hence these roll-ups, wait for the job)."""
    if not snapshot_serves(as_of, period_start, today):
        return None
    r = RollupSnapshot
    body = await session.scalar(
        select_columns(col(r.body)).where(
            col(r.month_end) == as_of,
            col(r.boundary) == boundary.value,
            col(r.per_province) == per_province,
            col(r.fingerprint) == fingerprint,
        )
    )
    if body is None:
        return None
    stale = await session.scalar(
        select_columns(col(ClubTouch.club_id)).where(col(ClubTouch.changed_from) <= as_of).limit(1)
    )
    return None if stale is not None else decode_rollups(body)


async def rollup_months(session: AsyncSession, fingerprint: str) -> set[date]:
    """Months whose roll-ups the job has stored with these plans."""
    r = RollupSnapshot
    rows = await fetch_rows(
        session, select_columns(col(r.month_end)).where(col(r.fingerprint) == fingerprint)
    )
    return {month_end for (month_end,) in rows}
