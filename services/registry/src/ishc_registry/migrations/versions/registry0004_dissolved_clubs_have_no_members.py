"""dissolved clubs have no active members

Dissolving a club now ends its active memberships on the dissolution date
(README, Registry). This ends them for clubs dissolved before, with the same
`member.left` events (and a `board.changed` where seats end) recorded in the
outbox, so the relay publishes them and consumers learn it as from the API.

The envelope and outbox row are written out here rather than through
`ishc_platform.outbox` (async, session-bound, and free to change later): a
migration keeps the shape of its day.

Revision ID: registry0004
Revises: registry0003
Create Date: 2026-11-30 12:00:00
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from ishc_contracts import Envelope, new_event_id

revision: str = "registry0004"
down_revision: str | None = "registry0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "p0001"  # the outbox table

member = sa.table(
    "member",
    sa.column("id", sa.String),
    sa.column("club_id", sa.String),
    sa.column("joined_on", sa.Date),
    sa.column("left_on", sa.Date),
    sa.column("version", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
club = sa.table(
    "club",
    sa.column("id", sa.String),
    sa.column("province", sa.String),
    sa.column("dissolved_on", sa.Date),
)
seat = sa.table(
    "board_seat",
    sa.column("id", sa.Integer),
    sa.column("club_id", sa.String),
    sa.column("to_on", sa.Date),
)
outbox = sa.table(
    "outbox",
    sa.column("event_id", sa.String),
    sa.column("type", sa.String),
    sa.column("subject", sa.String),
    sa.column("sequence", sa.Integer),
    sa.column("province", sa.String),
    sa.column("envelope", sa.Text),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _row(
    event_type: str, subject: str, sequence: int, province: str, data: dict[str, Any]
) -> dict[str, Any]:
    envelope = Envelope(
        id=new_event_id(),
        type=event_type,
        source="/ishc/registry",
        time=datetime.now(UTC),
        subject=subject,
        sequence=sequence,
        province=province,
        data=data,
    )
    return {
        "event_id": str(envelope.id),
        "type": envelope.type,
        "subject": envelope.subject,
        "sequence": envelope.sequence,
        "province": envelope.province,
        "envelope": envelope.model_dump_json(),
        "created_at": envelope.time,
    }


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    ending = connection.execute(
        sa.select(
            member.c.id,
            member.c.club_id,
            club.c.province,
            # A member who joined after the (backdated) dissolution leaves the day
            # they joined: a membership never ends before it starts.
            sa.case(
                (member.c.joined_on > club.c.dissolved_on, member.c.joined_on),
                else_=club.c.dissolved_on,
            ),
        )
        .join(club, club.c.id == member.c.club_id)
        .where(club.c.dissolved_on.is_not(None), member.c.left_on.is_(None))
        .order_by(member.c.club_id, member.c.id)
    ).all()
    seats = connection.execute(
        sa.select(seat.c.club_id, club.c.province, club.c.dissolved_on)
        .join(club, club.c.id == seat.c.club_id)
        .where(club.c.dissolved_on.is_not(None), seat.c.to_on.is_(None))
        .distinct()
        .order_by(seat.c.club_id)
    ).all()
    if not ending and not seats:
        return
    subjects = [m for m, *_ in ending] + [c for c, *_ in seats]
    last: dict[str, int] = defaultdict(int)
    for chunk in range(0, len(subjects), 1000):
        for subject, sequence in connection.execute(
            sa.select(outbox.c.subject, sa.func.max(outbox.c.sequence))
            .where(outbox.c.subject.in_(subjects[chunk : chunk + 1000]))
            .group_by(outbox.c.subject)
        ):
            last[subject] = int(sequence)

    dissolved = club.c.dissolved_on.is_not(None)
    if ending:
        connection.execute(
            member.update()
            .where(member.c.id == sa.bindparam("member_id"))
            .values(left_on=sa.bindparam("left_on"), version=member.c.version + 1, updated_at=now),
            [{"member_id": m, "left_on": left_on} for m, _club, _province, left_on in ending],
        )
    connection.execute(
        seat.update()
        .where(seat.c.to_on.is_(None), seat.c.club_id.in_(sa.select(club.c.id).where(dissolved)))
        .values(
            to_on=sa.select(club.c.dissolved_on)
            .where(club.c.id == seat.c.club_id)
            .scalar_subquery()
        )
    )
    rows = [
        _row(
            "ishc.registry.member.left.v1",
            member_id,
            last[member_id] + 1,
            province,
            {"member_id": member_id, "club_id": club_id, "left_on": left_on.isoformat()},
        )
        for member_id, club_id, province, left_on in ending
    ]
    rows += [
        _row(
            "ishc.registry.board.changed.v1",
            club_id,
            last[club_id] + 1,
            province,
            {
                "club_id": club_id,
                "effective_on": dissolved_on.isoformat(),
                "seats": [],
                "complete": False,
            },
        )
        for club_id, province, dissolved_on in seats
    ]
    connection.execute(outbox.insert(), rows)


def downgrade() -> None:
    """Nothing to undo: the memberships ended and their events were published."""
