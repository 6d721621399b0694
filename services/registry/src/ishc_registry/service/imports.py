"""Spreadsheet imports of clubs or members: all or nothing, re-runnable by
`external_id` (a row whose record exists is updated, or left alone when it
says the same), every problem of every row reported by its row number, field,
column (as the file heads it, and its letter), in Vietnamese or English.

A commune column may hold a commune's name instead of its code: it is looked
for in the token's provinces (the legacy column: in the old provinces merged
into them), and taken when exactly one commune has it; otherwise the problem
lists the candidates' codes. A file has no province column: the token says
where its clubs are, as it says where they may be written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from ishc_platform import admin_units
from ishc_platform.admin_units import Boundary
from ishc_platform.auth import Caller
from ishc_platform.clock import today
from ishc_platform.db import is_unique_violation
from ishc_platform.errors import Problem
from ishc_platform.validation import EARLIEST_DATE, LATEST_DATE, FieldError
from ishc_registry import schemas
from ishc_registry.adapters.spreadsheet import read_sheet
from ishc_registry.domain import clubs as club_rules
from ishc_registry.domain import events
from ishc_registry.domain.members import member_problems
from ishc_registry.domain.messages import Lang, Reason, located, say, short_province, summary
from ishc_registry.domain.places import commune_named, place
from ishc_registry.domain.spreadsheet import (
    HEADERS,
    CellError,
    CommuneName,
    SheetKind,
    SheetRow,
    SpreadsheetError,
)
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
    lang: Lang = Lang.VI
    rows: int = 0
    created: list[Any] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    unchanged: int = 0
    errors: list[schemas.RowProblem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as typed
    letters: dict[str, str] = field(default_factory=dict)  # field -> column letter

    def problem(
        self,
        row: int,
        field_name: str,
        message: str,
        column: str | None = None,
        letter: str | None = None,
        candidates: list[dict[str, str]] | None = None,
    ) -> None:
        """One problem of a row, said in the reader's language where the reader
        will look: the column as the file heads it, its letter, the row."""
        if column is None:
            shown_in = _SHOWN_IN.get(field_name, field_name)
            column, letter = self.headers.get(shown_in), self.letters.get(shown_in)
        text = say(message, self.lang)
        self.errors.append(
            schemas.RowProblem(
                row=row,
                field=field_name,
                message=located(text, self.lang, row=row, column=column, letter=letter),
                column=column,
                column_letter=letter,
                code=message.code if isinstance(message, Reason) else None,
                candidates=candidates,
            )
        )


# A rule's field -> the sheet's column that holds it.
_SHOWN_IN = {"club_id": "club"}


@dataclass(frozen=True)
class _Partial:
    """What a member row says of the dates the rules read, when the row as a whole
    could not be taken: the rules still check the cells that could be read."""

    birth_year: int | None
    birth_date: date | None
    joined_on: date | None


def _schema_reason(error: ErrorDetails, label: str) -> str:
    """A refusal of the API's schema (pydantic), as a Reason the reader can act on."""
    kind, message, context = error["type"], error["msg"], error.get("ctx", {})
    value = error.get("input")
    cause = context.get("error")
    if isinstance(cause, ValueError) and cause.args and isinstance(cause.args[0], Reason):
        return cause.args[0]
    if kind == "missing":
        return Reason(message, "missing", label=label)
    if kind == "string_too_long":
        return Reason(message, "too_long", max=context.get("max_length"))
    if kind == "string_too_short":
        return Reason(message, "blank")
    if kind == "greater_than_equal":
        return Reason(message, "too_small", value=value, bound=context.get("ge"))
    if kind == "less_than_equal":
        return Reason(message, "too_large", value=value, bound=context.get("le"))
    if kind == "value_error" and isinstance(value, date):
        # The platform's calendar range (validation.date_in_range) refused it.
        return Reason(
            message, "date_out_of_range", value=value, low=EARLIEST_DATE, high=LATEST_DATE
        )
    if kind == "string_pattern_mismatch":
        return Reason(message, "bad_key")
    return Reason(message, "invalid", detail=message)


def _schema_problems(
    outcome: Outcome, row: int, exc: ValidationError, kind: SheetKind, known: set[str]
) -> set[str]:
    """Report what the schema refuses, but not again a cell already reported
    (`known`: its value was dropped, so the schema finds it missing); the fields refused."""
    refused: set[str] = set()
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]) or "row"
        if name in known:
            continue
        refused.add(name)
        label = outcome.headers.get(name) or HEADERS[kind].get(name, name)
        outcome.problem(row, name, _schema_reason(error, label))
    return refused


def _failed_cells(errors: list[CellError]) -> dict[int, set[str]]:
    failed: dict[int, set[str]] = {}
    for cell in errors:
        failed.setdefault(cell.row, set()).add(cell.field)
    return failed


async def import_sheet(
    session: AsyncSession,
    caller: Caller,
    *,
    content: bytes,
    filename: str | None,
    kind: SheetKind,
    club_id: str | None,
    dry_run: bool,
    lang: Lang = Lang.VI,
) -> schemas.ImportReport:
    """Every problem of every row is reported at once, in `lang`: each cell that
    cannot be read, then the rules that can still run on the cells that could."""
    policy.require_province_token(caller, "importing")
    try:
        sheet = read_sheet(content, filename=filename, kind=kind)
    except SpreadsheetError as exc:  # the file as a whole: a 422 naming the field
        raise FieldError(exc.field, say(exc.message, lang), **exc.extra) from None
    outcome = Outcome(lang=lang, rows=len(sheet.rows), headers=sheet.headers, letters=sheet.letters)
    for cell in sheet.errors:
        outcome.problem(cell.row, cell.field, cell.message, cell.column, cell.letter)
    failed = _failed_cells(sheet.errors)
    try:
        report = await _apply(session, caller, sheet.rows, kind, club_id, dry_run, outcome, failed)
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
    failed: dict[int, set[str]],
) -> schemas.ImportReport:
    """The rows written, all or nothing: committed only when none has a problem."""
    if kind is SheetKind.CLUBS:
        await _import_clubs(session, caller, rows, outcome, failed)
    else:
        fixed_club = (
            await club_for_write(session, caller, club_id, "importing") if club_id else None
        )
        await _import_members(session, caller, rows, fixed_club, outcome, failed)
    report = schemas.ImportReport(
        kind=kind.value,
        dry_run=dry_run,
        rows=outcome.rows,
        created=len(outcome.created),
        updated=len(outcome.updated),
        unchanged=outcome.unchanged,
        # By row; within a row as found: its unreadable cells left to right, then the rules.
        errors=sorted(outcome.errors, key=lambda e: e.row),
    )
    if dry_run or outcome.errors:
        await session.rollback()
        if outcome.errors and not dry_run:
            raise Problem(
                422,
                summary(len(outcome.errors), outcome.lang),
                kind="import-rejected",
                title="Invalid spreadsheet",
                errors=[e.model_dump() for e in report.errors],
            )
        return report
    await session.commit()
    return report


async def _import_clubs(
    session: AsyncSession,
    caller: Caller,
    rows: list[SheetRow],
    outcome: Outcome,
    failed: dict[int, set[str]],
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
    seen: dict[str, int] = {}  # external_id -> the row that first has it
    scopes = _name_scopes(caller)
    for row in rows:
        before = len(outcome.errors)
        known = set(failed.get(row.row, ()))
        values = dict(row.values)
        for code_field, boundary in CODE_MAPS:
            typed = values.get(code_field)
            if isinstance(typed, CommuneName):
                try:
                    values[code_field] = commune_named(
                        typed.text, code_field, boundary, scopes[boundary]
                    )
                except FieldError as exc:
                    outcome.problem(row.row, exc.field, exc.message, candidates=_candidates(exc))
                    values.pop(code_field)
                    known.add(code_field)
        data: schemas.ClubIn | None = None
        try:
            data = schemas.ClubIn.model_validate(values)
        except ValidationError as exc:
            known |= _schema_problems(outcome, row.row, exc, SheetKind.CLUBS, known)
        # The rules, on the cells that could be read: the same rules as the API's.
        placement = None
        if not known & {"commune_code", "legacy_commune_code"}:
            try:
                placement = place(
                    _text(values.get("commune_code")), _text(values.get("legacy_commune_code"))
                )
            except FieldError as exc:
                outcome.problem(row.row, exc.field, exc.message, candidates=_candidates(exc))
        if placement is not None and not policy.covers(caller, placement.province):
            outcome.problem(row.row, "commune_code", _not_covered(placement.province))
        founded_on = values.get("founded_on")
        if "founded_on" not in known and isinstance(founded_on, date):
            for fault in club_rules.not_in_future(founded_on, "founded_on", on):
                outcome.problem(row.row, *fault)
        external_id = _text(values.get("external_id")) if "external_id" not in known else None
        if external_id is not None:
            if external_id in seen:
                outcome.problem(row.row, "external_id", _duplicate(external_id, seen))
            else:
                seen[external_id] = row.row
        if row.row in failed or len(outcome.errors) > before:
            continue
        assert data is not None and placement is not None  # no problem: both were taken
        club = existing.get(data.external_id) if data.external_id else None
        if club is None:
            outcome.created.append(await new_club(session, data, placement))
        elif club.commune_code != placement.commune_code:
            outcome.problem(
                row.row,
                "commune_code",
                Reason(
                    "differs from the registered club's; relocate it instead",
                    "commune_differs",
                    registered=club.commune_code,
                ),
            )
        elif all(getattr(club, f) == getattr(data, f) for f in CLUB_FIELDS):
            outcome.unchanged += 1
        else:
            await change_club(session, club, {f: getattr(data, f) for f in CLUB_FIELDS})
            outcome.updated.append(club)


CODE_MAPS = (("commune_code", Boundary.CURRENT), ("legacy_commune_code", Boundary.LEGACY))


def _name_scopes(caller: Caller) -> dict[Boundary, set[str]]:
    """Where a commune named in a file is looked for: the token's provinces (current
    map), and on the legacy map the old provinces merged into them."""
    legacy = {
        old.code
        for code in caller.provinces
        if admin_units.current_province(code) is not None
        for old in admin_units.legacy_provinces_of(code)
    }
    return {Boundary.CURRENT: set(caller.provinces), Boundary.LEGACY: legacy}


def _candidates(exc: FieldError) -> list[dict[str, str]] | None:
    """The communes a placement problem suggests (the API's 422 lists them too)."""
    listed = exc.extra.get("candidates", exc.extra.get("successors"))
    return list(listed) if listed else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _not_covered(province: str) -> Reason:
    unit = admin_units.current_province(province)
    return Reason(
        f"the token does not cover province {province}",
        "not_covered",
        province=province,
        province_name=short_province(unit.name) if unit else province,
    )


def _duplicate(key: str, seen: dict[str, int]) -> Reason:
    return Reason("appears twice in the file", "duplicate_key", value=key, first_row=seen[key])


def _readable[T](values: dict[str, object], name: str, known: set[str], kind: type[T]) -> T | None:
    """A cell's typed value, when it was read and the schema took it."""
    value = values.get(name)
    return value if name not in known and isinstance(value, kind) else None


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
    failed: dict[int, set[str]],
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
    seen: dict[str, int] = {}  # "province/external_id" -> the row that first has it
    joined: list[dict[str, Any]] = []
    for row in rows:
        before = len(outcome.errors)
        known = set(failed.get(row.row, ()))
        values = dict(row.values)
        reference = values.pop("club", None)
        club = fixed_club
        if reference is not None:
            club = clubs.get(str(reference))
            if club is None:
                outcome.problem(
                    row.row,
                    "club",
                    Reason(
                        f"no club {reference!r} in the token's provinces",
                        "club_unknown",
                        reference=reference,
                    ),
                )
        elif club is None and "club" not in known:
            outcome.problem(
                row.row,
                "club",
                Reason("name the club in a club column or with club_id", "club_missing"),
            )
        data: schemas.MemberIn | None = None
        try:
            data = schemas.MemberIn.model_validate(values)
        except ValidationError as exc:
            known |= _schema_problems(outcome, row.row, exc, SheetKind.MEMBERS, known)
        # The rules, on the cells that could be read: the same rules as the API's.
        person = data or _Partial(
            birth_year=_readable(values, "birth_year", known, int),
            birth_date=_readable(values, "birth_date", known, date),
            joined_on=_readable(values, "joined_on", known, date),
        )
        birth_unread = bool(known & {"birth_year", "birth_date"})
        for field_name, message in member_problems(person, club.dissolved_on if club else None, on):
            if field_name in known or (
                birth_unread and getattr(message, "code", None) == "birth_missing"
            ):
                continue  # that cell is reported already
            outcome.problem(row.row, field_name, message)
        external_id = _text(values.get("external_id")) if "external_id" not in known else None
        if external_id is not None and club is not None:
            key = f"{club.province}/{external_id}"
            if key in seen:
                outcome.problem(
                    row.row, "external_id", _duplicate(external_id, {external_id: seen[key]})
                )
            else:
                seen[key] = row.row
        if row.row in failed or len(outcome.errors) > before:
            continue
        assert data is not None and club is not None  # no problem: both were taken
        if data.external_id is not None:
            current = active.get((club.province, data.external_id))
            if current is not None:
                if current.club_id != club.id:
                    outcome.problem(
                        row.row,
                        "external_id",
                        Reason(
                            "this person is already an active member of another club",
                            "active_elsewhere",
                        ),
                    )
                    continue
                person_values = member_values(data)
                if all(getattr(current, f) == person_values[f] for f in MEMBER_FIELDS):
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
