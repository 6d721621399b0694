"""The local directory of clubs and members that finance and health keep,
built from registry events (no synchronous calls between services). It also
tells a service which province a club belongs to, for access control."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel
from sqlalchemy import MetaData
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts import Event
from ishc_contracts import registry_events as re
from ishc_platform.projection import set_if_newer


class DirectoryTable(SQLModel):
    metadata = MetaData()


class DirectoryClub(DirectoryTable, table=True):
    """A club as the registry last described it. Each concern keeps the
    sequence of the event that last set it, so an older event arriving late
    fills what is missing and never overwrites what a newer one set."""

    __tablename__ = "directory_club"

    club_id: str = Field(primary_key=True, max_length=36)
    province: str = Field(max_length=2, index=True)
    commune_code: str | None = Field(default=None, max_length=5)
    legacy_commune_code: str | None = Field(default=None, max_length=5)
    founded_on: date | None = None
    placement_sequence: int = 0
    dissolved_on: date | None = None
    status_sequence: int = 0


class DirectoryMember(DirectoryTable, table=True):
    __tablename__ = "directory_member"

    member_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    province: str = Field(max_length=2, index=True)
    joined_on: date | None = None
    is_volunteer: bool = False  # a home-care volunteer (tình nguyện viên)
    facts_sequence: int = 0
    left_on: date | None = None
    status_sequence: int = 0


directory_metadata = DirectoryTable.metadata


async def apply_registry_events(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """Upsert the directory from club and member events (others are ignored)."""
    for event in events:
        payload, sequence = event.payload, event.envelope.sequence
        if isinstance(payload, re.ClubPlacement | re.ClubDissolved):
            club = await session.get(DirectoryClub, payload.club_id) or DirectoryClub(
                club_id=payload.club_id, province=event.envelope.province
            )
            if isinstance(payload, re.ClubPlacement):
                set_if_newer(
                    club,
                    "placement_sequence",
                    sequence,
                    province=event.envelope.province,
                    commune_code=payload.commune_code,
                    legacy_commune_code=payload.legacy_commune_code,
                    # a relocation says nothing of the founding
                    founded_on=getattr(payload, "founded_on", club.founded_on),
                )
            else:
                set_if_newer(club, "status_sequence", sequence, dissolved_on=payload.dissolved_on)
            session.add(club)
        elif isinstance(payload, re.MemberFacts | re.MemberLeft):
            member = await session.get(DirectoryMember, payload.member_id) or DirectoryMember(
                member_id=payload.member_id,
                club_id=payload.club_id,
                province=event.envelope.province,
            )
            if isinstance(payload, re.MemberJoined | re.MemberUpdated):
                set_if_newer(
                    member,
                    "facts_sequence",
                    sequence,
                    club_id=payload.club_id,
                    province=event.envelope.province,
                    joined_on=payload.joined_on,
                    is_volunteer=payload.is_volunteer,
                )
            elif isinstance(payload, re.MemberLeft):
                set_if_newer(member, "status_sequence", sequence, left_on=payload.left_on)
            session.add(member)
