"""A dump of the database alone reveals no clinical value (PDPL 91/2025).

After recording checks with distinctive values (systolic 187, diastolic 113,
pulse 103, weight 61.7, height 158.3, glucose 7.9, a station's name), with an
`Idempotency-Key` (whose stored answer lives in the same database) and reading
the book every way, the raw database is scanned: on SQLite the file's bytes (and
its journal), on PostgreSQL `pg_dump` (or, without it, every row of every table
as text). None of the values appears in clear in any form ("61.7", "61,7",
"61.70", the JSON keys of the sealed document); the consent's purpose, which is
not clinical and kept in clear, does: the scan sees the rows. The stream the
events went out on holds none either."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from ishc_health.adapters.sealing import Sealer
from tests.health.conftest import HEALTH_KEY, VL, Health
from tests.health.integration.test_consent_and_checks import ok, record_check, rows, world

pytestmark = pytest.mark.integration

PURPOSE = "Đồng ý khám định kỳ – phiếu KSK-ZX81"
STATION = "Trạm y tế phường Tân Ngãi"
CHECK = {
    "checked_on": "2026-11-20",
    "checker": "station",
    "station": STATION,
    "systolic_mmhg": 187,
    "diastolic_mmhg": 113,
    "pulse_bpm": 103,
    "weight_kg": 61.7,
    "height_cm": "158.3",
    "glucose_mmol_l": "7.9",
}


def _number(text: str) -> re.Pattern[bytes]:
    """`text` as a number standing alone: not inside a longer number, a base64
    token (whose alphabet is letters, digits, - and _) or a time's fraction."""
    return re.compile(rb"(?<![A-Za-z0-9_.,-])" + re.escape(text.encode()) + rb"(?![A-Za-z0-9_-])")


CLEAR_FORMS: list[re.Pattern[bytes]] = [
    *(_number(v) for v in ("187", "113", "103", "61.7", "61,7", "61.70", "158.3", "158,3")),
    *(_number(v) for v in ("7.9", "7,9", "7.90")),
    *(
        re.compile(re.escape(word.encode()))
        for word in (
            "systolic_mmhg",
            "diastolic_mmhg",
            "pulse_bpm",
            "weight_kg",
            "height_cm",
            "glucose_mmol_l",
            STATION,
        )
    ),
]


def dump(health: Health) -> bytes:
    """The database as an attacker holding a copy of it would read it."""
    url = health.database_url
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        files = sorted(path.parent.glob(path.name + "*"))  # the file, its WAL and journal
        assert path in files
        return b"".join(f.read_bytes() for f in files)
    if shutil.which("pg_dump"):
        done = subprocess.run(
            ["pg_dump", "--no-owner", url], capture_output=True, check=False, timeout=60
        )
        if done.returncode == 0:
            return done.stdout
    with psycopg.connect(url) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        ]
        return b"\n".join(
            str(row[0]).encode()
            for table in tables
            for row in connection.execute(f'SELECT t::text FROM "{table}" t')
        )


def test_a_dump_of_the_database_reveals_no_clinical_value(health: Health) -> None:
    w = world(health)
    consent = ok(
        health.http.post(
            f"/v1/members/{w.member}/consent",
            json={"given_on": "2025-01-02", "purpose": PURPOSE, "scopes": ["health_checks"]},
            headers=VL,
        )
    )
    first = ok(
        health.http.post(
            f"/v1/members/{w.member}/health-checks",
            json=CHECK,
            headers={**VL, "Idempotency-Key": "at-rest-1"},
        )
    )
    record_check(health, w.member, checked_on="2026-11-25", weight_kg="61.70", glucose_mmol_l=7.9)
    reason = {"reason": "Kiểm tra"}
    url = f"/v1/members/{w.member}/health-book"
    book = ok(health.http.get(url, params=reason, headers=VL), 200)
    assert book["checks"][0]["values"]["systolic_mmhg"] == 187  # the values are there
    assert health.http.get(url, params={**reason, "format": "html"}, headers=VL).status_code == 200
    assert health.http.get(f"{url}/export", params=reason, headers=VL).status_code == 200

    raw = dump(health)
    assert PURPOSE.encode() in raw and consent["id"].encode() in raw  # the scan sees the rows
    assert first["id"].encode() in raw and b"at-rest-1" in raw  # and the stored answer
    found = {form.pattern: form.findall(raw) for form in CLEAR_FORMS}
    assert {pattern: hits for pattern, hits in found.items() if hits} == {}
    # every sealed value is a Fernet token that opens to the values
    sealer = Sealer([HEALTH_KEY])
    sealed = [token for (token,) in rows(health, "SELECT values_sealed FROM health_check")]
    assert len(sealed) == 2 and all(token.startswith("gAAAAA") for token in sealed)
    opened = sorted((sealer.open(token) for token in sealed), key=lambda d: len(d["values"]))
    assert opened[1] == {
        "values": {
            "systolic_mmhg": 187,
            "diastolic_mmhg": 113,
            "pulse_bpm": 103,
            "weight_kg": "61.7",
            "height_cm": "158.3",
            "glucose_mmol_l": "7.9",
        },
        "station": STATION,
    }
    # nor did any value leave the service on its stream
    health.events()
    stream = health.raw_stream()
    assert first["id"].encode() in stream
    assert [form.pattern for form in CLEAR_FORMS if form.search(stream)] == []
