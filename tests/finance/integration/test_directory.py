"""finance keeps its directory of clubs and members from registry events, over
a real Redis stream, applying each event once and never going backwards."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import redis
from fastapi.testclient import TestClient
from faststream.redis import RedisBroker
from redis.asyncio import Redis

from ishc_contracts import Envelope, new_event_id
from ishc_contracts.registry_events import ClubDissolved, ClubRegistered, MemberJoined
from ishc_finance.app import create_app
from ishc_platform.broker import EventPublisher
from ishc_platform.clock import utcnow
from ishc_platform.db import make_sync_engine
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.settings import Settings

pytestmark = pytest.mark.integration
SECRET = "s" * 48


def envelope(event_type: str, subject: str, sequence: int, data: object) -> str:
    return Envelope(
        id=new_event_id(),
        type=event_type,
        source="/ishc/registry",
        time=utcnow(),
        subject=subject,
        sequence=sequence,
        province="86",
        data=data.model_dump(mode="json"),  # type: ignore[attr-defined]
    ).model_dump_json()


async def publish(redis_url: str, stream: str, bodies: list[str]) -> None:
    broker = RedisBroker(redis_url)
    await broker.connect()
    client = Redis.from_url(redis_url)
    await EventPublisher(broker, client, stream, "registry").publish_many(bodies)
    await broker.stop()
    await client.aclose()


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    value = f"test.{uuid.uuid4().hex[:10]}."
    yield value
    r = redis.Redis.from_url(redis_url)
    keys = r.keys(f"{value}*")
    if keys:
        r.delete(*keys)


def test_directory_follows_registry_events(database_url: str, redis_url: str, prefix: str) -> None:
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        consumer_block_ms=50,
    )
    registered = envelope(
        "ishc.registry.club.registered.v1",
        "c-1",
        1,
        ClubRegistered(club_id="c-1", commune_code="29623", founded_on=date(2020, 5, 1)),
    )
    dissolved = envelope(
        "ishc.registry.club.dissolved.v1",
        "c-1",
        2,
        ClubDissolved(club_id="c-1", dissolved_on=date(2026, 6, 30)),
    )
    joined = envelope(
        "ishc.registry.member.joined.v1",
        "m-1",
        1,
        MemberJoined(
            member_id="m-1",
            club_id="c-1",
            sex="female",
            birth_year=1950,
            poverty_status="poor",
            is_volunteer=True,
            joined_on=date(2021, 1, 1),
        ),
    )
    with TestClient(create_app(settings)):
        # Out of order within the club, and a duplicate: the directory must end dissolved.
        asyncio.run(
            publish(
                redis_url, f"{prefix}ishc.registry", [dissolved, registered, joined, registered]
            )
        )
        engine = make_sync_engine(database_url)
        from sqlmodel import Session, select

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with Session(engine) as session:
                if session.exec(select(DirectoryMember)).first() is not None:
                    break
            time.sleep(0.05)
        with Session(engine) as session:
            club = session.get(DirectoryClub, "c-1")
            member = session.get(DirectoryMember, "m-1")
        engine.dispose()
    assert club is not None and member is not None
    assert (club.province, club.commune_code, club.dissolved_on, club.status_sequence) == (
        "86",
        "29623",
        date(2026, 6, 30),
        2,
    )
    assert (member.club_id, member.joined_on, member.is_volunteer) == (
        "c-1",
        date(2021, 1, 1),
        True,
    )


def test_ops_list_dead_letters_and_a_broken_entry_cannot_be_redriven(
    tmp_path: object, redis_url: str, prefix: str
) -> None:
    from ishc_platform.auth import Role, issue_token

    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/finance.db",
        redis_url=redis_url,
        jwt_secrets=SECRET,
        stream_prefix=prefix,
        consumer_block_ms=50,
    )
    stream = f"{prefix}ishc.registry"
    ops = {"Authorization": f"Bearer {issue_token(SECRET, sub='ops', role=Role.OPS)}"}
    broken = envelope(
        "ishc.registry.club.registered.v1",
        "c-9",
        1,
        ClubRegistered(club_id="c-9", commune_code="29623", founded_on=date(2020, 5, 1)),
    ).replace("ishc.registry.club.registered.v1", "ishc.registry.club.flew.v1")
    with TestClient(create_app(settings)) as client:
        asyncio.run(publish(redis_url, stream, [broken]))
        deadline = time.monotonic() + 10
        items: list[dict[str, object]] = []
        while not items and time.monotonic() < deadline:
            reply = client.get("/v1/dead-letters", params={"stream": stream}, headers=ops)
            assert reply.status_code == 200
            items = reply.json()["items"]
            time.sleep(0.05)
        assert len(items) == 1
        assert items[0]["group"] == "finance"
        assert str(items[0]["error"]).startswith("contract: unknown event type")
        redrive = client.post(
            f"/v1/dead-letters/{items[0]['entry_id']}/redrive",
            params={"stream": stream},
            headers=ops,
        )
        assert redrive.status_code == 409
        assert "contract" in redrive.json()["detail"]
        missing = client.post(
            "/v1/dead-letters/1-1/redrive", params={"stream": stream}, headers=ops
        )
        assert missing.status_code == 404
