"""The club board (Ban chủ nhiệm): a chair, a vice-chair and three members."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

from ishc_contracts.registry_events import BoardPosition

SEATS = {BoardPosition.CHAIR: 1, BoardPosition.VICE_CHAIR: 1, BoardPosition.MEMBER: 3}
BOARD_SIZE = sum(SEATS.values())


def board_problems(
    seats: Sequence[tuple[BoardPosition, str]], current_members: Collection[str]
) -> list[tuple[str, str]]:
    """(field, message) for each reason the proposed board cannot stand."""
    problems: list[tuple[str, str]] = []
    if len(seats) > BOARD_SIZE:
        problems.append(("seats", f"a board has at most {BOARD_SIZE} seats, {len(seats)} given"))
    counts = Counter(position for position, _ in seats)
    for position, allowed in SEATS.items():
        if counts[position] > allowed:
            problems.append(
                ("seats", f"at most {allowed} {position.value} seat(s), {counts[position]} given")
            )
    seen: set[str] = set()
    for index, (_, member_id) in enumerate(seats):
        if member_id in seen:
            problems.append((f"seats[{index}].member_id", "a member holds one seat at most"))
        seen.add(member_id)
        if member_id not in current_members:
            problems.append((f"seats[{index}].member_id", "not a current member of this club"))
    return problems


def is_complete(seats: Sequence[tuple[BoardPosition, str]]) -> bool:
    counts = Counter(position for position, _ in seats)
    return all(counts[p] == n for p, n in SEATS.items())
