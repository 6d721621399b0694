"""Personal data in events and the event log (ADR 0004, amended by 0007):
events carry the birth year, never the exact date, and the ethnic-minority
flag, never the ethnicity; the log's public view (national and ops tokens)
leaves out a person's attributes; the service token reads them whole; erasure
leaves no exact birth date anywhere and no ethnic-minority flag in the log; the
migrations clean what was written before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import make_sync_engine
from ishc_platform.migrate import alembic_config, upgrade
from tests.registry.conftest import NATIONAL, OPS, SECRET, VL, Registry

pytestmark = pytest.mark.integration
SERVICE = {"Authorization": f"Bearer {issue_token(SECRET, sub='reporting', role=Role.SERVICE)}"}
PERSONAL = {"sex", "birth_year", "poverty_status", "is_volunteer", "ethnic_minority"}


def _log(registry: Registry, headers: dict[str, str]) -> list[dict[str, Any]]:
    registry.events()  # the relay has published everything
    reply = registry.http.get("/v1/events", params={"limit": 500}, headers=headers)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["items"])


def test_events_carry_the_ethnic_flag_but_no_exact_birth_date(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(
        club["id"], birth_year=1951, birth_date="1951-07-23", ethnic_minority=True
    )
    other = registry.member(club["id"], full_name="Trần Văn Ba")
    events = registry.events()
    joined = next(e for e in events if e["subject"] == member["id"])
    assert joined["data"]["birth_year"] == 1951 and joined["data"]["ethnic_minority"] is True
    assert "birth_date" not in joined["data"]
    assert (
        next(e for e in events if e["subject"] == other["id"])["data"]["ethnic_minority"] is False
    )
    assert b"1951-07-23" not in registry.raw_stream()


def test_the_log_shows_a_persons_attributes_only_to_services(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(club["id"], birth_year=1951, birth_date="1951-07-23")
    for headers in (NATIONAL, OPS):
        joined = next(e for e in _log(registry, headers) if e["subject"] == member["id"])
        data = joined["data"]
        assert not PERSONAL & set(data), data
        assert data["club_id"] == club["id"] and data["joined_on"] == "2019-01-10"
    whole = next(e for e in _log(registry, SERVICE) if e["subject"] == member["id"])
    assert set(whole["data"]) >= PERSONAL
    assert registry.http.get("/v1/events", headers=VL).status_code == 403


def test_a_service_token_reads_nothing_but_the_log(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(club["id"])
    assert registry.http.get(f"/v1/clubs/{club['id']}", headers=SERVICE).status_code in (403, 404)
    assert registry.http.get("/v1/clubs", headers=SERVICE).status_code == 403
    assert registry.http.get(f"/v1/members/{member['id']}", headers=SERVICE).status_code == 403
    assert registry.http.get("/v1/outbox/status", headers=SERVICE).status_code == 403


def test_erasure_leaves_no_exact_birth_date_anywhere(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(club["id"], birth_year=1951, birth_date="1951-07-23")
    reply = registry.http.post(f"/v1/members/{member['id']}/erase", headers=VL)
    assert reply.status_code == 200, reply.text
    log = json.dumps(_log(registry, SERVICE))
    assert "1951-07-23" not in log
    assert b"1951-07-23" not in registry.raw_stream()


def _stored_payloads(database_url: str, subject: str) -> list[dict[str, Any]]:
    """The member's events as the registry's log table holds them (published or not)."""
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT envelope FROM outbox WHERE subject = :s ORDER BY sequence"),
                {"s": subject},
            ).all()
    finally:
        engine.dispose()
    return [json.loads(envelope)["data"] for (envelope,) in rows]


def test_erasure_clears_the_ethnic_flag_from_every_logged_event(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(club["id"], ethnic_minority=True, external_id="VL-DT-1")
    bystander = registry.member(club["id"], full_name="Thạch Thị Sen", ethnic_minority=True)
    url = f"/v1/members/{member['id']}"
    patched = registry.http.patch(
        url, json={"is_volunteer": True}, headers={**VL, "If-Match": '"1"'}
    )
    assert patched.status_code == 200, patched.text
    before = _stored_payloads(registry.database_url, member["id"])
    assert [p["ethnic_minority"] for p in before] == [True, True]

    erased = registry.http.post(f"{url}/erase", headers=VL)
    assert erased.status_code == 200, erased.text
    assert erased.json()["ethnic_minority"] is False

    after = _stored_payloads(registry.database_url, member["id"])
    assert len(after) == 3 and not any(p["ethnic_minority"] for p in after)
    # The anonymous facts stay as they were; only the flag is rewritten.
    assert [p["is_volunteer"] for p in after] == [False, True, True]
    assert all(p["birth_year"] == 1952 and p["sex"] == "female" for p in after)
    whole = [e for e in _log(registry, SERVICE) if e["subject"] == member["id"]]
    assert [e["data"]["ethnic_minority"] for e in whole] == [False, False, False]
    # What the erasure published tells consumers to drop their copy.
    published = [e for e in registry.events() if e["subject"] == member["id"]]
    assert published[-1]["type"] == "ishc.registry.member.updated.v1"
    assert published[-1]["data"]["ethnic_minority"] is False
    # Another member's events are untouched.
    assert _stored_payloads(registry.database_url, bystander["id"])[0]["ethnic_minority"] is True


def test_the_migration_clears_erased_flags_and_republishes_the_others(
    registry: Registry,
) -> None:
    club = registry.club()
    erased = registry.member(club["id"], ethnic_minority=True)
    flagged = registry.member(club["id"], ethnic_minority=True, is_volunteer=True)
    plain = registry.member(club["id"])
    engine = make_sync_engine(registry.database_url)
    try:
        with engine.connect() as connection:
            # As registry0004 left things: an erasure done before ADR 0007 kept
            # the flag, and the events of that time carried none.
            connection.execute(
                text("UPDATE member SET erased_at = CURRENT_TIMESTAMP WHERE id = :id"),
                {"id": erased["id"]},
            )
            connection.commit()
            config = alembic_config("registry", connection)
            command.downgrade(config, "registry0004")
            command.upgrade(config, "registry0005")
            connection.commit()
            flag = connection.execute(
                text("SELECT ethnic_minority FROM member WHERE id = :id"), {"id": erased["id"]}
            ).scalar_one()
    finally:
        engine.dispose()
    assert not flag
    assert len(_stored_payloads(registry.database_url, erased["id"])) == 1
    assert len(_stored_payloads(registry.database_url, plain["id"])) == 1
    joined, republished = _stored_payloads(registry.database_url, flagged["id"])
    assert republished == {**joined, "ethnic_minority": True}
    events = [e for e in registry.events() if e["subject"] == flagged["id"]]
    assert [(e["type"], e["sequence"]) for e in events] == [
        ("ishc.registry.member.joined.v1", 1),
        ("ishc.registry.member.updated.v1", 2),
    ]


def test_the_migration_removes_them_from_earlier_events(database_url: str) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("registry", connection)
            command.upgrade(config, "p0001")  # the outbox table
            command.upgrade(config, "registry0002")
            connection.commit()
            before = {
                "id": "0190b8f0-0000-7000-8000-000000000001",
                "type": "ishc.registry.member.joined.v1",
                "data": {
                    "member_id": "m1",
                    "club_id": "c1",
                    "sex": "female",
                    "birth_year": 1951,
                    "birth_date": "1951-07-23",
                    "ethnic_minority": True,
                    "poverty_status": "poor",
                    "joined_on": "2020-01-01",
                },
            }
            connection.exec_driver_sql(
                "INSERT INTO outbox (event_id, type, subject, sequence, province, envelope, "
                "created_at) VALUES ('e1', 'ishc.registry.member.joined.v1', 'm1', 1, '86', "
                f"'{json.dumps(before)}', CURRENT_TIMESTAMP)"
            )
            connection.commit()
        upgrade("registry", database_url)
        with engine.connect() as connection:
            text = connection.exec_driver_sql("SELECT envelope FROM outbox").scalar_one()
    finally:
        engine.dispose()
    data = json.loads(text)["data"]
    assert "birth_date" not in data and "ethnic_minority" not in data
    assert data["birth_year"] == 1951 and data["sex"] == "female"
