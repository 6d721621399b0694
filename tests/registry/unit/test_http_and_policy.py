"""If-Match parsing and who may do what in the registry (unit: no I/O)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from ishc_platform.auth import Caller, Role
from ishc_platform.errors import Problem
from ishc_registry import schemas
from ishc_registry.api.http import etag, expected_version
from ishc_registry.service import policy
from ishc_registry.service.writes import check_version, raise_first

PROVINCE = Caller("vl", Role.PROVINCE, frozenset({"86"}))
NATIONAL = Caller("vae", Role.NATIONAL, frozenset())


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ('"3"', 3), ('W/"3"', 3), ("3", 3), (' "12" ', 12), ('"999999999"', 999999999)],
)
def test_if_match_names_a_version(header: str | None, version: int | None) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize("header", ['"²"', '"1234567890"', '"3", "4"', "*", '"-1"', ""])
def test_a_bad_if_match_is_one_422_naming_it(header: str) -> None:
    with pytest.raises(Problem) as refused:
        expected_version(header)
    assert refused.value.status == 422
    assert refused.value.errors == [
        {"field": "If-Match", "message": 'If-Match must be one ETag this API sent, e.g. "3"'}
    ]


def test_an_etag_round_trips_and_the_version_is_checked() -> None:
    assert expected_version(etag(7)) == 7
    check_version(7, 7)
    with pytest.raises(Problem) as missing:
        check_version(7, None)
    assert missing.value.status == 428
    with pytest.raises(Problem) as stale:
        check_version(7, 6)
    assert stale.value.status == 412


def test_problems_become_one_422_naming_every_field() -> None:
    raise_first([])
    with pytest.raises(Problem) as refused:
        raise_first([("a", "a is wrong"), ("b", "b is wrong")])
    assert (refused.value.status, refused.value.detail) == (422, "a is wrong; b is wrong")
    assert [e["field"] for e in refused.value.errors or []] == ["a", "b"]


@pytest.mark.parametrize("role", [Role.NATIONAL, Role.PROVINCE])
def test_national_and_province_tokens_read_clubs(role: Role) -> None:
    policy.require_reader_of_clubs(Caller("x", role, frozenset({"86"})))


@pytest.mark.parametrize("role", [Role.OPS, Role.SERVICE])
def test_other_tokens_do_not_read_clubs(role: Role) -> None:
    with pytest.raises(Problem) as refused:
        policy.require_reader_of_clubs(Caller("x", role, frozenset()))
    assert refused.value.status == 403


def test_writes_are_for_province_tokens_covering_the_province() -> None:
    policy.require_province_token(PROVINCE, "registering a club")
    with pytest.raises(Problem) as national:
        policy.require_province_token(NATIONAL, "registering a club")
    assert national.value.detail == "registering a club is for province tokens"
    policy.ensure_covers(PROVINCE, "86", "commune_code")
    with pytest.raises(Problem) as elsewhere:
        policy.ensure_covers(PROVINCE, "75", "commune_code")
    assert elsewhere.value.status == 403
    assert elsewhere.value.errors == [{"field": "commune_code", "message": "in province 75"}]
    with pytest.raises(Problem) as hidden:
        policy.ensure_visible(PROVINCE, "75", "club")
    assert hidden.value.status == 404


@pytest.mark.parametrize(
    "model",
    [schemas.ClubIn, schemas.MemberIn, schemas.BoardIn, schemas.MeetingIn, schemas.ActivityIn],
)
def test_the_documented_examples_are_valid_requests(model: type[BaseModel]) -> None:
    for example in model.model_json_schema()["examples"]:
        model.model_validate(example)
