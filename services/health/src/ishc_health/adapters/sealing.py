"""Clinical values sealed at rest (PDPL 91/2025: sensitive personal data).

A check's values, an insurance card's number, a community person's name and a
visit's note are stored as Fernet tokens (AES-128-CBC with HMAC-SHA256, from the
`cryptography` package) under keys from `ISHC_HEALTH_KEYS`: a database dump alone
reveals none of them. `MultiFernet` seals with the first key and opens with any,
so keys rotate: add the new key first, run `python -m ishc_health.rotate_keys`
(re-seals every value under the new key), then drop the old key.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class MissingHealthKey(RuntimeError):
    pass


class Sealer:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise MissingHealthKey(
                "ISHC_HEALTH_KEYS is not set: give one or more comma-separated Fernet keys "
                "(`make run` creates one for development under var/; docs/operations.md "
                "says how to make one)"
            )
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError as exc:
            raise MissingHealthKey(
                "ISHC_HEALTH_KEYS holds a key that is not a Fernet key (urlsafe base64 of 32 bytes)"
            ) from exc

    def seal(self, value: Any) -> str:
        """A JSON-able value, sealed under the newest key."""
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()

    def open(self, token: str) -> Any:
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise MissingHealthKey(
                "a sealed value opens under none of ISHC_HEALTH_KEYS (a key removed too early?)"
            ) from exc

    def reseal(self, token: str) -> str:
        """The same value sealed under the newest key (key rotation)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise MissingHealthKey(
                "a sealed value opens under none of ISHC_HEALTH_KEYS (a key removed too early?)"
            ) from exc
