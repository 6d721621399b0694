"""Re-seal every sealed health value under the newest key:

    ISHC_HEALTH_KEYS=<new key>,<old key> python -m ishc_health.rotate_keys

Rotation, in order (docs/operations.md, "Health data keys"): put the new key
first in `ISHC_HEALTH_KEYS` beside the old one and restart the service (it now
seals under the new key and opens with either); run this command (it re-seals
every `*_sealed` column of every health table in batches, and prints what it did
per column); when it reports nothing left under an old key, drop the old key and
restart. Running it again re-seals nothing (idempotent). It exits with status 1
when a value opens under none of the keys: a key was removed too early.

It reads the database from `ISHC_DATABASE_URL` (or `--database-url`) and never
prints a value, only counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

import typer
from cryptography.fernet import Fernet, InvalidToken

from ishc_health.adapters.sealing import MissingHealthKey, Sealer
from ishc_health.service.keys import Tally, reseal_batch, sealed_columns
from ishc_health.settings import HealthSettings
from ishc_platform.db import Database
from ishc_platform.settings import Settings

app = typer.Typer(add_completion=False, help=__doc__)


def _under(key: str) -> Callable[[str], bool]:
    newest = Fernet(key.encode())

    def is_current(token: str) -> bool:
        try:
            newest.decrypt(token.encode())
        except InvalidToken:
            return False
        return True

    return is_current


async def _rotate(url: str, keys: list[str], batch_size: int) -> dict[str, Tally]:
    sealer = Sealer(keys)
    is_current = _under(keys[0])
    db = Database(url)
    tallies: dict[str, Tally] = {}
    try:
        for sealed in sealed_columns():
            tally = tallies.setdefault(sealed.name, Tally())
            after = None
            while True:
                async with db.sessions() as session:
                    after = await reseal_batch(
                        session,
                        sealer,
                        is_current,
                        sealed,
                        after=after,
                        size=batch_size,
                        tally=tally,
                    )
                if after is None:
                    break
    finally:
        await db.dispose()
    return tallies


@app.command()
def rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="rows per transaction")] = 500,
    database_url: Annotated[str | None, typer.Option(help="default: ISHC_DATABASE_URL")] = None,
) -> None:
    """Re-seal every sealed value of the health tables under the newest key."""
    try:
        keys = HealthSettings().key_list
        Sealer(keys)
    except MissingHealthKey as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    url = database_url or Settings(service_name="health").resolved_database_url()
    tallies = asyncio.run(_rotate(url, keys, batch_size))
    unopenable = 0
    for name, tally in tallies.items():
        typer.echo(
            f"{name}: {tally.resealed} re-sealed, {tally.current} already under the newest key, "
            f"{tally.empty} empty, {tally.unopenable} under none of the keys"
            + (f", {tally.changed_meanwhile} changed meanwhile" if tally.changed_meanwhile else "")
        )
        unopenable += tally.unopenable
    resealed = sum(t.resealed for t in tallies.values())
    typer.echo(f"done: {resealed} re-sealed in {len(tallies)} columns")
    if unopenable:
        typer.echo(
            f"error: {unopenable} values open under none of ISHC_HEALTH_KEYS: put back the key "
            "they were sealed with (second in the list) and run this again",
            err=True,
        )
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
