"""What the set-wise reads of `queries` share: the scope a read is restricted to
(provinces, or clubs), and how its statements run."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, case, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_reporting.models import ClubFact, MemberFact


@dataclass(frozen=True)
class Scope:
    """The clubs a read covers: those of `provinces` (current codes, where the
    club is now) and/or `club_ids`; None for either: no restriction by it."""

    provinces: Collection[str] | None
    club_ids: Collection[str] | None

    def members(self) -> list[Any]:
        conditions: list[Any] = []
        if self.provinces is not None:
            conditions.append(col(MemberFact.province).in_(sorted(self.provinces)))
        if self.club_ids is not None:
            conditions.append(col(MemberFact.club_id).in_(sorted(self.club_ids)))
        return conditions

    def club_column(self, column: Any) -> list[Any]:
        """For tables without a province: restrict by club through club_fact."""
        conditions: list[Any] = []
        if self.club_ids is not None:
            conditions.append(col(column).in_(sorted(self.club_ids)))
        if self.provinces is not None:
            in_provinces = select(ClubFact.club_id).where(
                col(ClubFact.province).in_(sorted(self.provinces))
            )
            conditions.append(col(column).in_(in_provinces))
        return conditions


def count_if(condition: Any) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0), type_=Integer)


async def fetch_rows(
    session: AsyncSession, statement: Select[Any, *tuple[Any, ...]]
) -> Sequence[Any]:
    # SQLModel's `select` is typed for four columns at most; these read more.
    result = await session.exec(statement)  # type: ignore[call-overload]
    found: Sequence[Any] = result.all()
    return found
