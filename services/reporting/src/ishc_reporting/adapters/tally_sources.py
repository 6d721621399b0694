"""Reading a source service's tallies over HTTP: every page of its
`GET /v1/reconciliation/clubs` (`ishc_platform.reconciliation`), with an ops
or service token. Services never read each other's databases."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import httpx

from ishc_platform.reconciliation import PATH
from ishc_reporting.domain.reconciliation import ClubTally

PAGE = 500  # the most a list gives per page


class SourceUnreadable(Exception):
    """A source that cannot be read: not answering, refusing the token, or
    answering what is not a tally page. The message says which and why."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service} at {url}: {reason}")
        self.service, self.url, self.reason = service, url, reason


@dataclass(frozen=True)
class SourceTallies:
    service: str
    url: str
    as_of: str  # the instant the source counted up to (its own clock)
    tallies: list[ClubTally]


async def read_source(
    service: str,
    url: str,
    token: str,
    *,
    province: str | None = None,
    request_seconds: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SourceTallies:
    """Every club's tallies of the service at `url` (in its `province`, if given)."""
    tallies: list[ClubTally] = []
    as_of = ""
    params: dict[str, Any] = {"limit": PAGE}
    if province is not None:
        params["province"] = province
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            base_url=url, timeout=request_seconds, transport=transport
        ) as client:
            while True:
                reply = await client.get(PATH, params=params, headers=headers)
                page = _page(service, url, reply)
                as_of = as_of or str(page["as_of"])
                tallies += [_tally(service, url, item) for item in page["items"]]
                if not page.get("next_cursor"):
                    return SourceTallies(service, url, as_of, tallies)
                params["cursor"] = page["next_cursor"]
    except httpx.HTTPError as exc:
        raise SourceUnreadable(service, url, _reason(exc)) from None
    except httpx.InvalidURL as exc:
        raise SourceUnreadable(service, url, f"not a URL ({exc})") from None


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"not answering (cannot connect: {exc})"
    if isinstance(exc, httpx.TimeoutException):
        return "not answering in time"
    return f"{type(exc).__name__}: {exc}"


def _page(service: str, url: str, reply: httpx.Response) -> dict[str, Any]:
    if reply.status_code != 200:
        detail = reply.text[:300]
        with contextlib.suppress(ValueError, AttributeError):  # a problem+json names it
            detail = str(reply.json().get("detail", detail))
        raise SourceUnreadable(service, url, f"HTTP {reply.status_code}: {detail}")
    try:
        page = reply.json()
    except ValueError:
        raise SourceUnreadable(service, url, "the answer is not JSON") from None
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise SourceUnreadable(service, url, "the answer is not a page of tallies")
    return page


def _tally(service: str, url: str, item: Any) -> ClubTally:
    try:
        counts = item["counts"]
        if not isinstance(counts, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in counts.values()
        ):
            raise TypeError("counts must be integers")
        return ClubTally(club_id=str(item["club_id"]), province=item["province"], counts=counts)
    except (KeyError, TypeError) as exc:
        raise SourceUnreadable(service, url, f"a tally is malformed ({exc})") from None
