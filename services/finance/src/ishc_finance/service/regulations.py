"""Use cases of a club's regulation (quy chế): adopt a version, list the versions;
and the terms in force on a date, which funds, fees and loans are checked against.

A version is never changed: a club adopts a new one (version + 1), in force from
its `effective_on` until the next version's."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.finance_events import InterestMethod, RegulationAdopted
from ishc_finance import queries, schemas
from ishc_finance.domain.dates import check_dated
from ishc_finance.domain.regulations import NationalBands, RegulationTerms, check_regulation
from ishc_finance.models import Regulation
from ishc_finance.service.access import club_for_read, club_for_write
from ishc_finance.service.writes import new_id
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.directory import DirectoryClub
from ishc_platform.outbox import publish
from ishc_platform.pagination import decode_cursor, keyset
from ishc_platform.validation import FieldError


def methods_of(row: Regulation) -> frozenset[InterestMethod]:
    return frozenset(InterestMethod(m) for m in row.methods.split(",") if m)


def terms_of(row: Regulation) -> RegulationTerms:
    """A stored version as the domain reads it."""
    return RegulationTerms(
        effective_on=row.effective_on,
        rate_min=row.rate_min,
        rate_max=row.rate_max,
        fee_min_vnd=row.fee_min_vnd,
        fee_max_vnd=row.fee_max_vnd,
        max_loan_vnd=row.max_loan_vnd,
        max_term_months=row.max_term_months,
        methods=methods_of(row),
        rounding_unit_vnd=row.rounding_unit_vnd,
        version=row.version,
    )


async def adopt_regulation(
    session: AsyncSession,
    caller: Caller,
    club_id: str,
    data: schemas.RegulationIn,
    national: NationalBands,
) -> tuple[Regulation, DirectoryClub]:
    """The club's next version, inside the national band, in force from a date
    that is not in the future, not before the club was founded and not before
    the version it follows."""
    club = await club_for_write(session, caller, club_id, "adopting a regulation")
    versions = await queries.regulations(session, club.club_id)
    previous = versions[-1] if versions else None
    terms = RegulationTerms(
        effective_on=data.effective_on,
        rate_min=data.rate_min,
        rate_max=data.rate_max,
        fee_min_vnd=data.fee_min_vnd,
        fee_max_vnd=data.fee_max_vnd,
        max_loan_vnd=data.max_loan_vnd,
        max_term_months=data.max_term_months,
        methods=frozenset(data.methods),
        rounding_unit_vnd=data.rounding_unit_vnd,
        version=previous.version + 1 if previous else 1,
    )
    check_regulation(terms, national)
    check_dated(
        data.effective_on,
        "effective_on",
        today=today(),
        dissolved_on=club.dissolved_on,
        not_before=club.founded_on,
        not_before_what="the club was founded",
    )
    if previous is not None and data.effective_on < previous.effective_on:
        raise FieldError(
            "effective_on",
            f"effective_on {data.effective_on:%d/%m/%Y} is before version {previous.version} "
            f"took effect on {previous.effective_on:%d/%m/%Y}",
            previous_version=previous.version,
        )
    methods = sorted(m.value for m in terms.methods)
    row = Regulation(
        id=new_id(),
        club_id=club.club_id,
        version=terms.version,
        effective_on=terms.effective_on,
        rate_min=terms.rate_min,
        rate_max=terms.rate_max,
        fee_min_vnd=terms.fee_min_vnd,
        fee_max_vnd=terms.fee_max_vnd,
        max_loan_vnd=terms.max_loan_vnd,
        max_term_months=terms.max_term_months,
        methods=",".join(methods),
        rounding_unit_vnd=terms.rounding_unit_vnd,
        adopted_by=caller.sub,
        created_at=utcnow(),
    )
    session.add(row)
    await publish(
        session,
        club.club_id,
        club.province,
        RegulationAdopted(
            regulation_id=row.id,
            club_id=club.club_id,
            version=row.version,
            effective_on=row.effective_on,
            rate_min=row.rate_min,
            rate_max=row.rate_max,
            fee_min_vnd=row.fee_min_vnd,
            fee_max_vnd=row.fee_max_vnd,
            max_loan_vnd=row.max_loan_vnd,
            max_term_months=row.max_term_months,
            methods=[InterestMethod(m) for m in methods],
            rounding_unit_vnd=row.rounding_unit_vnd,
        ),
    )
    await session.commit()
    return row, club


async def list_regulations(
    session: AsyncSession, caller: Caller, club_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Regulation], str | None, DirectoryClub]:
    """The club's versions, oldest first (national and province tokens)."""
    club = await club_for_read(session, caller, club_id)
    position = decode_cursor(cursor, {"after": int})
    query = select(Regulation).where(Regulation.club_id == club.club_id)
    if position is not None:
        query = query.where(Regulation.version > position["after"])
    rows = (await session.exec(query.order_by(col(Regulation.version)).limit(limit + 1))).all()
    page, next_cursor = keyset(rows, limit, lambda row: {"after": row.version})
    return page, next_cursor, club
