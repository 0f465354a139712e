"""Months and days in the reader's language, and what a value that is no date shows."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from dashboard.i18n import fmt_date, fmt_month


@pytest.mark.parametrize("value", [None, float("nan"), "", "  ", "NaT", pd.NaT])
def test_nothing_is_a_dash(value):
    assert fmt_month(value, "zh") == "—"
    assert fmt_date(value, "en") == "—"


def test_text_that_is_no_date_comes_back_as_it_was():
    assert fmt_month("not yet", "zh") == "not yet"
    assert fmt_date("soon", "en", time=True) == "soon"


def test_months_and_days_in_each_language():
    assert fmt_month("2025-07", "zh") == "2025年7月"
    assert fmt_month(date(2025, 7, 3), "en") == "Jul 2025"
    assert fmt_date(date(2025, 7, 3), "zh") == "2025年7月3日"
    assert fmt_date(datetime(2025, 7, 3, 14, 5), "en", time=True) == "2025-07-03 14:05"
    assert fmt_date(pd.Timestamp("2025-07-03 14:05"), "zh", time=True) == "2025年7月3日 14:05"
