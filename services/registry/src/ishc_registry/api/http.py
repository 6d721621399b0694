"""What the registry's routers share: path and query parameters, the ETag and
If-Match translation, and the answers built from records."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from fastapi import Header, Path, Query, Response
from pydantic import BaseModel

from ishc_platform.errors import invalid
from ishc_platform.pagination import Page
from ishc_registry import schemas
from ishc_registry.domain.people import Composition
from ishc_registry.models import BoardSeat, Club, Member

ProvinceCode = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]
# Parsed by expected_version, so every bad value is one 422 naming "If-Match".
IfMatch = Annotated[str | None, Header(description='the ETag you read, e.g. "3"')]
ClubId = Annotated[str, Path(pattern=schemas.ID_PATTERN, description="a club's id")]
MemberId = Annotated[str, Path(pattern=schemas.ID_PATTERN, description="a member's id")]
SearchQuery = Annotated[
    schemas.SearchText | None, Query(max_length=100, description="name, accents optional")
]
# Versions are small counters; nine digits keep any ETag inside a 32-bit column.
MAX_VERSION_DIGITS = 9
_ETAG = re.compile(rf'(?:W/)?"?([0-9]{{1,{MAX_VERSION_DIGITS}}})"?')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match names; None when there is none; 422 when it is not ours."""
    if if_match is None:
        return None
    # ASCII digits only, and few: str.isdigit() takes "²" and int() takes any length.
    match = _ETAG.fullmatch(if_match.strip())
    if match is None:
        raise invalid("If-Match", 'If-Match must be one ETag this API sent, e.g. "3"')
    return int(match.group(1))


def created(response: Response, version: int, location: str) -> None:
    response.headers["ETag"] = etag(version)
    response.headers["Location"] = location


def club_out(club: Club, composition: Composition | None = None) -> schemas.ClubOut:
    return schemas.ClubOut(
        id=club.id,
        name=club.name,
        province=club.province,
        commune_code=club.commune_code,
        legacy_commune_code=club.legacy_commune_code,
        hamlet=club.hamlet,
        founded_on=club.founded_on,
        external_id=club.external_id,
        status="dissolved" if club.dissolved_on else "active",
        dissolved_on=club.dissolved_on,
        version=club.version,
        composition=schemas.CompositionOut.model_validate(composition, from_attributes=True)
        if composition is not None
        else None,
    )


def member_out(member: Member) -> schemas.MemberOut:
    return schemas.MemberOut(
        id=member.id,
        club_id=member.club_id,
        province=member.province,
        full_name=member.full_name,
        sex=member.sex,
        birth_year=member.birth_year,
        birth_date=member.birth_date,
        poverty_status=member.poverty_status,
        ethnic_minority=member.ethnic_minority,
        is_volunteer=member.is_volunteer,
        joined_on=member.joined_on,
        left_on=member.left_on,
        external_id=member.external_id,
        erased=member.erased_at is not None,
        version=member.version,
    )


def seat_out(seat: BoardSeat) -> schemas.SeatOut:
    return schemas.SeatOut(
        position=seat.position, member_id=seat.member_id, from_on=seat.from_on, to_on=seat.to_on
    )


def page_of[T: BaseModel](
    answer: type[T], records: Sequence[object], next_cursor: str | None
) -> Page[T]:
    """A page of records, each answered as `answer` reads it from their attributes."""
    return Page(
        items=[answer.model_validate(r, from_attributes=True) for r in records],
        next_cursor=next_cursor,
    )
