"""Key rotation of the sealed columns: re-seal every sealed value under the newest
key (`python -m ishc_health.rotate_keys`, docs/operations.md "Health data keys").

Every column named `*_sealed` of every health table is re-sealed, in batches of
rows in primary-key order, one transaction per batch, so a large table never
holds a long lock and a run that stops can simply be run again. A value already
under the newest key is left as it is (a second run re-seals nothing). Each row
is written only if its value is still the one read (compare-and-set), so a
concurrent change, e.g. an erasure, is never undone. A value that opens under
none of the keys is counted and left untouched: the operator must restore its key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import Column, Table, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_health.adapters.sealing import MissingHealthKey, Sealer
from ishc_health.models import metadata

SEALED_SUFFIX = "_sealed"


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    key: Column[Any]
    column: Column[Any]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column.name}"


def sealed_columns() -> Iterator[SealedColumn]:
    """Every sealed column of the health tables, with its table's primary key."""
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        (key,) = table.primary_key.columns
        for column in table.columns:
            if column.name.endswith(SEALED_SUFFIX):
                yield SealedColumn(table, key, column)


@dataclass
class Tally:
    """What a run did to one column."""

    resealed: int = 0
    current: int = 0  # already under the newest key
    empty: int = 0  # NULL: nothing sealed (an erased check, a visit without a note)
    unopenable: int = 0  # under none of the keys: left as it is
    changed_meanwhile: int = 0  # changed by another writer between read and write


async def reseal_batch(
    session: AsyncSession,
    sealer: Sealer,
    is_current: Callable[[str], bool],
    sealed: SealedColumn,
    *,
    after: Any,
    size: int,
    tally: Tally,
) -> Any:
    """Re-seal the next `size` rows after primary key `after` (None: the first);
    returns the last key read, or None when the column is done."""
    query = select(sealed.key, sealed.column).order_by(sealed.key).limit(size)
    if after is not None:
        query = query.where(sealed.key > after)
    found = (await session.execute(query)).all()
    for key, token in found:
        if token is None:
            tally.empty += 1
        elif is_current(token):
            tally.current += 1
        else:
            try:
                new = sealer.reseal(token)
            except (MissingHealthKey, InvalidToken):  # `Sealer.reseal` lets the latter through
                tally.unopenable += 1
                continue
            written = await session.execute(
                update(sealed.table)
                .where(sealed.key == key, sealed.column == token)
                .values({sealed.column.name: new})
            )
            if written.rowcount == 1:  # type: ignore[attr-defined]
                tally.resealed += 1
            else:
                tally.changed_meanwhile += 1
    await session.commit()
    return found[-1][0] if len(found) == size else None
