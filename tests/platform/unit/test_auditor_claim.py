"""The optional `auditor` claim of a province token (unit: no I/O).

Health shows what a withdrawn consent hides only to an auditor: a province token
carrying `"auditor": true`. Every other token is not one, and a malformed claim,
or the claim on another role, is refused rather than read as false.
"""

from __future__ import annotations

import jwt
import pytest

from ishc_platform.auth import Caller, Role, issue_token, verify_token
from ishc_platform.clock import utcnow
from ishc_platform.errors import Problem

SECRET = "a" * 40


def signed(**claims: object) -> str:
    now = int(utcnow().timestamp())
    return jwt.encode({"sub": "a", "iat": now, "exp": now + 3600, **claims}, SECRET)


def test_an_auditor_token_round_trips() -> None:
    token = issue_token(SECRET, sub="thanh-tra", role=Role.PROVINCE, provinces=["86"], auditor=True)
    assert jwt.decode(token, options={"verify_signature": False})["auditor"] is True
    assert verify_token(token, [SECRET]) == Caller(
        "thanh-tra", Role.PROVINCE, frozenset({"86"}), auditor=True
    )


def test_tokens_are_not_an_auditor_s_unless_they_say_so() -> None:
    token = issue_token(SECRET, sub="staff", role=Role.PROVINCE, provinces=["86"])
    assert "auditor" not in jwt.decode(token, options={"verify_signature": False})
    assert verify_token(token, [SECRET]).auditor is False
    assert verify_token(signed(role="province", provinces=["86"], auditor=False), [SECRET]) == (
        Caller("a", Role.PROVINCE, frozenset({"86"}))
    )


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"role": "province", "provinces": ["86"], "auditor": "true"}, "true or false"),
        ({"role": "province", "provinces": ["86"], "auditor": 1}, "true or false"),
        ({"role": "national", "auditor": True}, "only a province token"),
        ({"role": "ops", "auditor": True}, "only a province token"),
    ],
)
def test_a_malformed_auditor_claim_is_refused(claims: dict[str, object], detail: str) -> None:
    with pytest.raises(Problem) as caught:
        verify_token(signed(**claims), [SECRET])
    assert caught.value.status == 401
    assert detail in caught.value.detail


def test_only_province_tokens_are_issued_to_auditors() -> None:
    with pytest.raises(ValueError, match="only province tokens"):
        issue_token(SECRET, sub="vae", role=Role.NATIONAL, auditor=True)


def test_the_admin_command_issues_an_auditors_token_only_to_a_province(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from ishc_platform.cli import app

    monkeypatch.setenv("ISHC_JWT_SECRETS", SECRET)
    runner = CliRunner()
    issued = runner.invoke(
        app, ["token", "issue", "--role", "province", "--sub", "thanh-tra", "-p", "86", "--auditor"]
    )
    assert issued.exit_code == 0, issued.output
    assert verify_token(issued.output.strip(), [SECRET]).auditor is True
    refused = runner.invoke(
        app, ["token", "issue", "--role", "national", "--sub", "vae", "--auditor"]
    )
    assert refused.exit_code != 0
    assert "auditor" in refused.output
