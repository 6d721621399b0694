"""Writing the monthly club snapshots (ADR 0008). The use case that calls these
owns the transaction; one writer at a time per database (`hold_the_writer`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import Table, bindparam, delete, insert, text, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.admin_units import Boundary
from ishc_platform.clock import utcnow
from ishc_reporting.domain.charts import SharePoint
from ishc_reporting.models import (
    ClubSnapshot,
    ClubTouch,
    RollupSnapshot,
    SnapshotMonth,
    TrendShares,
)
from ishc_reporting.queries.facts import ClubRecord
from ishc_reporting.queries.snapshots import StoredRollups, encode, encode_rollups
from ishc_reporting.queries.trends import encode_shares

_WRITER_LOCK = 0x5EA50008  # a PostgreSQL advisory lock key of the snapshot writer's own
_CHUNK = 1_000  # ids per IN list


async def hold_the_writer(session: AsyncSession) -> bool:
    """Whether this transaction may write snapshots: one replica at a time (a
    month built while another replica rewrites the same clubs could keep a
    figure the facts no longer give). SQLite has one writer anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    held = await session.scalar(text(f"SELECT pg_try_advisory_xact_lock({_WRITER_LOCK})"))
    return bool(held)


async def replace_records(
    session: AsyncSession,
    month_end: date,
    older_age: int,
    records: Sequence[ClubRecord],
    *,
    club_ids: Collection[str] | None,
) -> None:
    """The month's snapshot of `club_ids` (every club when None) becomes `records`."""
    connection = await session.connection()  # Core statements: no ORM state to keep
    where = [col(ClubSnapshot.month_end) == month_end, col(ClubSnapshot.older_age) == older_age]
    if club_ids is None:
        await connection.execute(delete(ClubSnapshot).where(*where))
    else:
        ids = sorted(club_ids)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            await connection.execute(
                delete(ClubSnapshot).where(*where, col(ClubSnapshot.club_id).in_(chunk))
            )
    rows = [
        {"month_end": month_end, "older_age": older_age, "club_id": r.club_id, "record": stored}
        for r, stored in zip(records, encode(list(records)), strict=True)
    ]
    for start in range(0, len(rows), _CHUNK):
        await connection.execute(insert(ClubSnapshot), rows[start : start + _CHUNK])


async def refresh_statistics(session: AsyncSession) -> None:
    """PostgreSQL's statistics of the snapshots, after a month is written: a
    month end it has never seen is estimated at a few rows, and a province's
    read of it then walks every club of the month (38 ms against 9 ms at
    20,000 clubs). ANALYZE samples the table, whatever its size."""
    if session.get_bind().dialect.name == "postgresql":
        connection = await session.connection()
        await connection.execute(text("ANALYZE club_snapshot"))


async def mark_built(session: AsyncSession, month_end: date, older_age: int) -> None:
    built = await session.get(SnapshotMonth, (month_end, older_age))
    if built is None:
        session.add(SnapshotMonth(month_end=month_end, older_age=older_age, built_at=utcnow()))
    else:
        built.built_at = utcnow()
    await session.flush()


async def clear_changes(session: AsyncSession, rewritten: Sequence[tuple[str, int]]) -> None:
    """The clubs' snapshots are rewritten up to the revision each was read at; a
    club changed again since keeps its mark, for the next round."""
    if not rewritten:
        return
    touches: Table = ClubTouch.__table__  # type: ignore[attr-defined]
    connection = await session.connection()  # Core executemany, not the ORM's bulk update
    await connection.execute(
        update(touches)
        .where(touches.c.club_id == bindparam("club"), touches.c.revision == bindparam("rev"))
        .values(changed_from=None),
        [{"club": club, "rev": revision} for club, revision in rewritten],
    )


async def forget_month_summaries(session: AsyncSession, months: Collection[date]) -> None:
    """The trends' shares and the roll-ups of these months are stale: the job
    measures them again."""
    connection = await session.connection()
    ends = sorted(months)
    for start in range(0, len(ends), _CHUNK):
        chunk = ends[start : start + _CHUNK]
        await connection.execute(delete(TrendShares).where(col(TrendShares.month_end).in_(chunk)))
        await connection.execute(
            delete(RollupSnapshot).where(col(RollupSnapshot.month_end).in_(chunk))
        )


async def replace_month_rollups(
    session: AsyncSession,
    month_end: date,
    rollups: Sequence[tuple[Boundary, bool, str, StoredRollups]],
) -> None:
    """The month's stored roll-ups become these (those of other plans go)."""
    connection = await session.connection()
    await connection.execute(
        delete(RollupSnapshot).where(col(RollupSnapshot.month_end) == month_end)
    )
    rows = [
        {"month_end": month_end, "boundary": boundary.value, "per_province": per_province,
         "fingerprint": fingerprint, "body": encode_rollups(stored)}
        for boundary, per_province, fingerprint, stored in rollups
    ]  # fmt: skip
    if rows:
        await connection.execute(insert(RollupSnapshot), rows)


async def replace_trend_month(
    session: AsyncSession,
    month_end: date,
    fingerprint: str,
    points: Sequence[tuple[Boundary, str, SharePoint]],
) -> None:
    connection = await session.connection()
    await connection.execute(delete(TrendShares).where(col(TrendShares.month_end) == month_end))
    rows = [
        {"month_end": month_end, "boundary": boundary.value, "province": province,
         "fingerprint": fingerprint, "members": point.members, "shares": encode_shares(point)}
        for boundary, province, point in points
    ]  # fmt: skip
    if rows:
        await connection.execute(insert(TrendShares), rows)
