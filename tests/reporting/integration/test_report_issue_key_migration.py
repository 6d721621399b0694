"""reporting0009: reports issued twice before the issue key existed do not stop
the migration; the earliest keeps the key, the later ones stay readable."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import Date, DateTime, bindparam, text

from ishc_platform.db import make_sync_engine
from ishc_platform.migrate import alembic_config, upgrade
from ishc_reporting.domain.report_layout import issue_key

INSERT = text(
    "INSERT INTO issued_report (id, scope, province, period_kind, period_start, period_end,"
    " boundary, issued_at, issued_by, content) VALUES (:id, :scope, :province, 'quarter',"
    " :start, :end, 'current', :at, 't', :content)"
).bindparams(  # typed, so each database gets its own date and instant forms
    bindparam("start", type_=Date),
    bindparam("end", type_=Date),
    bindparam("at", type_=DateTime(timezone=True)),
)


def row(report_id: str, day: int, province: str | None = "86") -> dict[str, object]:
    return {
        "id": report_id,
        "scope": "province" if province else "nation",
        "province": province,
        "start": date(2026, 4, 1),
        "end": date(2026, 6, 30),
        "at": datetime(2026, 7, day, tzinfo=UTC),
        "content": json.dumps({"as_of": "2026-06-30", "format": 2}),
    }


def test_duplicates_keep_the_earliest_as_the_report(database_url: str) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            command.upgrade(alembic_config("reporting", connection), "reporting0008")
            connection.commit()
        with engine.begin() as connection:
            # Inserted out of order: the earliest is the one issued first, not inserted first.
            for values in (row("b-later", 3), row("a-first", 2), row("c-later", 4)):
                connection.execute(INSERT, values)
            connection.execute(INSERT, row("n-nation", 5, province=None))
            interim = {**row("i-interim", 2), "at": datetime(2026, 6, 15, 3, tzinfo=UTC)}
            interim["content"] = json.dumps({"as_of": "2026-06-15", "format": 2})
            connection.execute(INSERT, interim)
        upgrade("reporting", database_url)
        with engine.connect() as connection:
            found = connection.execute(text("SELECT id, issue_key FROM issued_report"))
            keys = {report_id: key for report_id, key in found}
    finally:
        engine.dispose()
    assert keys == {
        "a-first": "province|86|quarter|2026-04-01|current|2026-06-30",
        "b-later": None,
        "c-later": None,
        "n-nation": "nation||quarter|2026-04-01|current|2026-06-30",
        # Issued before the quarter ended: an interim report, not the final one.
        "i-interim": "province|86|quarter|2026-04-01|current|interim:2026-06-15",
    }
    assert keys["a-first"] == issue_key(
        "province", "86", "quarter", date(2026, 4, 1), "current", date(2026, 6, 30)
    )
