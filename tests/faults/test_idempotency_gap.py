"""A committed POST whose answer is lost must be replayed, never run twice
(docs/security.md, "During a restart"). The fault run's `terminate_db` and
`kill_service` landed between a write's commit and the storing of its answer
when `IdempotencyMiddleware` stored the answer in a transaction of its own: a
connection cut there answered 503 (whose contract is that nothing was done) and
the retry ran the write again, two members for one write.

The answer now commits with the change (`ishc_platform.idempotency`). Here the
connection is cut while the answer is being stored, with a lock held on purpose:
the change goes with it, the 503 is true, and the retry makes exactly one member.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ishc_platform.auth import Role, issue_token
from tests.helpers.services import ServiceProcess

pytestmark = pytest.mark.e2e
SECRET = "g" * 48


@pytest.fixture
def registry(fresh_postgres: str, redis_url: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    env = {
        "ISHC_JWT_SECRETS": SECRET,
        "ISHC_DATABASE_URL": fresh_postgres,
        "ISHC_REDIS_URL": redis_url,
        "ISHC_STREAM_PREFIX": f"gap.{tmp_path.name}.",
        "ISHC_RATE_LIMIT_PER_MINUTE": "0",
        "ISHC_LOG_JSON": "false",
    }
    process = ServiceProcess("registry", env, tmp_path / "registry.log")
    process.start(timeout=120)
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.timeout(180)
def test_a_write_committed_before_its_answer_was_stored_is_not_run_again(
    registry: ServiceProcess, fresh_postgres: str
) -> None:
    token = issue_token(SECRET, sub="gap", role=Role.PROVINCE, provinces=["86"])
    client = httpx.Client(
        base_url=registry.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
    )
    club = client.post(
        "/v1/clubs",
        json={"name": "CLB Nhơn Phú", "commune_code": "29623", "founded_on": "2020-01-01"},
    ).json()["id"]
    key = "gap-test-1"
    member = {
        "full_name": "Hội viên",
        "sex": "female",
        "birth_year": 1950,
        "joined_on": "2021-01-01",
    }
    path = f"/v1/clubs/{club}/members"
    answers: list[httpx.Response] = []

    def post() -> None:
        answers.append(client.post(path, json=member, headers={"Idempotency-Key": key}))

    with (
        psycopg.connect(fresh_postgres) as outbox_lock,
        psycopg.connect(fresh_postgres) as answer_lock,
        psycopg.connect(fresh_postgres, autocommit=True) as probe,
    ):
        # The member's transaction waits at its outbox row while the key is claimed...
        outbox_lock.execute("LOCK TABLE outbox IN SHARE MODE")
        sender = threading.Thread(target=post)
        sender.start()
        claimed = "SELECT 1 FROM idempotency WHERE key = %s"
        deadline = time.monotonic() + 30
        while not probe.execute(claimed, (key,)).fetchone() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not probe.execute(claimed, (key,)).fetchone():
            pytest.fail("the key was never claimed: revisit this test")
        # ...then the claim is held, the member commits, and storing its answer waits.
        answer_lock.execute("SELECT 1 FROM idempotency WHERE key = %s FOR UPDATE", (key,))
        outbox_lock.commit()
        waiting: list[tuple[int]] = []
        while not waiting and time.monotonic() < deadline:
            waiting = probe.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query ILIKE 'UPDATE idempotency%%' AND datname = current_database()"
            ).fetchall()
            time.sleep(0.02)
        if not waiting:
            pytest.fail("the answer was never stored: revisit this test")
        probe.execute("SELECT pg_terminate_backend(%s)", (waiting[0][0],))  # the cut
        time.sleep(0.5)
        answer_lock.rollback()
        sender.join(30)
    # 503 with Retry-After, "retry shortly": nothing was done, the change included.
    first = answers[0].status_code if answers else None
    assert first == 503 and answers[0].headers.get("retry-after"), answers
    assert answers[0].json()["status"] == 503  # the problem alone, nothing of the 201

    retry = None
    for _ in range(10):  # the client does what the 503 asks: the same key again
        try:
            retry = client.post(path, json=member, headers={"Idempotency-Key": key})
            break
        except httpx.TransportError:
            time.sleep(0.5)
    if retry is None or retry.status_code not in (200, 201):
        pytest.fail(f"the retry was not accepted: {retry}")
    members = client.get(path).json()["items"]
    assert len(members) == 1, (
        f"one write answered {first} then {retry.status_code}: {len(members)} members"
    )
