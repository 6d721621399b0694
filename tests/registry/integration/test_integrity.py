"""Integrity under concurrency and across the club's life: one winner per
change, 409 (never 500) for a taken key, members that follow their club when
it moves or is dissolved, and searches that take `%` and `_` literally.

The races run on PostgreSQL with real concurrent transactions: twenty threads
released together by a barrier, each sending through the same in-process app,
whose event loop interleaves their database round trips."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import parse_event
from ishc_platform.auth import Role
from ishc_platform.db import make_sync_engine
from ishc_platform.directory import DirectoryMember, apply_registry_events, directory_metadata
from ishc_platform.migrate import alembic_config
from tests.registry.conftest import DN, DONG_NAI, VINH_LONG, VL, Registry, bearer

pytestmark = pytest.mark.integration

BOTH = bearer(Role.PROVINCE, VINH_LONG, DONG_NAI, sub="regional-staff")
DN_COMMUNE = "25993"  # Phường Trảng Dài, Đồng Nai
RACERS = 20


def race[R](call: Callable[[int], R], n: int = RACERS) -> list[R]:
    """Send n requests at once (threads released together) and return the replies."""
    barrier = threading.Barrier(n)

    def one(i: int) -> R:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def codes(replies: list[Any]) -> list[int]:
    return sorted(r.status_code for r in replies)


def outbox(registry: Registry, subject: str | None = None) -> list[dict[str, Any]]:
    """The events the registry recorded (its outbox), in the order written."""
    engine = make_sync_engine(registry.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT type, subject, sequence, province, envelope FROM outbox ORDER BY id")
            ).mappings()
            found = [dict(r) for r in rows if subject is None or r["subject"] == subject]
    finally:
        engine.dispose()
    return found


def kinds(rows: list[dict[str, Any]]) -> list[str]:
    return [r["type"].removeprefix("ishc.registry.").removesuffix(".v1") for r in rows]


# -- 1. lost updates -------------------------------------------------------------------


@pytest.mark.parametrize("target", ["member", "club"])
def test_concurrent_patches_with_one_etag_let_exactly_one_win(
    pg_registry: Registry, target: str
) -> None:
    http = pg_registry.http
    club = pg_registry.club()
    member = pg_registry.member(club["id"])
    if target == "member":
        url, field, subject = f"/v1/members/{member['id']}", "full_name", member["id"]
    else:
        url, field, subject = f"/v1/clubs/{club['id']}", "hamlet", club["id"]

    replies = race(
        lambda i: http.patch(url, json={field: f"Ấp {i}"}, headers={**VL, "If-Match": '"1"'})
    )

    assert codes(replies) == [200] + [412] * (RACERS - 1), [r.text for r in replies]
    [winner] = [r for r in replies if r.status_code == 200]
    assert winner.headers["etag"] == '"2"'
    now = http.get(url, headers=VL)
    assert now.headers["etag"] == '"2"' and now.json()[field] == winner.json()[field]
    assert kinds(outbox(pg_registry, subject)).count(f"{target}.updated") == 1


def test_concurrent_leaves_record_one_departure(pg_registry: Registry) -> None:
    http = pg_registry.http
    club = pg_registry.club()
    member = pg_registry.member(club["id"])

    replies = race(
        lambda i: http.post(
            f"/v1/members/{member['id']}/leave", json={"left_on": "2026-01-15"}, headers=VL
        )
    )

    assert codes(replies) == [200] + [409] * (RACERS - 1), [r.text for r in replies]
    assert kinds(outbox(pg_registry, member["id"])) == ["member.joined", "member.left"]


def test_concurrent_dissolutions_record_one(pg_registry: Registry) -> None:
    http = pg_registry.http
    club = pg_registry.club()
    member = pg_registry.member(club["id"])

    replies = race(
        lambda i: http.post(
            f"/v1/clubs/{club['id']}/dissolve",
            json={"dissolved_on": "2026-06-30", "reason": "merged"},
            headers=VL,
        )
    )

    assert codes(replies) == [200] + [409] * (RACERS - 1), [r.text for r in replies]
    assert kinds(outbox(pg_registry, club["id"])) == ["club.registered", "club.dissolved"]
    assert kinds(outbox(pg_registry, member["id"])) == ["member.joined", "member.left"]


def test_a_join_racing_a_dissolution_never_leaves_an_active_member(
    pg_registry: Registry,
) -> None:
    http = pg_registry.http
    club = pg_registry.club()

    def act(i: int) -> Any:
        if i == 0:
            return http.post(
                f"/v1/clubs/{club['id']}/dissolve",
                json={"dissolved_on": "2026-06-30", "reason": "merged"},
                headers=VL,
            )
        body = {
            "full_name": f"Người {i}",
            "sex": "male",
            "birth_year": 1950,
            "poverty_status": "none",
            "joined_on": "2026-01-01",
        }
        return http.post(f"/v1/clubs/{club['id']}/members", json=body, headers=VL)

    replies = race(act, 10)

    assert replies[0].status_code == 200
    assert all(r.status_code in (201, 409) for r in replies[1:]), [r.text for r in replies]
    active = http.get(f"/v1/clubs/{club['id']}/members", headers=VL).json()["items"]
    assert active == []


# -- 2. unique races ------------------------------------------------------------------


def test_concurrent_joins_of_one_person_answer_409_naming_the_membership(
    pg_registry: Registry,
) -> None:
    http = pg_registry.http
    clubs = [pg_registry.club(name=f"CLB {i}")["id"] for i in range(4)]
    body = {
        "full_name": "Nguyễn Thị Lan",
        "sex": "female",
        "birth_year": 1952,
        "poverty_status": "poor",
        "joined_on": "2019-01-10",
        "external_id": "VL-P-1",
    }

    replies = race(lambda i: http.post(f"/v1/clubs/{clubs[i % 4]}/members", json=body, headers=VL))

    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    [winner] = [r.json() for r in replies if r.status_code == 201]
    for reply in replies:
        if reply.status_code == 409:
            [error] = reply.json()["errors"]
            assert error["field"] == "external_id"
            assert (error["member_id"], error["club_id"]) == (winner["id"], winner["club_id"])


def test_concurrent_external_id_changes_answer_409(pg_registry: Registry) -> None:
    http = pg_registry.http
    members = [
        pg_registry.member(pg_registry.club(name=f"CLB {i}")["id"], external_id=f"VL-{i}")
        for i in range(8)
    ]

    replies = race(
        lambda i: http.patch(
            f"/v1/members/{members[i]['id']}",
            json={"external_id": "VL-SAME"},
            headers={**VL, "If-Match": '"1"'},
        ),
        len(members),
    )

    assert codes(replies) == [200] + [409] * (len(members) - 1), [r.text for r in replies]
    [winner] = [r.json() for r in replies if r.status_code == 200]
    assert all(
        r.json()["errors"][0]["member_id"] == winner["id"] for r in replies if r.status_code == 409
    )


@pytest.mark.parametrize("what", ["clubs", "meetings", "activities"])
def test_concurrent_records_with_one_external_id_answer_409(
    pg_registry: Registry, what: str
) -> None:
    http = pg_registry.http
    if what == "clubs":
        url = lambda i: "/v1/clubs"  # noqa: E731
        body: dict[str, Any] = {"name": "CLB", "commune_code": "29623", "founded_on": "2018-01-01"}
    else:
        clubs = [pg_registry.club(name=f"CLB {i}")["id"] for i in range(4)]
        url = lambda i: f"/v1/clubs/{clubs[i % 4]}/{what}"  # noqa: E731
        body = (
            {"held_on": "2026-01-05", "attendance": 20}
            if what == "meetings"
            else {"area": "home_care", "held_on": "2026-01-06", "participants": 5}
        )
    body["external_id"] = "VL-X-1"

    replies = race(lambda i: http.post(url(i), json=body, headers=VL))

    assert codes(replies) == [201] + [409] * (RACERS - 1), [r.text for r in replies]
    [winner] = [r.json() for r in replies if r.status_code == 201]
    for reply in replies:
        if reply.status_code == 409:
            [error] = reply.json()["errors"]
            assert (error["field"], error["existing_id"]) == ("external_id", winner["id"])


# -- 3. relocation across provinces ---------------------------------------------------


def _directory_provinces(events: list[dict[str, Any]]) -> dict[str, str]:
    """Apply the events as finance and health do; the members' provinces they end with."""

    async def apply() -> dict[str, str]:
        engine = create_async_engine("sqlite+aiosqlite://")
        async with engine.begin() as connection:
            await connection.run_sync(directory_metadata.create_all)
        async with AsyncSession(engine) as session:
            await apply_registry_events(session, [parse_event(e) for e in events])
            await session.commit()
            rows = await session.exec(text("SELECT member_id, province FROM directory_member"))  # type: ignore[call-overload]
            found = {m: p for m, p in rows}
        await engine.dispose()
        return found

    assert DirectoryMember.__tablename__ == "directory_member"
    return asyncio.run(apply())


def test_members_meetings_and_activities_follow_their_club_to_another_province(
    pg_registry: Registry,
) -> None:
    http = pg_registry.http
    club = pg_registry.club()
    stays = pg_registry.member(club["id"], external_id="VL-1")
    chair = pg_registry.member(club["id"], external_id="VL-2", full_name="Trần Văn Bảy")
    gone = pg_registry.member(club["id"], external_id="VL-3")
    http.post(f"/v1/members/{gone['id']}/leave", json={"left_on": "2025-01-01"}, headers=VL)
    board = {
        "effective_on": "2025-02-01",
        "seats": [{"position": "chair", "member_id": chair["id"]}],
    }
    assert http.put(f"/v1/clubs/{club['id']}/board", json=board, headers=VL).status_code == 200
    meeting = http.post(
        f"/v1/clubs/{club['id']}/meetings",
        json={"held_on": "2026-01-05", "attendance": 2, "external_id": "VL-M-1"},
        headers=VL,
    ).json()
    http.post(
        f"/v1/clubs/{club['id']}/activities",
        json={"area": "home_care", "held_on": "2026-01-06", "participants": 2},
        headers=VL,
    )

    moved = http.post(
        f"/v1/clubs/{club['id']}/relocate",
        json={"commune_code": DN_COMMUNE, "relocated_on": "2026-03-01"},
        headers=BOTH,
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["province"] == DONG_NAI
    everyone = [stays, chair, gone]
    for member in everyone:
        url = f"/v1/members/{member['id']}"
        assert http.get(url, headers=VL).status_code == 404
        patch = {"is_volunteer": True}
        assert http.patch(url, json=patch, headers={**VL, "If-Match": '"9"'}).status_code == 404
        read = http.get(url, headers=DN)
        assert read.status_code == 200 and read.json()["province"] == DONG_NAI
    patched = http.patch(
        f"/v1/members/{stays['id']}",
        json={"is_volunteer": True},
        headers={
            **DN,
            "If-Match": http.get(f"/v1/members/{stays['id']}", headers=DN).headers["etag"],
        },
    )
    assert patched.status_code == 200, patched.text
    listed = http.get(f"/v1/clubs/{club['id']}/members?status=all", headers=DN).json()["items"]
    assert {m["id"] for m in listed} == {m["id"] for m in everyone}
    assert http.get(f"/v1/clubs/{club['id']}/board", headers=DN).status_code == 200
    meetings = http.get(f"/v1/clubs/{club['id']}/meetings", headers=DN).json()["items"]
    assert [m["id"] for m in meetings] == [meeting["id"]]
    # The meeting's key moved with it: the new province sees it taken.
    again = http.post(
        f"/v1/clubs/{club['id']}/meetings",
        json={"held_on": "2026-04-05", "attendance": 2, "external_id": "VL-M-1"},
        headers=DN,
    )
    assert again.status_code == 409 and again.json()["errors"][0]["existing_id"] == meeting["id"]
    assert http.get("/v1/clubs", headers=VL).json()["items"] == []

    events = [json.loads(r["envelope"]) for r in outbox(pg_registry)]
    relocated = [e for e in events if e["type"] == "ishc.registry.club.relocated.v1"]
    assert len(relocated) == 1 and relocated[0]["province"] == DONG_NAI
    after = events[events.index(relocated[0]) + 1 :]
    moved_members = [e for e in after if e["type"] == "ishc.registry.member.updated.v1"]
    # One member.updated per member of the club (the patch above adds one more).
    assert sorted(e["subject"] for e in moved_members[: len(everyone)]) == sorted(
        m["id"] for m in everyone
    )
    assert all(e["province"] == DONG_NAI for e in after)
    # finance and health, applying the same events, now file the members under Đồng Nai.
    assert _directory_provinces(events) == {m["id"]: DONG_NAI for m in everyone}


def test_a_relocation_that_would_give_a_person_two_active_memberships_is_refused(
    pg_registry: Registry,
) -> None:
    http = pg_registry.http
    club = pg_registry.club()
    moving = pg_registry.member(club["id"], external_id="P-1")
    pg_registry.member(club["id"], external_id="P-2")
    there = http.post(
        "/v1/clubs",
        json={"name": "CLB Trảng Dài", "commune_code": DN_COMMUNE, "founded_on": "2019-01-01"},
        headers=DN,
    ).json()
    body = {
        "full_name": "Nguyễn Thị Lan",
        "sex": "female",
        "birth_year": 1952,
        "poverty_status": "poor",
        "joined_on": "2020-01-10",
        "external_id": "P-1",
    }
    holder = http.post(f"/v1/clubs/{there['id']}/members", json=body, headers=DN).json()

    refused = http.post(
        f"/v1/clubs/{club['id']}/relocate",
        json={"commune_code": DN_COMMUNE, "relocated_on": "2026-03-01"},
        headers=BOTH,
    )

    assert refused.status_code == 409, refused.text
    [error] = refused.json()["errors"]
    assert error["field"] == "external_id"
    assert (error["member_id"], error["conflicting_member_id"]) == (moving["id"], holder["id"])
    assert error["conflicting_club_id"] == there["id"]
    assert http.get(f"/v1/members/{moving['id']}", headers=VL).status_code == 200
    assert "club.relocated" not in kinds(outbox(pg_registry, club["id"]))

    # Once the other membership ends, the club may move.
    http.post(f"/v1/members/{holder['id']}/leave", json={"left_on": "2026-01-01"}, headers=DN)
    ok = http.post(
        f"/v1/clubs/{club['id']}/relocate",
        json={"commune_code": DN_COMMUNE, "relocated_on": "2026-03-01"},
        headers=BOTH,
    )
    assert ok.status_code == 200, ok.text


# -- 4. dissolution ends memberships -----------------------------------------------------


def test_dissolution_ends_every_active_membership_and_the_board(registry: Registry) -> None:
    http = registry.http
    club = registry.club()
    chair = registry.member(club["id"], external_id="VL-1")
    other = registry.member(club["id"], external_id="VL-2")
    gone = registry.member(club["id"], external_id="VL-3")
    http.post(f"/v1/members/{gone['id']}/leave", json={"left_on": "2025-01-01"}, headers=VL)
    board = {
        "effective_on": "2025-02-01",
        "seats": [{"position": "chair", "member_id": chair["id"]}],
    }
    assert http.put(f"/v1/clubs/{club['id']}/board", json=board, headers=VL).status_code == 200
    late = registry.member(club["id"], external_id="VL-4", joined_on="2026-07-01")
    early = http.post(
        f"/v1/clubs/{club['id']}/dissolve",
        json={"dissolved_on": "2026-06-30", "reason": "merged"},
        headers=VL,
    )
    assert early.status_code == 422 and early.json()["errors"][0]["member_ids"] == [late["id"]]
    http.post(f"/v1/members/{late['id']}/leave", json={"left_on": "2026-07-01"}, headers=VL)

    done = http.post(
        f"/v1/clubs/{club['id']}/dissolve",
        json={"dissolved_on": "2026-06-30", "reason": "merged"},
        headers=VL,
    )

    assert done.status_code == 200, done.text
    for member, left_on, version in ((chair, "2026-06-30", 2), (other, "2026-06-30", 2)):
        read = http.get(f"/v1/members/{member['id']}", headers=VL)
        assert (read.json()["left_on"], read.json()["version"]) == (left_on, version)
    assert http.get(f"/v1/members/{gone['id']}", headers=VL).json()["left_on"] == "2025-01-01"
    seats = http.get(f"/v1/clubs/{club['id']}/board", headers=VL).json()
    assert seats["seats"] == []
    rows = outbox(registry)
    last = rows[-4:]
    assert kinds(last) == ["club.dissolved", "member.left", "member.left", "board.changed"]
    assert {r["subject"] for r in last[1:3]} == {chair["id"], other["id"]}
    assert all(json.loads(r["envelope"])["data"]["left_on"] == "2026-06-30" for r in last[1:3])
    assert json.loads(last[3]["envelope"])["data"]["seats"] == []
    # The person is free to join another club.
    elsewhere = registry.club(name="CLB Mới")
    registry.member(elsewhere["id"], external_id="VL-1")


def test_migration_ends_the_memberships_of_clubs_already_dissolved(database_url: str) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("registry", connection)
            command.upgrade(config, "p0001")
            command.upgrade(config, "registry0002")
            now = datetime(2026, 1, 1, tzinfo=UTC)
            club = {"province": "86", "commune_code": "29623", "name": "CLB", "name_key": "clb"}
            connection.execute(
                text(
                    "INSERT INTO club (id, province, commune_code, name, name_key, founded_on,"
                    " dissolved_on, version, created_at, updated_at) VALUES (:id, :province,"
                    " :commune_code, :name, :name_key, :founded, :dissolved, 2, :now, :now)"
                ),
                [
                    {**club, "id": "c-gone", "founded": date(2015, 1, 1),
                     "dissolved": date(2025, 6, 30), "now": now},
                    {**club, "id": "c-live", "founded": date(2015, 1, 1),
                     "dissolved": None, "now": now},
                ],
            )  # fmt: skip
            members = [("m-1", "c-gone", None), ("m-2", "c-gone", date(2024, 1, 1))]
            members.append(("m-3", "c-live", None))
            connection.execute(
                text(
                    "INSERT INTO member (id, club_id, province, full_name, name_key, sex,"
                    " birth_year, poverty_status, ethnic_minority, is_volunteer, joined_on,"
                    " left_on, version, created_at, updated_at) VALUES (:id, :club, '86', 'X',"
                    " 'x', 'female', 1950, 'poor', false, false, :joined, :left, 1, :now, :now)"
                ),
                [
                    {"id": m, "club": c, "joined": date(2020, 1, 1), "left": left, "now": now}
                    for m, c, left in members
                ],
            )
            connection.execute(
                text(
                    "INSERT INTO board_seat (club_id, member_id, position, from_on)"
                    " VALUES ('c-gone', 'm-1', 'chair', :on)"
                ),
                {"on": date(2021, 1, 1)},
            )
            # m-1 has a joined event already: the migration's continues its sequence.
            connection.execute(
                text(
                    "INSERT INTO outbox (event_id, type, subject, sequence, province, envelope,"
                    " created_at) VALUES ('e-1', 'ishc.registry.member.joined.v1', 'm-1', 1,"
                    " '86', '{}', :now)"
                ),
                {"now": now},
            )
            connection.commit()

            command.upgrade(config, "heads")
            connection.commit()

            left = dict(connection.execute(text("SELECT id, left_on FROM member")).all())
            seat = connection.execute(text("SELECT to_on FROM board_seat")).scalar_one()
            rows = connection.execute(
                text("SELECT type, subject, sequence, province, envelope FROM outbox ORDER BY id")
            ).all()
    finally:
        engine.dispose()

    as_date = {
        k: v if isinstance(v, date) or v is None else date.fromisoformat(v) for k, v in left.items()
    }
    assert as_date == {"m-1": date(2025, 6, 30), "m-2": date(2024, 1, 1), "m-3": None}
    assert (seat if isinstance(seat, date) else date.fromisoformat(seat)) == date(2025, 6, 30)
    new = rows[1:]
    assert [(t, s, n, p) for t, s, n, p, _ in new] == [
        ("ishc.registry.member.left.v1", "m-1", 2, "86"),
        ("ishc.registry.board.changed.v1", "c-gone", 1, "86"),
    ]
    left_event = parse_event(new[0][4])
    assert left_event.payload.model_dump(mode="json") == {
        "member_id": "m-1",
        "club_id": "c-gone",
        "left_on": "2025-06-30",
    }
    board_event = parse_event(new[1][4])
    assert board_event.payload.model_dump(mode="json")["seats"] == []


# -- search ----------------------------------------------------------------------------


def test_search_takes_like_wildcards_literally(pg_registry: Registry) -> None:
    http = pg_registry.http
    percent = pg_registry.club(name="CLB 100% vui khỏe")
    underscore = pg_registry.club(name="CLB A_B")
    pg_registry.club(name="CLB Nhơn Phú")
    for q, expected in (("%", percent), ("_", underscore)):
        found = http.get("/v1/clubs", params={"q": q}, headers=VL).json()["items"]
        assert [c["id"] for c in found] == [expected["id"]], q
    members = [
        pg_registry.member(percent["id"], full_name=name) for name in ("Lê 50%", "Lê_Thị", "Lê Văn")
    ]
    for q, expected in (("%", members[0]), ("_", members[1])):
        found = http.get(f"/v1/clubs/{percent['id']}/members", params={"q": q}, headers=VL).json()[
            "items"
        ]
        assert [m["id"] for m in found] == [expected["id"]], q


def test_concurrent_imports_of_one_person_never_answer_500(pg_registry: Registry) -> None:
    """Imports take the same locks as the API and answer a lost race for a key
    with a 409 that says to run the import again; one person stays one member."""
    http = pg_registry.http
    clubs = [pg_registry.club(name=f"CLB {i}", external_id=f"CLB-{i}")["id"] for i in range(4)]
    header = "Họ và tên,Giới tính,Năm sinh,Hoàn cảnh,Ngày tham gia,Mã thành viên,Mã CLB\n"

    def upload(i: int) -> Any:
        row = f"Trần Thị Mai,Nữ,1950,Nghèo,10/01/2020,VL-P-1,CLB-{i % 4}\n"
        return http.post(
            "/v1/imports",
            headers=VL,
            data={"kind": "members"},
            files={"file": ("ds.csv", (header + row).encode(), "text/csv")},
        )

    replies = race(upload, n=8)

    # 409: lost the race for the key; 422: the row names another club while the
    # person is already active in one (the sequential answer). Never a 500.
    assert all(r.status_code in (200, 201, 409, 422) for r in replies), [r.text for r in replies]
    assert any(r.status_code in (200, 201) for r in replies)
    members = [
        m
        for club in clubs
        for m in http.get(f"/v1/clubs/{club}/members", headers=VL).json()["items"]
        if m["external_id"] == "VL-P-1" and m["left_on"] is None
    ]
    assert len(members) == 1


def test_the_migration_never_ends_a_membership_before_it_began(database_url: str) -> None:
    """A member who joined after a backdated dissolution leaves the day they joined."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("registry", connection)
            command.upgrade(config, "p0001")
            command.upgrade(config, "registry0002")
            now = datetime(2026, 1, 1, tzinfo=UTC)
            connection.execute(
                text(
                    "INSERT INTO club (id, province, commune_code, name, name_key, founded_on,"
                    " dissolved_on, version, created_at, updated_at) VALUES ('c-gone', '86',"
                    " '29623', 'CLB', 'clb', :founded, :dissolved, 2, :now, :now)"
                ),
                {"founded": date(2015, 1, 1), "dissolved": date(2025, 6, 30), "now": now},
            )
            connection.execute(
                text(
                    "INSERT INTO member (id, club_id, province, full_name, name_key, sex,"
                    " birth_year, poverty_status, ethnic_minority, is_volunteer, joined_on,"
                    " version, created_at, updated_at) VALUES ('m-late', 'c-gone', '86', 'X',"
                    " 'x', 'female', 1950, 'poor', false, false, :joined, 1, :now, :now)"
                ),
                {"joined": date(2025, 9, 1), "now": now},
            )
            connection.commit()
            command.upgrade(config, "heads")
            connection.commit()
            left_on = connection.execute(
                text("SELECT left_on FROM member WHERE id = 'm-late'")
            ).scalar_one()
            envelope = connection.execute(
                text("SELECT envelope FROM outbox WHERE subject = 'm-late'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert str(left_on)[:10] == "2025-09-01"
    assert json.loads(envelope)["data"]["left_on"] == "2025-09-01"
