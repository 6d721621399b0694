"""A member's consent (sự đồng ý) to the processing of their health data
(PDPL 91/2025/QH15: health data is sensitive personal data).

- A consent has a date, a purpose and scopes (`ConsentScope`). At most one
  consent *stands* (is not withdrawn) at a time; giving another while one stands
  is a conflict. Withdrawing keeps the consent, with its withdrawal date: both
  are kept, and both are events.
- A consent is dated when the member was a member: not before joining, not on
  or after leaving, not in the future; a new consent after a withdrawal is dated
  after that withdrawal (the periods never overlap).
- A check needs a standing consent covering `health_checks` given on or before
  its date. A withdrawal is dated on or after the last check it covers (and on or
  after the consent), never in the future.
- So a check belongs to the consent period it falls in, and it is **visible**
  only while that consent stands: a standing consent covering `health_checks`
  given on or before its date. Withdrawing hides the checks recorded under the
  consent from everyone but an auditor; a later consent does not reveal them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ishc_contracts.health_events import ConsentGiven, ConsentScope, ConsentWithdrawn
from ishc_platform.validation import FieldError


@dataclass(frozen=True)
class ConsentFacts:
    given_on: date
    scopes: frozenset[ConsentScope]
    withdrawn_on: date | None = None

    @property
    def standing(self) -> bool:
        return self.withdrawn_on is None


class ConsentState(StrEnum):
    STANDING = "standing"  # đang có hiệu lực
    WITHDRAWN = "withdrawn"  # đã rút lại
    NONE = "none"  # chưa đồng ý


def scopes_text(scopes: Iterable[ConsentScope]) -> str:
    """Scopes as stored: sorted, comma-separated, each once."""
    return ",".join(sorted({ConsentScope(s).value for s in scopes}))


def scopes_of(text: str) -> frozenset[ConsentScope]:
    return frozenset(ConsentScope(s) for s in text.split(",") if s)


def standing(consents: Iterable[ConsentFacts]) -> ConsentFacts | None:
    return next((c for c in consents if c.standing), None)


def state(consents: Sequence[ConsentFacts]) -> ConsentState:
    if standing(consents) is not None:
        return ConsentState.STANDING
    return ConsentState.WITHDRAWN if consents else ConsentState.NONE


def last_withdrawal(consents: Iterable[ConsentFacts]) -> date | None:
    return max((c.withdrawn_on for c in consents if c.withdrawn_on is not None), default=None)


def check_given_on(
    given_on: date,
    *,
    today: date,
    joined_on: date | None,  # None: the directory has not had the join yet
    left_on: date | None,
    withdrawn_before: date | None,
) -> None:
    """A consent is given by a member, on a day they were one, not in the future,
    and after the last withdrawal."""
    if given_on > today:
        raise FieldError("given_on", f"given_on is in the future (today is {today:%d/%m/%Y})")
    if joined_on is not None and given_on < joined_on:
        raise FieldError(
            "given_on", f"given_on is before the member joined the club ({joined_on:%d/%m/%Y})"
        )
    if left_on is not None and given_on >= left_on:
        raise FieldError(
            "given_on", f"the member left the club on {left_on:%d/%m/%Y}, before given_on"
        )
    if withdrawn_before is not None and given_on <= withdrawn_before:
        raise FieldError(
            "given_on",
            f"a new consent is dated after the last withdrawal ({withdrawn_before:%d/%m/%Y})",
        )


def check_withdrawn_on(
    withdrawn_on: date, *, today: date, given_on: date, last_check_on: date | None
) -> None:
    """A withdrawal is dated between the consent (or its last check) and today."""
    if withdrawn_on > today:
        raise FieldError(
            "withdrawn_on", f"withdrawn_on is in the future (today is {today:%d/%m/%Y})"
        )
    if withdrawn_on < given_on:
        raise FieldError(
            "withdrawn_on", f"withdrawn_on is before the consent was given ({given_on:%d/%m/%Y})"
        )
    if last_check_on is not None and withdrawn_on < last_check_on:
        raise FieldError(
            "withdrawn_on",
            f"a check was recorded under this consent on {last_check_on:%d/%m/%Y}, "
            "after withdrawn_on",
        )


def covers(consent: ConsentFacts | None, scope: ConsentScope, on: date) -> bool:
    """Whether a standing consent covers `scope` on `on`."""
    if consent is None or not consent.standing:
        return False
    return scope in consent.scopes and consent.given_on <= on


def visible(consents: Iterable[ConsentFacts], checked_on: date) -> bool:
    """Whether a check of that date may be shown to anyone but an auditor."""
    return covers(standing(consents), ConsentScope.HEALTH_CHECKS, checked_on)


def consent_given(
    *,
    consent_id: str,
    member_id: str,
    club_id: str,
    given_on: date,
    scopes: Iterable[ConsentScope],
) -> ConsentGiven:
    return ConsentGiven(
        consent_id=consent_id,
        member_id=member_id,
        club_id=club_id,
        given_on=given_on,
        scopes=sorted(set(scopes)),
    )


def consent_withdrawn(
    *, consent_id: str, member_id: str, club_id: str, withdrawn_on: date
) -> ConsentWithdrawn:
    return ConsentWithdrawn(
        consent_id=consent_id, member_id=member_id, club_id=club_id, withdrawn_on=withdrawn_on
    )
