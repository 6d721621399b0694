"""Use cases of the health book (sổ theo dõi sức khỏe): read it, print it, export
the member's own copy, and erase the member's clinical values.

- Province tokens of the member's province only (`service.access`): another
  province's member is a 404, a national or ops token a 403.
- Every read, print, export and erasure writes its audit row
  (`service.audit.record_access`) in the transaction of the read: the answer is
  given only once the row is committed.
- A withdrawn consent hides the checks recorded under it (`domain.consent.visible`):
  the book then answers the consent's state and no check, except to an auditor
  (a province token with the `auditor` claim), whose reads are audited as such.
- Erasure (PDPL 91/2025) removes every sealed value of the member: the checks'
  values (their dates, checker and the count stay, anonymous), the insurance
  cards' numbers, the notes of home-care visits to the member; it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_contracts.health_events import Beneficiary, Checker
from ishc_health import queries
from ishc_health.adapters.sealing import Sealer
from ishc_health.domain import checks as rules
from ishc_health.domain import consent as consent_rules
from ishc_health.models import Consent, HealthCheck, HomeCareVisit, Insurance
from ishc_health.service import audit
from ishc_health.service.access import member_for_read, member_for_write
from ishc_health.service.checks import checks_of, open_check
from ishc_health.service.consent import consents_of, facts_of
from ishc_platform.auth import Caller
from ishc_platform.clock import today, utcnow
from ishc_platform.directory import DirectoryClub, DirectoryMember
from ishc_platform.errors import not_found


@dataclass(frozen=True)
class BookView:
    """A member's book as one caller may see it."""

    member: DirectoryMember
    club: DirectoryClub
    as_of: date
    consents: list[Consent]
    state: consent_rules.ConsentState
    hidden: bool  # checks a withdrawn consent hides from this caller (none shown)
    audit_view: bool  # an auditor sees checks a withdrawn consent hides
    book: rules.Book | None  # None: nothing of the checks may be shown

    @property
    def shown_consent(self) -> Consent | None:
        """The standing consent, else the last one."""
        standing = next((c for c in self.consents if c.withdrawn_on is None), None)
        return standing or (self.consents[-1] if self.consents else None)


@dataclass(frozen=True)
class ExportView:
    view: BookView
    exported_at: datetime


async def _member_and_club(
    session: AsyncSession, caller: Caller, member_id: str, what: str
) -> tuple[DirectoryMember, DirectoryClub]:
    member = await member_for_read(session, caller, member_id, what)
    club = await queries.club(session, member.club_id)
    if club is None:  # the directory always has a member's club; never guess one
        raise not_found("member")
    return member, club


async def _book(
    session: AsyncSession,
    caller: Caller,
    member: DirectoryMember,
    club: DirectoryClub,
    sealer: Sealer,
) -> BookView:
    rows = await consents_of(session, member.member_id)
    consents = [facts_of(row) for row in rows]
    state = consent_rules.state(consents)
    checks = await checks_of(session, member.member_id)
    visible = [c for c in checks if consent_rules.visible(consents, c.checked_on)]
    hidden = len(visible) < len(checks)
    shown = checks if caller.auditor else visible
    on = today()

    def view(book: rules.Book | None) -> BookView:
        return BookView(
            member=member,
            club=club,
            as_of=on,
            consents=rows,
            state=state,
            hidden=hidden and not caller.auditor,
            audit_view=hidden and caller.auditor,
            book=book,
        )

    if state is not consent_rules.ConsentState.STANDING and not caller.auditor:
        return view(None)  # the consent's state, and nothing of the checks
    facts = []
    for row in shown:
        opened = open_check(sealer, row)
        facts.append(
            rules.CheckFacts(
                check_id=row.id,
                checked_on=row.checked_on,
                checker=Checker(row.checker),
                checker_member_id=row.checker_member_id,
                station=opened[1] if opened is not None else None,
                values=opened[0] if opened is not None else None,
            )
        )
    return view(rules.book(facts, on))


async def read_book(
    session: AsyncSession,
    caller: Caller,
    member_id: str,
    sealer: Sealer,
    *,
    reason: str,
    action: audit.Action,
) -> BookView:
    """The member's health book, to read (JSON) or print (the page); audited."""
    member, club = await _member_and_club(session, caller, member_id, "reading a health book")
    found = await _book(session, caller, member, club, sealer)
    audit.record_access(session, caller, member, club, action, reason)
    await session.commit()
    return found


async def export_book(
    session: AsyncSession, caller: Caller, member_id: str, sealer: Sealer, *, reason: str
) -> ExportView:
    """The member's own copy (right of access): consents and the book; audited."""
    member, club = await _member_and_club(session, caller, member_id, "exporting a health book")
    found = await _book(session, caller, member, club, sealer)
    audit.record_access(session, caller, member, club, audit.Action.EXPORT, reason)
    await session.commit()
    return ExportView(found, utcnow())


@dataclass(frozen=True)
class Erasure:
    member: DirectoryMember
    club: DirectoryClub
    checks_kept: int
    checks_erased: int
    insurance_cards_erased: int
    visit_notes_erased: int


async def erase_health_data(
    session: AsyncSession, caller: Caller, member_id: str, *, reason: str
) -> Erasure:
    """Remove every sealed value of the member; keep the dates (anonymous counts).
    Again, it erases nothing more (and is audited again)."""
    member, club = await member_for_write(
        session, caller, member_id, "erasing a member's health data"
    )
    now = utcnow()
    checks = await session.exec(
        update(HealthCheck)
        .where(
            col(HealthCheck.member_id) == member.member_id,
            col(HealthCheck.erased_at).is_(None),
        )
        .values(values_sealed=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    cards = await session.exec(
        update(Insurance)
        .where(col(Insurance.member_id) == member.member_id, col(Insurance.card_sealed).isnot(None))
        .values(card_sealed=None)
        .execution_options(synchronize_session=False)
    )
    notes = await session.exec(
        update(HomeCareVisit)
        .where(
            col(HomeCareVisit.beneficiary) == Beneficiary.MEMBER.value,
            col(HomeCareVisit.beneficiary_id) == member.member_id,
            col(HomeCareVisit.note_sealed).isnot(None),
        )
        .values(note_sealed=None)
        .execution_options(synchronize_session=False)
    )
    kept = await session.scalar(
        select(func.count())
        .select_from(HealthCheck)
        .where(HealthCheck.member_id == member.member_id)
    )
    audit.record_access(session, caller, member, club, audit.Action.ERASE, reason)
    await session.commit()
    return Erasure(
        member=member,
        club=club,
        checks_kept=int(kept or 0),
        checks_erased=checks.rowcount,
        insurance_cards_erased=cards.rowcount,
        visit_notes_erased=notes.rowcount,
    )
