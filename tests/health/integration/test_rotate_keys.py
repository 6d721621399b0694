"""Key rotation end to end, on SQLite and PostgreSQL, with the command run as
operators run it (`python -m ishc_health.rotate_keys`).

Values sealed under key A (checks, and rows of every other sealed column); the
service restarted with "B" only answers the book with a clear 503 problem (a key
removed too early: nothing lost, nothing audited); restarted with "B,A" it
opens everything and seals new values under B; the command re-seals every
sealed column under B in batches, printing counts, and a second run re-seals
nothing; then with "B" alone every book opens as before. A run with a key that
opens nothing says so, exits 1 and changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet, InvalidToken
from fastapi.testclient import TestClient
from sqlalchemy import text

from ishc_health.adapters.sealing import Sealer
from ishc_health.app import create_app
from ishc_health.settings import HealthSettings
from ishc_platform.db import make_sync_engine
from ishc_platform.settings import Settings
from tests.health.conftest import HEALTH_KEY, SECRET, VL, Health
from tests.health.integration.test_consent_and_checks import (
    give_consent,
    ok,
    record_check,
    rows,
    world,
)

pytestmark = pytest.mark.integration

KEY_A = HEALTH_KEY
KEY_B = "QmItdGhlLW5ldy1rZXktZm9yLXJvdGF0aW9uLTMyYnk="
KEY_C = "Qy1hLWtleS10aGF0LW9wZW5zLW5vdGhpbmctMzJieXQ="
SEALED = (
    ("community_person", "name_sealed"),
    ("health_check", "values_sealed"),
    ("home_care_visit", "note_sealed"),
    ("insurance", "card_sealed"),
)
REASON = {"reason": "Kiểm tra sau khi đổi khóa"}


@contextmanager
def running(database_url: str, redis_url: str, keys: str) -> Iterator[Health]:
    """The health app on this database with `keys` (a restart of the service)."""
    prefix = f"test.{uuid.uuid4().hex[:10]}."
    settings = Settings(
        database_url=database_url, redis_url=redis_url, jwt_secrets=SECRET, stream_prefix=prefix
    )
    try:
        with TestClient(create_app(settings, HealthSettings(keys=keys))) as client:
            yield Health(client, database_url, redis_url, f"{prefix}ishc.health", SECRET)
    finally:
        r = redis.Redis.from_url(redis_url)
        found = r.keys(f"{prefix}*")
        if found:
            r.delete(*found)


def execute(database_url: str, statement: str, **values: Any) -> None:
    engine = make_sync_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), values)
    finally:
        engine.dispose()


def rotate(database_url: str, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "ISHC_DATABASE_URL": database_url, "ISHC_HEALTH_KEYS": keys}
    return subprocess.run(
        [sys.executable, "-m", "ishc_health.rotate_keys", *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )


def tokens(health: Health) -> list[str]:
    return [
        token
        for table, column in SEALED
        for (token,) in rows(health, f"SELECT {column} FROM {table} ORDER BY id")
        if token is not None
    ]


def opens_under(token: str, key: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def read_book(health: Health, member: str) -> Any:
    return health.http.get(f"/v1/members/{member}/health-book", params=REASON, headers=VL)


def test_keys_rotate_and_every_book_still_opens(database_url: str, redis_url: str) -> None:
    under_a = Sealer([KEY_A])
    with running(database_url, redis_url, KEY_A) as health:
        w = world(health)
        give_consent(health, w.member)
        record_check(health, w.member, checked_on="2026-10-01", systolic_mmhg=187, weight_kg=61.7)
        record_check(health, w.member, checked_on="2026-11-01", glucose_mmol_l="7.9")
        record_check(health, w.member, checked_on="2026-11-02", pulse_bpm=70)
        # a row in every other sealed column, sealed under A as the service would
        card, name, note = (under_a.seal(v) for v in ("HT2797924000123", "Bà Tư", "Đau gối"))
        execute(
            database_url,
            "INSERT INTO insurance VALUES "
            "('i-1', :m, :c, '2026-01-01', '2026-12-31', :t, '2026-01-01 00:00:00')",
            m=w.member,
            c=w.club,
            t=card,
        )
        for index, token in enumerate((name, None), start=1):
            execute(
                database_url,
                "INSERT INTO community_person (id, club_id, name_sealed, created_at) "
                "VALUES (:i, :c, :t, '2026-01-01 00:00:00')",
                i=f"p-{index}",
                c=w.club,
                t=token or under_a.seal("Ông Sáu"),
            )
        execute(
            database_url,
            "INSERT INTO home_care_visit (id, club_id, volunteer_id, beneficiary, "
            "beneficiary_id, visited_on, tasks, note_sealed, created_at) VALUES "
            "('v-1', :c, :v, 'community', 'p-1', '2026-11-01', 'talking', :t, "
            "'2026-11-01 00:00:00'), ('v-2', :c, :v, 'community', 'p-1', '2026-11-02', "
            "'cooking', NULL, '2026-11-02 00:00:00')",
            c=w.club,
            v=w.volunteer,
            t=note,
        )
        before = ok(read_book(health, w.member), 200)["checks"]
        accesses = len(rows(health, "SELECT id FROM health_book_access"))
    assert [c["values"]["systolic_mmhg"] for c in before] == [187, None, None]

    # the old key removed too early: a clear 503, nothing answered, nothing audited
    with running(database_url, redis_url, KEY_B) as health:
        refused = read_book(health, w.member)
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["type"].endswith("/health-key-unavailable")
        assert "ISHC_HEALTH_KEYS" in problem["detail"]
        assert len(rows(health, "SELECT id FROM health_book_access")) == accesses
        # what needs no key still answers
        listed = ok(health.http.get(f"/v1/members/{w.member}/health-checks", headers=VL), 200)
        assert len(listed["items"]) == 3

    # the new key first, the old one still listed: everything opens, new values under B
    with running(database_url, redis_url, f"{KEY_B},{KEY_A}") as health:
        assert ok(read_book(health, w.member), 200)["checks"] == before
        record_check(health, w.member, checked_on="2026-11-20", weight_kg="62.4")
        assert opens_under(
            rows(health, "SELECT values_sealed FROM health_check WHERE checked_on = '2026-11-20'")[
                0
            ][0],
            KEY_B,
        )
        sealed_before = tokens(health)
    assert sum(not opens_under(t, KEY_B) for t in sealed_before) == 7

    done = rotate(database_url, f"{KEY_B},{KEY_A}", "--batch-size", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "community_person.name_sealed: 2 re-sealed, 0 already under the newest key, 0 empty, "
        "0 under none of the keys",
        "health_check.values_sealed: 3 re-sealed, 1 already under the newest key, 0 empty, "
        "0 under none of the keys",
        "home_care_visit.note_sealed: 1 re-sealed, 0 already under the newest key, 1 empty, "
        "0 under none of the keys",
        "insurance.card_sealed: 1 re-sealed, 0 already under the newest key, 0 empty, "
        "0 under none of the keys",
        "done: 7 re-sealed in 4 columns",
    ]
    again = rotate(database_url, f"{KEY_B},{KEY_A}")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "done: 0 re-sealed in 4 columns"
    assert "health_check.values_sealed: 0 re-sealed, 4 already under the newest key" in again.stdout

    # the old key dropped: every value opens under B alone, and the book is as it was
    with running(database_url, redis_url, KEY_B) as health:
        after = tokens(health)
        assert len(after) == 8
        assert all(opens_under(t, KEY_B) and not opens_under(t, KEY_A) for t in after)
        under_b = Sealer([KEY_B])
        assert under_b.open(rows(health, "SELECT card_sealed FROM insurance")[0][0]) == (
            "HT2797924000123"
        )
        assert (
            under_b.open(
                rows(health, "SELECT name_sealed FROM community_person WHERE id = 'p-1'")[0][0]
            )
            == "Bà Tư"
        )
        checks = ok(read_book(health, w.member), 200)["checks"]
        assert checks[:3] == before
        assert checks[3]["values"]["weight_kg"] == "62.4"

    # a key that opens nothing: the command says so, exits 1, and changes nothing
    wrong = rotate(database_url, KEY_C)
    assert wrong.returncode == 1
    assert (
        "health_check.values_sealed: 0 re-sealed, 0 already under the newest key, 0 empty, "
        "4 under none of the keys" in wrong.stdout
    )
    assert "open under none of ISHC_HEALTH_KEYS" in wrong.stderr
    with running(database_url, redis_url, KEY_B) as health:
        assert tokens(health) == after


def test_the_command_refuses_to_run_without_a_key(database_url: str) -> None:
    done = rotate(database_url, "")
    assert done.returncode == 2
    assert "ISHC_HEALTH_KEYS is not set" in done.stderr
    done = rotate(database_url, "not-a-key")
    assert done.returncode == 2
    assert "not a Fernet key" in done.stderr
