"""Spreadsheet imports of clubs or members: all or nothing, re-runnable by
`external_id` (a row whose record exists is updated, or left alone when it
says the same), every bad row reported by its row number and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform.auth import Caller
from ishc_platform.clock import today
from ishc_platform.db import is_unique_violation
from ishc_platform.errors import Problem
from ishc_platform.validation import FieldError
from ishc_registry import schemas
from ishc_registry.adapters.spreadsheet import read_sheet
from ishc_registry.domain import clubs as club_rules
from ishc_registry.domain import events
from ishc_registry.domain.members import member_problems
from ishc_registry.domain.places import place
from ishc_registry.domain.spreadsheet import SheetKind, SheetRow
from ishc_registry.models import Club, Member
from ishc_registry.service import policy
from ishc_registry.service.access import club_for_write
from ishc_registry.service.clubs import change_club, new_club
from ishc_registry.service.members import change_member, member_values, new_member_row
from ishc_registry.service.writes import publish_all

CLUB_FIELDS = ("name", "hamlet", "founded_on")
MEMBER_FIELDS = (
    "full_name",
    "sex",
    "birth_year",
    "birth_date",
    "poverty_status",
    "ethnic_minority",
    "is_volunteer",
    "joined_on",
)


@dataclass
class Outcome:
    rows: int = 0
    created: list[Any] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    unchanged: int = 0
    errors: list[schemas.RowProblem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as typed

    def problem(self, row: int, field_name: str, message: str, column: str | None = None) -> None:
        self.errors.append(
            schemas.RowProblem(
                row=row,
                field=field_name,
                message=message,
                column=column or self.headers.get(field_name),
            )
        )


def _validation_problems(outcome: Outcome, row: int, exc: ValidationError) -> None:
    for error in exc.errors():
        outcome.problem(row, ".".join(str(p) for p in error["loc"]) or "row", error["msg"])


async def import_sheet(
    session: AsyncSession,
    caller: Caller,
    *,
    content: bytes,
    filename: str | None,
    kind: SheetKind,
    club_id: str | None,
    dry_run: bool,
) -> schemas.ImportReport:
    policy.require_province_token(caller, "importing")
    sheet = read_sheet(
        content, filename=filename, kind=kind
    )  # SpreadsheetError (a FieldError): a 422
    outcome = Outcome(rows=len(sheet.rows), headers=sheet.headers)
    for cell in sheet.errors:
        outcome.problem(cell.row, cell.field, cell.message, cell.column)
    try:
        report = await _apply(session, caller, sheet.rows, kind, club_id, dry_run, outcome)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        # Another write took one of the file's keys between our look-ups and our
        # insert. Nothing was imported; a re-run updates what the other write made.
        await session.rollback()
        raise Problem(
            409,
            "another change took one of this file's keys (external_id) at the same time; "
            "nothing was imported, run the import again",
            kind="conflict",
            title="Conflict",
        ) from None
    return report


async def _apply(
    session: AsyncSession,
    caller: Caller,
    rows: list[SheetRow],
    kind: SheetKind,
    club_id: str | None,
    dry_run: bool,
    outcome: Outcome,
) -> schemas.ImportReport:
    """The rows written, all or nothing: committed only when none has a problem."""
    if kind is SheetKind.CLUBS:
        await _import_clubs(session, caller, rows, outcome)
    else:
        fixed_club = (
            await club_for_write(session, caller, club_id, "importing") if club_id else None
        )
        await _import_members(session, caller, rows, fixed_club, outcome)
    report = schemas.ImportReport(
        kind=kind.value,
        dry_run=dry_run,
        rows=outcome.rows,
        created=len(outcome.created),
        updated=len(outcome.updated),
        unchanged=outcome.unchanged,
        errors=sorted(outcome.errors, key=lambda e: (e.row, e.field)),
    )
    if dry_run or outcome.errors:
        await session.rollback()
        if outcome.errors and not dry_run:
            raise Problem(
                422,
                f"{len(outcome.errors)} problem(s) in the file; nothing was imported",
                kind="import-rejected",
                title="Invalid spreadsheet",
                errors=[e.model_dump() for e in report.errors],
            )
        return report
    await session.commit()
    return report


async def _import_clubs(
    session: AsyncSession, caller: Caller, rows: list[SheetRow], outcome: Outcome
) -> None:
    ids = {str(r.values["external_id"]) for r in rows if r.values.get("external_id")}
    existing = {
        c.external_id: c
        for c in (
            await session.exec(
                select(Club)
                .where(
                    col(Club.province).in_(sorted(caller.provinces)),
                    col(Club.external_id).in_(sorted(ids)),
                )
                .order_by(col(Club.id))
                .with_for_update()  # as the API's updates do; in one order, so no deadlock
            )
        ).all()
    }
    on = today()
    seen: set[str] = set()
    for row in rows:
        try:
            data = schemas.ClubIn.model_validate(row.values)
        except ValidationError as exc:
            _validation_problems(outcome, row.row, exc)
            continue
        try:
            placement = place(data.commune_code, data.legacy_commune_code)
        except FieldError as exc:
            outcome.problem(row.row, exc.field, exc.message)
            continue
        if not policy.covers(caller, placement.province):
            outcome.problem(
                row.row, "commune_code", f"the token does not cover province {placement.province}"
            )
            continue
        future = club_rules.not_in_future(data.founded_on, "founded_on", on)
        if future:
            outcome.problem(row.row, *future[0])
            continue
        if data.external_id is not None:
            if data.external_id in seen:
                outcome.problem(row.row, "external_id", "appears twice in the file")
                continue
            seen.add(data.external_id)
        club = existing.get(data.external_id) if data.external_id else None
        if club is None:
            outcome.created.append(await new_club(session, data, placement))
        elif club.commune_code != placement.commune_code:
            outcome.problem(
                row.row, "commune_code", "differs from the registered club's; relocate it instead"
            )
        elif all(getattr(club, f) == getattr(data, f) for f in CLUB_FIELDS):
            outcome.unchanged += 1
        else:
            await change_club(session, club, {f: getattr(data, f) for f in CLUB_FIELDS})
            outcome.updated.append(club)


async def _clubs_by_reference(
    session: AsyncSession, caller: Caller, references: set[str]
) -> dict[str, Club]:
    if not references:
        return {}
    rows = (
        await session.exec(
            select(Club)
            .where(
                col(Club.province).in_(sorted(caller.provinces)),
                col(Club.external_id).in_(sorted(references))
                | col(Club.id).in_(sorted(references)),
            )
            .order_by(col(Club.id))
            # Locked, so a dissolution or a relocation waits for the import (and
            # the import sees a club dissolved just before it).
            .with_for_update()
        )
    ).all()
    found: dict[str, Club] = {}
    for club in rows:
        found[club.id] = club
        if club.external_id:
            found[club.external_id] = club
    return found


async def _import_members(
    session: AsyncSession,
    caller: Caller,
    rows: list[SheetRow],
    fixed_club: Club | None,
    outcome: Outcome,
) -> None:
    references = {str(r.values["club"]) for r in rows if r.values.get("club")}
    clubs = await _clubs_by_reference(session, caller, references)
    ids = {str(r.values["external_id"]) for r in rows if r.values.get("external_id")}
    active = {
        (m.province, m.external_id): m
        for m in (
            await session.exec(
                select(Member)
                .where(
                    col(Member.province).in_(sorted(caller.provinces)),
                    col(Member.external_id).in_(sorted(ids)),
                    col(Member.left_on).is_(None),
                )
                .order_by(col(Member.id))
                .with_for_update()
            )
        ).all()
    }
    on = today()
    seen: set[tuple[str, str]] = set()
    joined: list[dict[str, Any]] = []
    for row in rows:
        values = dict(row.values)
        reference = values.pop("club", None)
        club = fixed_club
        if reference is not None:
            club = clubs.get(str(reference))
            if club is None:
                outcome.problem(row.row, "club", f"no club {reference!r} in the token's provinces")
                continue
        if club is None:
            outcome.problem(row.row, "club", "name the club in a club column or with club_id")
            continue
        try:
            data = schemas.MemberIn.model_validate(values)
        except ValidationError as exc:
            _validation_problems(outcome, row.row, exc)
            continue
        problems = member_problems(data, club.dissolved_on, on)
        for field_name, message in problems:
            outcome.problem(row.row, field_name, message)
        if problems:
            continue
        if data.external_id is not None:
            key = (club.province, data.external_id)
            if key in seen:
                outcome.problem(row.row, "external_id", "appears twice in the file")
                continue
            seen.add(key)
            current = active.get(key)
            if current is not None:
                if current.club_id != club.id:
                    outcome.problem(
                        row.row,
                        "external_id",
                        "this person is already an active member of another club",
                    )
                    continue
                person = member_values(data)
                if all(getattr(current, f) == person[f] for f in MEMBER_FIELDS):
                    outcome.unchanged += 1
                    continue
                await change_member(session, current, data)
                outcome.updated.append(current)
                continue
        member_row = new_member_row(data, club)
        joined.append(member_row)
        outcome.created.append(member_row["id"])
    # New members go in as two bulk inserts: one ORM object per row cost most of a large import.
    if joined and not outcome.errors:  # a rejected file is rolled back anyway
        await session.exec(insert(Member), params=joined)
        await publish_all(
            session,
            [(m["id"], m["province"], events.member_joined(m)) for m in joined],
            new_aggregates=True,
        )
