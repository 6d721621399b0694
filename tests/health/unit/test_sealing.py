"""Sealing clinical values at rest (unit: no I/O): a sealed check reveals none of
its values, opens under any listed key, rotates to the newest, and refuses
clearly without a key, with a malformed one or with the wrong one."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet

from ishc_health.adapters.sealing import MissingHealthKey, Sealer
from ishc_health.app import create_app
from ishc_health.domain.checks import CheckValues
from ishc_health.service.checks import seal_check
from ishc_health.settings import HealthSettings

KEY_A = "aGVhbHRoLXRlc3Qta2V5LW9mLTMyLWJ5dGVzLWxvbmc="
KEY_B = Fernet.generate_key().decode()
VALUES = CheckValues(187, 113, 97, Decimal("61.7"), Decimal("158.3"), Decimal("7.9"))
CLEAR_FORMS = [b"61.7", b"61,7", b"158.3", b"7.9", b"systolic", "Trạm".encode()]
"""Forms that cannot occur in base64 by chance (digits alone can)."""


def test_a_sealed_check_reveals_none_of_its_values() -> None:
    sealer = Sealer([KEY_A])
    token = seal_check(sealer, VALUES, "Trạm y tế xã Long Hồ")
    assert re.fullmatch(r"gAAAAA[A-Za-z0-9_=-]+", token)  # a Fernet token, base64 only
    assert b"." not in token.encode() and b"," not in token.encode()
    assert not any(form in token.encode() for form in CLEAR_FORMS)
    opened = sealer.open(token)
    assert opened == {
        "values": {
            "systolic_mmhg": 187,
            "diastolic_mmhg": 113,
            "pulse_bpm": 97,
            "weight_kg": "61.7",
            "height_cm": "158.3",
            "glucose_mmol_l": "7.9",
        },
        "station": "Trạm y tế xã Long Hồ",
    }
    assert CheckValues.from_document(opened["values"]) == VALUES
    # the same value sealed twice is two different tokens (a fresh IV each time)
    assert sealer.seal({"a": 1}) != sealer.seal({"a": 1})


def test_keys_rotate_new_first_then_the_old_one_goes() -> None:
    old = Sealer([KEY_A]).seal({"weight_kg": "61.7"})
    both = Sealer([KEY_B, KEY_A])
    assert both.open(old) == {"weight_kg": "61.7"}
    resealed = both.reseal(old)
    assert resealed != old
    assert Sealer([KEY_B]).open(resealed) == {"weight_kg": "61.7"}
    new = both.seal({"x": 1})
    assert Sealer([KEY_B]).open(new) == {"x": 1}
    with pytest.raises(MissingHealthKey, match="none of ISHC_HEALTH_KEYS"):
        Sealer([KEY_A]).open(new)  # sealed under B, the newest
    with pytest.raises(MissingHealthKey, match="removed too early"):
        Sealer([KEY_B]).open(old)  # A dropped before the re-sealing


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ("", "ISHC_HEALTH_KEYS is not set"),
        (" , ", "ISHC_HEALTH_KEYS is not set"),
        ("not-a-key", "not a Fernet key"),
        (f"{KEY_A},short", "not a Fernet key"),
    ],
)
def test_the_service_does_not_start_without_a_usable_key(keys: str, says: str) -> None:
    with pytest.raises(MissingHealthKey, match=says):
        create_app(health=HealthSettings(keys=keys))


def test_keys_are_read_comma_separated_newest_first() -> None:
    assert HealthSettings(keys=f" {KEY_B} ,{KEY_A},").key_list == [KEY_B, KEY_A]
