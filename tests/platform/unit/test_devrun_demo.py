"""`make run`'s demo decision: load into empty databases once, resume an
interrupted load, never load over someone's data or twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from ishc_platform.devrun import demo_decision, demo_state, mark_demo


@pytest.mark.parametrize(
    ("wanted", "state", "has_clubs", "expected"),
    [
        (True, None, False, "load"),
        (True, "loading", True, "resume"),  # interrupted: the clubs it made do not stop it
        (True, "loaded", True, "the demo is already loaded"),
        (True, None, True, "the registry already holds clubs: no demo"),
        (True, None, None, "the registry did not say whether it holds clubs: no demo"),
        (False, None, False, "ISHC_DEMO=0: no demo"),
        (False, "loading", True, "ISHC_DEMO=0: no demo"),
    ],
)
def test_demo_decision(
    wanted: bool, state: str | None, has_clubs: bool | None, expected: str
) -> None:
    assert demo_decision(wanted, state, has_clubs) == expected


def test_the_marker_round_trips_and_a_broken_one_reads_as_none(tmp_path: Path) -> None:
    assert demo_state(tmp_path) is None
    mark_demo(tmp_path, "loading")
    assert demo_state(tmp_path) == "loading"
    mark_demo(tmp_path, "loaded")
    assert demo_state(tmp_path) == "loaded"
    (tmp_path / "demo.json").write_text("{not json")
    assert demo_state(tmp_path) is None
    (tmp_path / "demo.json").write_text("[1]")
    assert demo_state(tmp_path) is None
