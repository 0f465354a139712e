"""The ranking's rules on a tiny case built here: the stated period (sidebar period, else the
last 12 months, or all the data when less), the minimum of handovers, the weakest sub-score,
the top flags, the previous period and the lowest-scoring team.

Given (as of 2026-06-30; every checklist item verified unless said; supervisor, NDA and
sign-off present unless said; each handover planned to end the day it ends unless said):
- 一部, received by 甲: A1 ended 2026-06-01, clean; A2 ended 2026-05-01 without supervisor;
  A3 ended 2026-04-03, two days late, without supervisor and with the NDA refused;
  P1 ended 2025-06-01 (the previous period), clean; O1 open.
- 二部, received by 乙: B1 ended 2026-06-10, clean (one handover: below the minimum of 3).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics.config import Config, ConfigError, from_dict
from metrics.rollups import first_completed, lowest, periods, rollup, stated_periods, weakest
from metrics.selection import Filters
from pipelines.ingest import ingest_file
from pipelines.store import Store
from pipelines.templates import CHECKLIST_ITEMS
from tests.conftest import write_csv

AS_OF = date(2026, 6, 30)
HEADER = [
    "handover_id",
    "client_id",
    "from_staff",
    "to_staff",
    "supervisor",
    "team",
    "reason",
    "planned_end",
    "actual_start",
    "actual_end",
    "nda_signed",
    "signed_off_at",
]
HANDOVERS = [
    [
        "A1",
        "C1",
        "丁",
        "甲",
        "监",
        "一部",
        "resignation",
        "2026-06-01",
        "2026-05-28 09:00",
        "2026-06-01 17:00",
        "是",
        "2026-06-01 17:30",
    ],
    [
        "A2",
        "C2",
        "丁",
        "甲",
        "",
        "一部",
        "rotation",
        "2026-05-01",
        "2026-04-28 09:00",
        "2026-05-01 17:00",
        "是",
        "2026-05-01 17:30",
    ],
    [
        "A3",
        "C3",
        "丁",
        "甲",
        "",
        "一部",
        "rotation",
        "2026-04-01",
        "2026-03-28 09:00",
        "2026-04-03 17:00",
        "否",
        "2026-04-03 17:30",
    ],
    [
        "P1",
        "C1",
        "丁",
        "甲",
        "监",
        "一部",
        "rotation",
        "2025-06-01",
        "2025-05-28 09:00",
        "2025-06-01 17:00",
        "是",
        "2025-06-01 17:30",
    ],
    ["O1", "C2", "丁", "甲", "监", "一部", "leave", "2026-07-15", "2026-06-20 09:00", "", "是", ""],
    [
        "B1",
        "C4",
        "戊",
        "乙",
        "监",
        "二部",
        "rotation",
        "2026-06-10",
        "2026-06-05 09:00",
        "2026-06-10 17:00",
        "是",
        "2026-06-10 17:30",
    ],
]
CLIENTS = [
    ["client_id", "company_name", "contact_name"],
    ["C1", "甲公司", "张"],
    ["C2", "乙公司", "王"],
    ["C3", "丙公司", "李"],
    ["C4", "丁公司", "赵"],
]


def _events() -> list[list[str]]:
    rows = [["handover_id", "occurred_at", "event_type", "item_code"]]
    for handover, *_, start, _end, _nda, _signed in HANDOVERS:
        day = start[:10]
        for n, item in enumerate(CHECKLIST_ITEMS):
            rows.append([handover, f"{day} 10:{n:02d}:00", "item_verified", item])
        rows.append([handover, f"{day} 11:00:00", "access_revoked", ""])
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("rollups")
    store = Store(folder / "r.duckdb")
    ingest_file(store, "clients", write_csv(folder / "c.csv", CLIENTS))
    ingest_file(store, "handovers", write_csv(folder / "h.csv", [HEADER, *HANDOVERS]))
    ingest_file(store, "events", write_csv(folder / "e.csv", _events()))
    return store


def test_the_period_defaults_to_the_last_12_months_or_all_the_data():
    # the data starts long before: the last 12 months, and the 12 months before them
    stated = periods(AS_OF, Filters(), first=date(2024, 1, 1))
    assert stated == ((date(2025, 7, 1), AS_OF), (date(2024, 7, 1), date(2025, 6, 30)))
    # less than 12 months of data: from the first completed handover on
    (start, end), (pstart, pend) = periods(AS_OF, Filters(), first=date(2026, 3, 1))
    assert (start, end) == (date(2026, 3, 1), AS_OF)
    assert pend == date(2026, 2, 28) and (pend - pstart).days == (end - start).days
    # the sidebar's period wins
    chosen = Filters(period_from=date(2026, 6, 1), period_to=date(2026, 6, 30))
    assert periods(AS_OF, chosen, first=date(2020, 1, 1)) == (
        (date(2026, 6, 1), date(2026, 6, 30)),
        (date(2026, 5, 2), date(2026, 5, 31)),
    )


def test_the_stated_period_reads_the_first_completed_handover(store):
    assert first_completed(store, AS_OF, Filters()) == date(2025, 6, 1)
    assert first_completed(store, AS_OF, Filters(teams=("二部",))) == date(2026, 6, 10)
    whole = stated_periods(store, AS_OF, Filters())
    assert whole.kind == "last_12_months" and whole.current == (date(2025, 7, 1), AS_OF)
    short = stated_periods(store, AS_OF, Filters(teams=("二部",)))
    assert short.kind == "all_data" and short.current == (date(2026, 6, 10), AS_OF)
    chosen = stated_periods(store, AS_OF, Filters(period_from=date(2026, 1, 1)))
    assert chosen.kind == "chosen" and chosen.current == (date(2026, 1, 1), AS_OF)
    current, previous = chosen  # unpacks as (current, previous)
    assert current == chosen.current and previous == chosen.previous


def test_below_the_minimum_is_kept_apart_without_a_rank(store):
    staff = rollup(store, "staff", AS_OF, Filters(), Config()).set_index("staff")
    assert staff.loc["甲", "handovers"] == 3  # A1-A3; P1 is the previous period, O1 open
    assert bool(staff.loc["甲", "ranked"]) and staff.loc["甲", "rank"] == 1
    assert not staff.loc["乙", "ranked"] and pd.isna(staff.loc["乙", "rank"])
    assert staff.loc["乙", "score"] > staff.loc["甲", "score"]  # higher, yet not ranked
    assert list(staff.index) == ["甲", "乙"]  # the ranked first
    everyone = rollup(store, "staff", AS_OF, Filters(), Config(min_handovers=1))
    assert list(everyone["staff"]) == ["乙", "甲"] and list(everyone["rank"]) == [1, 2]


def test_previous_period_and_change(store):
    staff = rollup(store, "staff", AS_OF, Filters(), Config()).set_index("staff")
    p1 = rollup(
        store,
        "staff",
        AS_OF,
        Filters(period_from=date(2025, 6, 1), period_to=date(2025, 6, 1)),
        Config(),
    )
    assert staff.loc["甲", "previous_score"] == pytest.approx(p1["score"].iloc[0])
    assert staff.loc["甲", "change"] == pytest.approx(
        staff.loc["甲", "score"] - staff.loc["甲", "previous_score"]
    )
    assert pd.isna(staff.loc["乙", "previous_score"]) and pd.isna(staff.loc["乙", "change"])
    assert staff.loc["乙", "trend"] == ""


def test_weakest_sub_score_and_top_flags(store):
    staff = rollup(store, "staff", AS_OF, Filters(), Config()).set_index("staff")
    row = staff.loc["甲"]
    means = {
        name: row[name]
        for name in ("efficiency", "quality", "satisfaction", "risk")
        if pd.notna(row[name])
    }
    assert "satisfaction" not in means  # no survey answer: left out
    assert row["weakest"] == min(means, key=means.get) == "risk"
    assert row["weakest_score"] == pytest.approx(min(means.values()))
    # no_supervisor twice; no_nda and overdue once each, in DOMAIN.md's order
    assert row["top_flags"] == [["no_supervisor", 2], ["no_nda", 1], ["overdue", 1]]
    assert staff.loc["乙", "top_flags"] == []
    assert weakest(
        pd.Series({"efficiency": 60.0, "quality": 60.0, "satisfaction": None, "risk": 90.0})
    ) == ("efficiency", 60.0)  # ties: first named
    assert weakest(
        pd.Series({"efficiency": None, "quality": None, "satisfaction": None, "risk": None})
    ) == (None, None)


def test_lowest_team_is_among_the_ranked(store):
    teams = rollup(store, "team", AS_OF, Filters(), Config())
    assert lowest(teams)["team"] == "一部"  # 二部 scores higher, and is below the minimum
    assert lowest(teams[~teams["ranked"]]) is None
    months = rollup(store, "month", AS_OF, Filters(), Config())
    assert "ranked" not in months and list(months["month"])[-1] == "2026-06"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "outside 1-1000"),
        (2.5, "not a whole number"),
        ("3", "not a whole number"),
        (True, "not a whole number"),
    ],
)
def test_the_minimum_is_a_whole_number_of_handovers(value, message):
    with pytest.raises(ConfigError, match=message):
        from_dict({"ranking": {"min_handovers": value}})
    with pytest.raises(ConfigError, match="ranking.top is not a setting"):
        from_dict({"ranking": {"top": 3}})
    assert from_dict({"ranking": {"min_handovers": 5}}).min_handovers == 5
    assert from_dict(Config(min_handovers=7).to_toml()).min_handovers == 7
    assert Config().to_toml()["ranking"] == {"min_handovers": 3}


@pytest.mark.parametrize("by", ["staff", "team"])
def test_top_flags_of_every_group_at_once_equal_each_group_alone(tmp_path_factory, by):
    """rollup finds every group's top flags at once in DuckDB (sql/rollups/top_flags.sql):
    the same as top_flags of each group from its flags counted in pandas, ties included, on
    the sample."""
    from metrics.rollups import GROUPINGS, top_flags
    from metrics.scores import compute_scores
    from sample_data.loader import load_sample

    sample = Store(tmp_path_factory.mktemp("top_flags") / "handover.duckdb")
    load_sample(sample)
    as_of = date(2026, 11, 20)
    frame = rollup(sample, by, as_of, Filters(), Config())
    start, end = stated_periods(sample, as_of, Filters()).current
    scores = compute_scores(sample, as_of, Filters(period_from=start, period_to=end), Config())
    done = scores[scores["is_completed"]].explode("flags").dropna(subset=["flags"])
    column = GROUPINGS[by]
    flags = (
        done.groupby([column, "flags"], dropna=False)
        .size()
        .rename("n")
        .reset_index()
        .rename(columns={column: "grp", "flags": "flag"})
    )
    ties = 0
    for group, found in zip(frame[by], frame["top_flags"], strict=False):
        assert found == top_flags(flags, group), group
        counts = [n for _, n in found]
        ties += len(counts) != len(set(counts))
    assert ties > 0  # ties were there to be ordered
    assert sum(len(found) == 3 for found in frame["top_flags"]) > 0  # and the limit


def test_weakest_of_every_row_at_once_equals_each_row_alone():
    import numpy as np

    from metrics.rollups import weakest, weakest_of_rows

    frame = pd.DataFrame(
        {
            "efficiency": [50.0, np.nan, 70.0, np.nan, 20.0],
            "quality": [40.0, np.nan, 70.0, 10.0, 20.0],
            "satisfaction": [40.0, np.nan, np.nan, np.nan, 90.0],
            "risk": [90.0, np.nan, 80.0, 5.0, 20.0],
        }
    )
    names, values = weakest_of_rows(frame)
    for index, row in frame.iterrows():
        name, value = weakest(row)
        assert names[index] == name
        assert (pd.isna(values[index]) and value is None) or values[index] == value
    assert list(names) == ["quality", None, "efficiency", "risk", "efficiency"]
