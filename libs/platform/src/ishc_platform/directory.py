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


class DirectoryTable(SQLModel):
    metadata = MetaData()


class DirectoryClub(DirectoryTable, table=True):
    __tablename__ = "directory_club"

    club_id: str = Field(primary_key=True, max_length=36)
    province: str = Field(max_length=2, index=True)
    commune_code: str = Field(max_length=5)
    legacy_commune_code: str | None = Field(default=None, max_length=5)
    founded_on: date | None = None
    dissolved_on: date | None = None
    last_sequence: int = 0


class DirectoryMember(DirectoryTable, table=True):
    __tablename__ = "directory_member"

    member_id: str = Field(primary_key=True, max_length=36)
    club_id: str = Field(max_length=36, index=True)
    province: str = Field(max_length=2, index=True)
    joined_on: date | None = None
    left_on: date | None = None
    last_sequence: int = 0


directory_metadata = DirectoryTable.metadata


async def apply_registry_events(session: AsyncSession, events: Sequence[Event[BaseModel]]) -> None:
    """Upsert the directory. Within an aggregate, an event older than the last
    applied one (by `sequence`) is skipped, so late duplicates never roll back."""
    for event in events:
        payload = event.payload
        envelope = event.envelope
        if isinstance(payload, re.ClubPlacement | re.ClubDissolved):
            club = await session.get(DirectoryClub, payload.club_id)
            if club is None:
                club = DirectoryClub(
                    club_id=payload.club_id,
                    province=envelope.province,
                    commune_code=getattr(payload, "commune_code", ""),
                )
            elif envelope.sequence <= club.last_sequence:
                continue
            club.province = envelope.province
            if isinstance(payload, re.ClubPlacement):
                club.commune_code = payload.commune_code
                club.legacy_commune_code = payload.legacy_commune_code
            if isinstance(payload, re.ClubRegistered | re.ClubUpdated):
                club.founded_on = payload.founded_on
            if isinstance(payload, re.ClubDissolved):
                club.dissolved_on = payload.dissolved_on
            club.last_sequence = envelope.sequence
            session.add(club)
        elif isinstance(payload, re.MemberFacts | re.MemberLeft):
            member = await session.get(DirectoryMember, payload.member_id)
            if member is None:
                member = DirectoryMember(
                    member_id=payload.member_id, club_id=payload.club_id, province=envelope.province
                )
            elif envelope.sequence <= member.last_sequence:
                continue
            member.club_id = payload.club_id
            member.province = envelope.province
            if isinstance(payload, re.MemberJoined | re.MemberUpdated):
                member.joined_on = payload.joined_on
            if isinstance(payload, re.MemberLeft):
                member.left_on = payload.left_on
            member.last_sequence = envelope.sequence
            session.add(member)
