"""Bearer JWT callers: who they are, and which records they may see.

Tokens are HS256, signed with the first of `ISHC_JWT_SECRETS`; every listed
secret verifies, so a secret rotates by listing the new one first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ishc_platform.clock import utcnow
from ishc_platform.errors import Problem, forbidden

ALGORITHM = "HS256"
MAX_LIFETIME = timedelta(days=366)
"""The longest a token may live (ADR 0002): enforced when issuing and on every
verification, so a token minted elsewhere with a far `exp` is refused."""
CLOCK_SKEW = timedelta(seconds=60)
"""Tolerance for an issuer whose clock runs slightly ahead (`iat` in the future)."""


class Role(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    OPS = "ops"
    # Another service of the platform (reporting rebuilding or backfilling from a
    # log): reads the full event log and nothing else.
    SERVICE = "service"


@dataclass(frozen=True)
class Caller:
    sub: str
    role: Role
    provinces: frozenset[str]
    # A province token of an auditor (claim `"auditor": true`): health reads what
    # a withdrawn consent hides from everyone else (PDPL 91/2025 oversight).
    auditor: bool = False

    def can_see_province(self, province: str) -> bool:
        """Records of a province: national sees every one, a province token its own."""
        if self.role is Role.NATIONAL:
            return True
        return self.role is Role.PROVINCE and province in self.provinces


def issue_token(
    secret: str,
    *,
    sub: str,
    role: Role,
    provinces: Iterable[str] = (),
    lifetime: timedelta = timedelta(hours=1),
    auditor: bool = False,
) -> str:
    if lifetime > MAX_LIFETIME:
        raise ValueError(f"a token lives at most {MAX_LIFETIME.days} days")
    if auditor and role is not Role.PROVINCE:
        raise ValueError("only province tokens can be an auditor's")
    now = utcnow()
    claims = {
        "sub": sub,
        "role": role.value,
        "provinces": sorted(provinces),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    if auditor:
        claims["auditor"] = True
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401, detail, kind="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="ishc"'}
    )


def verify_token(token: str, secrets: list[str]) -> Caller:
    """The caller a token names; a Problem(401) when it is expired, forged, malformed
    or lives longer than `MAX_LIFETIME`.

    Expiry is checked against the platform's clock (`clock.utcnow`), not the
    library's, so tests that set the clock and the services agree on "now".
    """
    if not secrets:
        raise Problem(503, "no token secret is configured (ISHC_JWT_SECRETS)")
    if len(token) > MAX_TOKEN_LENGTH:
        raise _unauthorized("the token is too long")
    claims = None
    for secret in secrets:
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={
                    "require": ["sub", "exp", "iat", "role"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"the token is not valid: {exc}") from None
    if claims is None:
        raise _unauthorized("the token's signature does not verify")
    _check_times(claims)
    try:
        role = Role(claims["role"])
    except ValueError:
        roles = ", ".join(Role)
        raise _unauthorized(f"the token's role is not one of {roles}") from None
    provinces = claims.get("provinces") or []
    if not isinstance(provinces, list) or not all(
        isinstance(p, str) and len(p) == 2 and p.isdigit() for p in provinces
    ):
        raise _unauthorized("claim 'provinces' must be a list of 2-digit codes")
    if role is Role.PROVINCE and not provinces:
        raise _unauthorized("a province token must name its provinces")
    sub = claims["sub"]
    if not isinstance(sub, str) or not 0 < len(sub) <= 200:
        raise _unauthorized("claim 'sub' must be a string of 1 to 200 characters")
    auditor = claims.get("auditor", False)
    if not isinstance(auditor, bool):
        raise _unauthorized("claim 'auditor' must be true or false")
    if auditor and role is not Role.PROVINCE:
        raise _unauthorized("only a province token can carry claim 'auditor'")
    return Caller(sub=sub, role=role, provinces=frozenset(provinces), auditor=auditor)


MAX_TOKEN_LENGTH = 4096


def _check_times(claims: dict[str, Any]) -> None:
    exp, iat = claims["exp"], claims["iat"]
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
        for v in (exp, iat)
    ):
        # NaN compares false with everything: it would never expire.
        raise _unauthorized("claims 'exp' and 'iat' must be numbers of seconds")
    now = utcnow().timestamp()
    if exp <= now:
        raise _unauthorized("the token has expired")
    if iat > now + CLOCK_SKEW.total_seconds():
        raise _unauthorized("the token was issued in the future ('iat')")
    if exp - iat > MAX_LIFETIME.total_seconds() or exp - now > MAX_LIFETIME.total_seconds():
        raise _unauthorized(f"the token lives longer than {MAX_LIFETIME.days} days")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


BEARER_SCHEME = "bearer"
_bearer = HTTPBearer(
    scheme_name=BEARER_SCHEME,
    bearerFormat="JWT",
    description="A JWT (HS256) with claims `sub`, `role`, `provinces`, `iat` and `exp`, "
    "issued by `ishc-admin token issue`.",
    # Declares the scheme in OpenAPI, so /docs can send a token; it never answers
    # itself, so a missing or bad token still gets our 401 with `WWW-Authenticate`.
    auto_error=False,
)


def current_caller(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    token = bearer_token(request)
    if token is None:
        raise _unauthorized("a bearer token is required")
    caller = verify_token(token, request.app.state.settings.jwt_secret_list)
    request.state.caller = caller
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def require_role(*roles: Role) -> Any:
    """A dependency that lets only `roles` through (403 for the others)."""

    def check(caller: CurrentCaller) -> Caller:
        if caller.role not in roles:
            raise Problem(
                403,
                f"this route is for {', '.join(r.value for r in roles)} tokens",
                kind="forbidden",
            )
        return caller

    return Depends(check)


OpsCaller = Annotated[Caller, require_role(Role.OPS)]
LogReader = Annotated[Caller, require_role(Role.OPS, Role.NATIONAL, Role.SERVICE)]
"""Reads the event log: a service token the full events, ops and national tokens
its public view, without a person's attributes (ADR 0004)."""


def ensure_record_visible(caller: Caller, province: str, what: str = "record") -> None:
    """A record of another province answers 404, so its existence does not leak."""
    if not caller.can_see_province(province):
        raise Problem(404, f"{what} not found", kind="not-found")


def ensure_collection_allowed(caller: Caller, province: str | None) -> frozenset[str] | None:
    """The provinces a collection may show. Filtering to another province is 403.

    Returns None for 'every province' (national), else the allowed set.
    """
    if caller.role is Role.NATIONAL:
        return None if province is None else frozenset({province})
    if caller.role is not Role.PROVINCE:
        raise forbidden("this collection is for national and province tokens")
    if province is None:
        return caller.provinces
    if province not in caller.provinces:
        raise forbidden(f"the token does not cover province {province}")
    return frozenset({province})
