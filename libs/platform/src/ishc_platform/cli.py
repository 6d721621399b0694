"""`ishc-admin`: operations commands (issue tokens, apply migrations)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import typer

from ishc_platform.auth import MAX_LIFETIME, Role, issue_token
from ishc_platform.migrate import upgrade
from ishc_platform.settings import Settings

app = typer.Typer(no_args_is_help=True, help="ISHC operations commands.")
token_app = typer.Typer(no_args_is_help=True, help="Bearer tokens for systems and people.")
app.add_typer(token_app, name="token")

_LIFETIME = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_lifetime(text: str) -> timedelta:
    """`90m`, `12h` or `30d`, at most a year."""
    match = _LIFETIME.match(text.strip())
    if not match:
        raise typer.BadParameter("give a number and a unit: 90m, 12h or 30d")
    lifetime = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise typer.BadParameter("a token lives more than 0 and at most 366 days")
    return lifetime


@token_app.command("issue")
def issue(
    role: Annotated[Role, typer.Option(help="national, province or ops")],
    sub: Annotated[str, typer.Option(help="who holds it: a system or a person's account id")],
    province: Annotated[
        list[str] | None, typer.Option("--province", "-p", help="2-digit code; repeat for several")
    ] = None,
    lifetime: Annotated[str, typer.Option(help="90m, 12h or 30d")] = "12h",
    auditor: Annotated[
        bool,
        typer.Option(
            help="a province auditor's: also reads health records hidden by withdrawn consent"
        ),
    ] = False,
) -> None:
    """Print a signed token (signed with the first of ISHC_JWT_SECRETS)."""
    settings = Settings()
    if not settings.jwt_secret_list:
        raise typer.BadParameter("ISHC_JWT_SECRETS is not set", param_hint="environment")
    provinces = province or []
    for code in provinces:
        if not (len(code) == 2 and code.isdigit()):
            raise typer.BadParameter(
                f"{code!r} is not a 2-digit province code", param_hint="--province"
            )
    if role is Role.PROVINCE and not provinces:
        raise typer.BadParameter("a province token needs --province", param_hint="--province")
    if role is not Role.PROVINCE and provinces:
        raise typer.BadParameter("only province tokens carry provinces", param_hint="--province")
    if auditor and role is not Role.PROVINCE:
        raise typer.BadParameter(
            "only a province token can be an auditor's", param_hint="--auditor"
        )
    typer.echo(
        issue_token(
            settings.jwt_secret_list[0],
            sub=sub,
            role=role,
            provinces=provinces,
            lifetime=parse_lifetime(lifetime),
            auditor=auditor,
        )
    )


@app.command("migrate")
def migrate(
    service: Annotated[str, typer.Argument(help="registry, finance, health or reporting")],
) -> None:
    """Apply a service's migrations to ISHC_DATABASE_URL (or its SQLite default)."""
    settings = Settings(service_name=service)
    upgrade(service, settings.resolved_database_url())
    typer.echo(f"{service}: migrations applied")


def main() -> None:
    app()
