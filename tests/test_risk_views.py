"""The risk page's reads (metrics.views): the register's rows a page at a time and its counts
(risk_rows, risk_counts), the flags of some handovers (flags_of) and the flags by team
(flag_counts), each equal to what the page worked out from the whole register and every
raised flag before, and the same on a computation as on the database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics.config import CRITICAL_FLAGS, Config
from metrics.scores import compute_flags
from metrics.selection import Filters
from metrics.views import RISK_LISTS, flag_counts, risk_counts, risk_register, risk_rows
from pipelines.store import Store
from sample_data.loader import load_sample

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("flag_counts") / "handover.duckdb")
    load_sample(store)
    return store


def counted_from_every_flag(store: Store, filters: Filters, since: date | None) -> pd.DataFrame:
    """The page's former way: every raised flag joined to the register's handovers."""
    register = risk_register(store, AS_OF, filters, config=Config(), since=since)
    raised = compute_flags(store, AS_OF, filters, config=Config()).merge(
        register[["handover_id", "team"]], on="handover_id"
    )
    return (
        raised.groupby(["team", "flag"], dropna=False)["handover_id"]
        .nunique()
        .rename("handovers")
        .reset_index()
    )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"handovers": "int64"}).astype({"team": object})
    frame["team"] = frame["team"].where(frame["team"].notna(), None)
    return frame.sort_values(["team", "flag"], na_position="last").reset_index(drop=True)


@pytest.mark.parametrize("since", [None, date(2026, 9, 1)])
@pytest.mark.parametrize("team", [None, "记账一部"])
def test_flag_counts_are_those_of_every_raised_flag(sample: Store, since, team) -> None:
    filters = Filters(teams=(team,)) if team else Filters()
    counts = flag_counts(sample, AS_OF, filters, config=Config(), since=since)
    assert len(counts) > 3 and counts["handovers"].sum() > 10
    pd.testing.assert_frame_equal(
        _sorted(counts[["team", "flag", "handovers"]]),
        _sorted(counted_from_every_flag(sample, filters, since)),
    )


def test_the_window_counts_fewer(sample: Store) -> None:
    every = flag_counts(sample, AS_OF, config=Config())["handovers"].sum()
    recent = flag_counts(sample, AS_OF, config=Config(), since=date(2026, 9, 1))["handovers"].sum()
    assert 0 < recent < every


def test_the_flags_of_some_handovers_are_their_rows_of_every_flag(sample: Store) -> None:
    """metrics.views.flags_of: what the risk lists word for the rows they show."""
    from metrics.computed import compute
    from metrics.views import flags_of

    every = compute_flags(sample, AS_OF, config=Config())
    some = list(every["handover_id"].drop_duplicates().iloc[::7])[:40] + ["JJ-NONE"]
    expected = every[every["handover_id"].isin(some)].reset_index(drop=True)
    assert len(expected) > len(set(expected["handover_id"])) > 10  # several flags a handover
    for where in (sample, compute(sample, AS_OF, Config())):
        pd.testing.assert_frame_equal(flags_of(where, some, AS_OF, config=Config()), expected)
    assert flags_of(sample, [], AS_OF, config=Config()).empty


SAVED_REASONS = Path(__file__).parent / "fixtures" / "flag_reasons_sample.json"


def test_every_flag_of_the_sample_is_worded_as_before_the_codes(sample: Store) -> None:
    """The flags' SQL gives a reason code and its values; dashboard/reasons.py words them
    from the catalogue. Every flag raised on the sample reads, in Chinese and English,
    exactly as the sentences the SQL wrote before (tests/fixtures/flag_reasons_sample.json,
    saved then: handover, flag, English, Chinese), and the sample raises every code."""
    from dashboard.i18n import catalogue
    from dashboard.reasons import flag_reason

    flags = compute_flags(sample, AS_OF, config=Config())
    worded = [
        [
            row.handover_id,
            row.flag,
            *(flag_reason(row.reason_code, row.reason_params, lang) for lang in ("en", "zh")),
        ]
        for row in flags.itertuples()
    ]
    assert worded == json.loads(SAVED_REASONS.read_text(encoding="utf-8"))
    codes = {k.removeprefix("flag_reasons.") for k in catalogue() if k.startswith("flag_reasons.")}
    assert set(flags["reason_code"]) == codes


SELECTIONS = {
    "firm": Filters(),
    "team": Filters(teams=("记账一部",)),
    "open": Filters(open_only=True),
}


@pytest.mark.parametrize("since", [None, date(2026, 9, 1)])
@pytest.mark.parametrize("chosen", list(SELECTIONS))
def test_the_lists_a_page_at_a_time_are_the_registers_rows(sample: Store, chosen, since) -> None:
    from metrics.computed import compute

    filters = SELECTIONS[chosen]
    register = risk_register(sample, AS_OF, filters, config=Config(), since=since)
    lists = {
        "all": register,
        "at_risk": register[register["at_risk"]],
        "flagged": register[register["flags"].map(len) > 0],
    }
    assert set(lists) == set(RISK_LISTS)
    where = compute(sample, AS_OF, Config())
    for only, expected in lists.items():
        expected = expected.reset_index(drop=True)
        size = max(len(expected) // 3, 1)
        pages = [
            risk_rows(
                where,
                AS_OF,
                filters,
                config=Config(),
                since=since,
                only=only,
                offset=first,
                limit=size,
            )
            for first in range(0, len(expected) + 1, size)
        ]
        assert all(len(page) <= size for page in pages)
        # (a page without a missing value reads whole numbers where the whole reads floats)
        pd.testing.assert_frame_equal(
            pd.concat(pages, ignore_index=True), expected, check_dtype=False
        )
        pd.testing.assert_frame_equal(
            risk_rows(sample, AS_OF, filters, config=Config(), since=since, only=only),
            expected,
            check_dtype=False,
        )
    counts = risk_counts(where, AS_OF, filters, config=Config(), since=since)
    assert counts == risk_counts(sample, AS_OF, filters, config=Config(), since=since)
    assert counts.handovers == len(register)
    assert counts.at_risk == len(lists["at_risk"])
    assert counts.flagged == len(lists["flagged"])
    assert counts.high == int((register["risk_level"] == "high").sum())
    assert counts.critical == int(register["has_critical"].sum())
    assert counts.critical_by_flag == {
        flag: int(register["flags"].map(lambda v, f=flag: f in list(v)).sum())
        for flag in CRITICAL_FLAGS
    }


def test_the_register_is_not_trivial(sample: Store) -> None:
    counts = risk_counts(sample, AS_OF, config=Config())
    assert counts.handovers > counts.flagged > counts.at_risk > 0
    assert counts.critical > 0 and sum(counts.critical_by_flag.values()) >= counts.critical
    assert 0 < counts.high < counts.handovers
