"""Personal data in events and the event log (ADR 0004): events carry the birth
year, never the exact date or ethnicity; the log's public view (national and
ops tokens) leaves out a person's attributes; the service token reads them
whole; erasure leaves no exact birth date anywhere; the migration cleans the
events written before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command

from ishc_platform.auth import Role, issue_token
from ishc_platform.db import make_sync_engine
from ishc_platform.migrate import alembic_config, upgrade
from tests.registry.conftest import NATIONAL, OPS, SECRET, VL, Registry

pytestmark = pytest.mark.integration
SERVICE = {"Authorization": f"Bearer {issue_token(SECRET, sub='reporting', role=Role.SERVICE)}"}
PERSONAL = {"sex", "birth_year", "poverty_status", "is_volunteer"}


def _log(registry: Registry, headers: dict[str, str]) -> list[dict[str, Any]]:
    registry.events()  # the relay has published everything
    reply = registry.http.get("/v1/events", params={"limit": 500}, headers=headers)
    assert reply.status_code == 200, reply.text
    return list(reply.json()["items"])


def test_events_carry_no_exact_birth_date_or_ethnicity(registry: Registry) -> None:
    club = registry.club()
    member = registry.member(
        club["id"], birth_year=1951, birth_date="1951-07-23", ethnic_minority=True
    )
    events = registry.events()
    joined = next(e for e in events if e["subject"] == member["id"])
    assert joined["data"]["birth_year"] == 1951
    assert "birth_date" not in joined["data"] and "ethnic_minority" not in joined["data"]
    raw = registry.raw_stream()
    assert b"1951-07-23" not in raw and b"ethnic" not in raw


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
