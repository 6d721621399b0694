"""Tokens and the province rules (unit: no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import jwt
import pytest
from pydantic import ValidationError

from ishc_platform.auth import (
    MAX_LIFETIME,
    Caller,
    Role,
    ensure_collection_allowed,
    ensure_record_visible,
    issue_token,
    verify_token,
)
from ishc_platform.clock import set_clock_start, utcnow
from ishc_platform.errors import Problem
from ishc_platform.settings import Settings

OLD = "o" * 40
NEW = "n" * 40


def signed(**claims: object) -> str:
    """A token with `claims` over a valid base: issued now, for an hour."""
    now = int(utcnow().timestamp())
    return jwt.encode({"sub": "a", "iat": now, "exp": now + 3600, **claims}, NEW)


def test_a_token_round_trips() -> None:
    token = issue_token(NEW, sub="vinh-long-system", role=Role.PROVINCE, provinces=["86"])
    assert verify_token(token, [NEW]) == Caller(
        "vinh-long-system", Role.PROVINCE, frozenset({"86"})
    )


def test_rotation_every_listed_secret_verifies() -> None:
    old_token = issue_token(OLD, sub="a", role=Role.NATIONAL)
    new_token = issue_token(NEW, sub="b", role=Role.NATIONAL)
    assert verify_token(old_token, [NEW, OLD]).sub == "a"
    assert verify_token(new_token, [NEW, OLD]).sub == "b"
    with pytest.raises(Problem) as caught:
        verify_token(old_token, [NEW])  # the old secret was retired
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("make_token", "detail"),
    [
        (
            lambda: issue_token(NEW, sub="a", role=Role.OPS, lifetime=timedelta(seconds=-5)),
            "expired",
        ),
        (lambda: issue_token("x" * 40, sub="a", role=Role.OPS), "signature"),
        (lambda: "not.a.token", "not valid"),
        (lambda: signed(role="king"), "role is not one of"),
        (lambda: signed(role="province"), "provinces"),
        (lambda: signed(role="province", provinces=["8"]), "2-digit"),
        (lambda: jwt.encode({"sub": "a", "role": "national"}, NEW), "not valid"),  # no exp
        (lambda: signed(role="national", iat=None), "not valid"),  # iat is required
        (lambda: signed(role="national", sub=""), "'sub'"),
        # Lifetime is enforced on verification, not only when issuing (ADR 0002)
        # year 5138:
        (lambda: signed(role="national", exp=99_999_999_999), "longer than 366 days"),
        (lambda: signed(role="national", iat=0), "longer than 366 days"),
        (lambda: signed(role="national", iat=int(utcnow().timestamp()) + 3600), "in the future"),
        (lambda: signed(role="national", exp="tomorrow"), "numbers of seconds"),
        (lambda: signed(role="national", exp=float("nan")), "numbers of seconds"),  # never expires
        (lambda: signed(role="national", iat=float("nan")), "numbers of seconds"),
        (
            lambda: jwt.encode(
                {"sub": "a", "role": "ops", "exp": 9999999999}, NEW * 2, algorithm="HS512"
            ),
            "not valid",
        ),
    ],
)
def test_bad_tokens_answer_401(make_token: Callable[[], str], detail: str) -> None:
    # Tokens are made when the test runs, on the test's clock (tests/conftest.py).
    with pytest.raises(Problem) as caught:
        verify_token(make_token(), [NEW])
    assert caught.value.status == 401
    assert detail in caught.value.detail


def test_a_record_of_another_province_is_not_found() -> None:
    caller = Caller("a", Role.PROVINCE, frozenset({"86"}))
    ensure_record_visible(caller, "86")
    with pytest.raises(Problem) as caught:
        ensure_record_visible(caller, "75")
    assert caught.value.status == 404
    ensure_record_visible(Caller("n", Role.NATIONAL, frozenset()), "75")
    with pytest.raises(Problem):
        ensure_record_visible(Caller("o", Role.OPS, frozenset()), "75")


def test_collections_filtered_to_another_province_are_forbidden() -> None:
    province = Caller("a", Role.PROVINCE, frozenset({"86", "75"}))
    assert ensure_collection_allowed(province, None) == {"86", "75"}
    assert ensure_collection_allowed(province, "75") == {"75"}
    with pytest.raises(Problem) as caught:
        ensure_collection_allowed(province, "01")
    assert caught.value.status == 403
    national = Caller("n", Role.NATIONAL, frozenset())
    assert ensure_collection_allowed(national, None) is None
    assert ensure_collection_allowed(national, "01") == {"01"}
    with pytest.raises(Problem):
        ensure_collection_allowed(Caller("o", Role.OPS, frozenset()), None)


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(jwt_secrets="short")
    assert Settings(jwt_secrets=f" {NEW} , {OLD} ").jwt_secret_list == [NEW, OLD]


def test_tokens_cannot_be_issued_for_longer_than_the_maximum() -> None:
    issue_token(NEW, sub="a", role=Role.OPS, lifetime=MAX_LIFETIME)
    with pytest.raises(ValueError, match="at most 366 days"):
        issue_token(NEW, sub="a", role=Role.OPS, lifetime=MAX_LIFETIME + timedelta(days=1))


def test_expiry_follows_the_platforms_clock() -> None:
    token = issue_token(NEW, sub="a", role=Role.OPS, lifetime=timedelta(hours=1))
    issued = utcnow()
    set_clock_start(issued + timedelta(hours=2))
    with pytest.raises(Problem, match="expired"):
        verify_token(token, [NEW])
    set_clock_start(issued)
    assert verify_token(token, [NEW]).sub == "a"
