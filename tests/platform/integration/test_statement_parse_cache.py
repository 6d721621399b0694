"""psycopg keeps its parse of the multi-row INSERTs a consumer writes per batch
(ishc_platform.db._cache_long_statements): without it each batch paid the
parse of a statement over 4,096 characters again."""

from __future__ import annotations

from psycopg import _queries
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from ishc_platform.db import make_async_engine

WIDGETS = Table(
    "parsed_widget",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False),
)


async def test_a_long_multi_row_insert_is_parsed_once(fresh_postgres: str) -> None:
    engine = make_async_engine(fresh_postgres)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(WIDGETS.metadata.create_all)
        batches = [
            [{"id": start + n, "name": f"widget number {start + n}"} for n in range(100)]
            for start in (0, 100, 200)
        ]
        misses = []
        for rows in batches:
            before = _queries._query2pg.cache_info().misses
            async with engine.begin() as connection:
                await connection.execute(insert(WIDGETS), rows)
            misses.append(_queries._query2pg.cache_info().misses - before)
        async with engine.connect() as connection:
            counted = await connection.exec_driver_sql("SELECT count(*) FROM parsed_widget")
            stored = counted.scalar()
    finally:
        await engine.dispose()
    assert stored == 300
    # The first batch's statement (200 parameters, over 4,096 characters) is
    # parsed and kept; the next two batches find it.
    assert misses[0] >= 1
    assert misses[1:] == [0, 0]
