"""The clubs, funds and loans a caller may read or write: each checked through
the policy; those to write are taken under the club's lock until commit."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_finance import queries
from ishc_finance.models import Fund, Loan
from ishc_finance.service import policy
from ishc_platform.auth import Caller
from ishc_platform.directory import DirectoryClub
from ishc_platform.errors import not_found


async def club_for_read(session: AsyncSession, caller: Caller, club_id: str) -> DirectoryClub:
    """A club whose amounts the caller may read; 404 for one of another province,
    and for one the registry's events have not brought here yet."""
    policy.require_reader_of_funds(caller)
    club = await queries.club(session, club_id)
    if club is None:
        raise not_found("club")
    policy.ensure_visible(caller, club.province, "club")
    return club


async def club_for_write(
    session: AsyncSession, caller: Caller, club_id: str, what: str
) -> DirectoryClub:
    """The club, locked until commit: every money write of a club takes this one
    lock first, so its checks (cash on hand, what is owed, one fee a month) and
    the change they guard are one step on PostgreSQL, where replicas write at once."""
    policy.require_province_token(caller, what)
    club = await queries.club(session, club_id, lock=True)
    if club is None:
        raise not_found("club")
    policy.ensure_visible(caller, club.province, "club")
    return club


async def fund_for_read(
    session: AsyncSession, caller: Caller, fund_id: str
) -> tuple[Fund, DirectoryClub]:
    policy.require_reader_of_funds(caller)
    fund = await queries.fund(session, fund_id)
    if fund is None:
        raise not_found("fund")
    club = await queries.club(session, fund.club_id)
    if club is None:
        raise not_found("fund")
    policy.ensure_visible(caller, club.province, "fund")
    return fund, club


async def fund_for_write(
    session: AsyncSession, caller: Caller, fund_id: str, what: str
) -> tuple[Fund, DirectoryClub]:
    """The fund, with its club locked (`club_for_write`)."""
    policy.require_province_token(caller, what)
    fund = await queries.fund(session, fund_id)
    if fund is None:
        raise not_found("fund")
    club = await queries.club(session, fund.club_id, lock=True)
    if club is None:
        raise not_found("fund")
    policy.ensure_visible(caller, club.province, "fund")
    return fund, club


async def loan_for_read(session: AsyncSession, caller: Caller, loan_id: str) -> Loan:
    """One person's loan: province tokens only."""
    policy.require_province_token(caller, "reading a loan")
    loan = await queries.loan(session, loan_id)
    if loan is None:
        raise not_found("loan")
    club = await queries.club(session, loan.club_id)
    if club is None:
        raise not_found("loan")
    policy.ensure_visible(caller, club.province, "loan")
    return loan


async def loan_for_write(
    session: AsyncSession, caller: Caller, loan_id: str, what: str
) -> tuple[Loan, DirectoryClub]:
    """The loan, its club locked first, then the loan read again under the lock."""
    loan = await loan_for_read(session, caller, loan_id)
    club = await queries.club(session, loan.club_id, lock=True)
    locked = await queries.loan(session, loan_id, lock=True)
    if club is None or locked is None:
        raise not_found("loan")
    policy.ensure_visible(caller, club.province, "loan")
    return locked, club
