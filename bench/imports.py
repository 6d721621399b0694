"""Import benchmark: 10,000 members from one XLSX through `POST /v1/imports`.

The figure that matters is the whole request's time (target: a few seconds).
So that machine noise does not decide the verdict, the same run also measures
a raw floor over the same rows: reading the workbook with openpyxl and
inserting the member rows plus one outbox row each with SQLAlchemy Core
executemany, with no validation and no events built. The ratio import / floor
says how much the validation, the contracts and the ORM cost on top.

    uv run python -m bench.imports --members 10000 --database both
"""

from __future__ import annotations

import io
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import insert

from bench.common import drop, new_database
from ishc_platform.auth import Role, issue_token
from ishc_platform.db import make_sync_engine
from ishc_platform.migrate import upgrade
from ishc_platform.models import OutboxEvent
from ishc_platform.settings import Settings
from ishc_registry.app import create_app
from ishc_registry.models import Member

app = typer.Typer(add_completion=False)
SECRET = "b" * 48
HEADERS = [
    "Họ và tên",
    "Giới tính",
    "Năm sinh",
    "Hoàn cảnh",
    "Tình nguyện viên",
    "Ngày tham gia",
    "Mã thành viên",
    "Mã CLB",
]
POVERTY = ["Hộ nghèo", "Cận nghèo", "Khó khăn", "Không"]


def workbook(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def member_rows(count: int, clubs: int) -> list[list[object]]:
    header: list[object] = list(HEADERS)
    return [header] + [
        [
            f"Thành viên số {n}",
            "Nữ" if n % 3 else "Nam",
            1940 + n % 50,
            POVERTY[n % 4],
            "x" if n % 10 == 0 else None,
            date(2020, 1 + n % 12, 1 + n % 28),
            f"M-{n}",
            f"CLB-{n % clubs}",
        ]
        for n in range(count)
    ]


def raw_floor(url: str, content: bytes) -> float:
    """openpyxl read + Core executemany of the same rows into members and the outbox."""
    started = time.perf_counter()
    sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    now = time.time()
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(now, UTC)
    members = [
        {
            "id": str(uuid.uuid4()),
            "club_id": "raw",
            "province": "86",
            "full_name": r[0],
            "name_key": str(r[0]).lower(),
            "sex": "female",
            "birth_year": r[2],
            "poverty_status": "none",
            "ethnic_minority": False,
            "is_volunteer": False,
            "joined_on": r[5],
            "external_id": f"raw-{r[6]}",
            "version": 1,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for r in rows
    ]
    outbox = [
        {
            "event_id": str(uuid.uuid4()),
            "type": "ishc.registry.member.joined.v1",
            "subject": m["id"],
            "sequence": 1,
            "province": "86",
            "envelope": json.dumps({"id": m["id"]}),
            "created_at": stamp,
        }
        for m in members
    ]
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        # Skip the foreign key to a club the floor does not create. SQLite
        # ignores the pragma inside a transaction, so it goes to the driver first.
        if conn.dialect.name == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr,unused-ignore]
        with conn.begin():
            if conn.dialect.name != "sqlite":
                conn.exec_driver_sql("SET session_replication_role = replica")
            conn.execute(insert(Member), members)
            conn.execute(insert(OutboxEvent), outbox)
    engine.dispose()
    return time.perf_counter() - started


@app.command()
def main(
    members: Annotated[int, typer.Option(help="member rows in the file")] = 10_000,
    database: Annotated[str, typer.Option(help="sqlite, postgresql or both")] = "both",
    repeat: Annotated[int, typer.Option(help="runs per database; the median is reported")] = 3,
) -> None:
    clubs = max(1, members // 60)
    caller = issue_token(SECRET, sub="bench", role=Role.PROVINCE, provinces=["86"])
    token = {"Authorization": f"Bearer {caller}"}
    club_file = workbook(
        [["Tên CLB", "Mã xã", "Ngày thành lập", "Mã CLB"]]
        + [[f"CLB {n}", "29623", "01/01/2018", f"CLB-{n}"] for n in range(clubs)]
    )
    member_file = workbook(member_rows(members, clubs))
    kinds = ["sqlite", "postgresql"] if database == "both" else [database]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            imports, floors = [], []
            for _ in range(repeat):
                url, pg_name = new_database(kind, Path(scratch))
                try:
                    settings = Settings(
                        database_url=url,
                        jwt_secrets=SECRET,
                        stream_prefix=f"bench.{uuid.uuid4().hex[:8]}.",
                        log_level="WARNING",
                    )
                    with TestClient(create_app(settings)) as client:
                        reply = client.post(
                            "/v1/imports",
                            headers=token,
                            data={"kind": "clubs"},
                            files={"file": ("clubs.xlsx", club_file)},
                        )
                        assert reply.status_code == 200, reply.text
                        started = time.perf_counter()
                        reply = client.post(
                            "/v1/imports",
                            headers=token,
                            data={"kind": "members"},
                            files={"file": ("members.xlsx", member_file)},
                        )
                        imports.append(time.perf_counter() - started)
                        assert reply.status_code == 200, reply.text[:500]
                        assert reply.json()["created"] == members
                    floor_url, floor_pg = new_database(kind, Path(scratch))
                    upgrade("registry", floor_url)
                    floors.append(raw_floor(floor_url, member_file))
                    drop(floor_pg)
                finally:
                    drop(pg_name)
            imp, flo = statistics.median(imports), statistics.median(floors)
            results.append(
                {
                    "database": kind,
                    "members": members,
                    "import_s": round(imp, 2),
                    "raw_floor_s": round(flo, 2),
                    "ratio_import_to_floor": round(imp / flo, 1),
                    "rows_per_s": round(members / imp),
                }
            )
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    app()
