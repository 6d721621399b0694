"""The relay's reads on PostgreSQL follow the indexes right after a burst of
writes, when the table's statistics still say almost nothing is unpublished:
otherwise each batch would read and sort every unpublished row, and scan the
whole outbox to mark its ids, so a backlog would cost more per batch the
larger it is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.clock import utcnow
from ishc_platform.db import Database
from ishc_platform.outbox import _ELECT_RELAY_POSTGRES, _MARK_PUBLISHED_POSTGRES
from tests.helpers.widgets import make_relay, widget_database, write_widgets

pytestmark = pytest.mark.integration


@pytest.fixture
async def db(fresh_postgres: str) -> AsyncIterator[Database]:
    async with widget_database(fresh_postgres) as database:
        yield database


async def test_the_relay_reads_and_marks_a_backlog_by_its_indexes(
    db: Database, redis_url: str, stream_name: str
) -> None:
    await write_widgets(db, range(3_000))  # a burst: no ANALYZE has seen it
    relay, broker = await make_relay(db, redis_url, stream_name)
    read = relay.unpublished_query().compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    ids = ",".join(str(n) for n in range(1, relay.batch_size + 1))
    async with db.sessions() as session, session.begin():
        assert await session.scalar(_ELECT_RELAY_POSTGRES, {"k": 1})
        read_plan = await _plan(session, str(read), {})
        mark_plan = await _plan(
            session, _MARK_PUBLISHED_POSTGRES.text, {"ids": ids, "now": utcnow()}
        )
    assert "Index Scan using ix_outbox_unpublished" in read_plan, read_plan
    assert "Sort" not in read_plan, read_plan
    assert "Seq Scan on outbox" not in mark_plan, mark_plan
    assert "Index Scan using outbox_pkey" in mark_plan, mark_plan
    assert await relay.publish_batch() >= relay.batch_size
    await broker.stop()


async def _plan(session: AsyncSession, sql: str, params: dict[str, Any]) -> str:
    result = await session.exec(text(f"EXPLAIN {sql}"), params=params)  # type: ignore[call-overload]
    return "\n".join(result.scalars())
