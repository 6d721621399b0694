"""Report periods and titles (`domain/report_layout.py`), no database."""

from __future__ import annotations

from datetime import date

import pytest

from ishc_platform.validation import FieldError
from ishc_reporting.domain.report_layout import PeriodKind, period_of, title


def test_periods() -> None:
    assert period_of(PeriodKind.QUARTER, 2026, 2) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period_of(PeriodKind.QUARTER, 2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_of(PeriodKind.HALF, 2026, 2) == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_of(PeriodKind.YEAR, 2025, None) == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(FieldError) as bad:
        period_of(PeriodKind.QUARTER, 2026, 5)
    assert bad.value.field == "number"
    assert title(PeriodKind.HALF, 2026, 1, "Tỉnh Vĩnh Long", "vi") == (
        "BÁO CÁO 6 THÁNG ĐẦU NĂM 2026 — Tỉnh Vĩnh Long"
    )
    assert (
        title(PeriodKind.QUARTER, 2026, 2, "Tỉnh Vĩnh Long", "en")
        == "Report Q2 2026 — Tỉnh Vĩnh Long"
    )
