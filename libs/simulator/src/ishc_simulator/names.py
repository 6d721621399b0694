"""Fake Vietnamese names, built from lists of family names (họ), middle names
(tên đệm) and given names (tên): plausible, never a real register's."""

from __future__ import annotations

from random import Random

from ishc_contracts.registry_events import Sex

# Weighted roughly as the commonest family names are (Nguyễn first by far).
FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Huỳnh", 5),
    ("Hoàng", 4),
    ("Phan", 4),
    ("Võ", 4),
    ("Vũ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
    ("Trương", 1),
    ("Đinh", 1),
    ("Lâm", 1),
    ("Thạch", 1),
)
MIDDLE_NAMES: dict[Sex, tuple[str, ...]] = {
    Sex.FEMALE: ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Kim", "Bích", "Thanh", "Mỹ", "Hồng"),
    Sex.MALE: ("Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Ngọc"),
}
GIVEN_NAMES: dict[Sex, tuple[str, ...]] = {
    Sex.FEMALE: (
        "Lan", "Hoa", "Hương", "Mai", "Cúc", "Hạnh", "Nga", "Thảo", "Tuyết", "Xuân",
        "Yến", "Phượng", "Loan", "Nhung", "Hồng", "Liên", "Sen", "Đào", "Huệ", "Lệ",
        "Tâm", "Thủy", "Vân", "Bích", "Ngọc", "Trang", "Hiền", "Dung", "Nở", "Út",
    ),
    Sex.MALE: (
        "Hùng", "Dũng", "Minh", "Tuấn", "Nam", "Bình", "Sơn", "Hải", "Thành", "Phúc",
        "Tài", "Lộc", "Quang", "Khoa", "Hòa", "Sang", "Tư", "Năm", "Sáu", "Bảy",
        "Tám", "Chín", "Mười", "Được", "Thắng", "Lợi", "Trung", "Hiếu", "Nghĩa", "Tín",
    ),
}  # fmt: skip
_FAMILY = tuple(name for name, _ in FAMILY_NAMES)
_FAMILY_WEIGHTS = tuple(weight for _, weight in FAMILY_NAMES)


def person_name(rng: Random, sex: Sex) -> str:
    """Họ + tên đệm + tên, e.g. "Nguyễn Thị Lan"."""
    family = rng.choices(_FAMILY, weights=_FAMILY_WEIGHTS)[0]
    return f"{family} {rng.choice(MIDDLE_NAMES[sex])} {rng.choice(GIVEN_NAMES[sex])}"
