"""Figures, flags and scores on a small hand-computed case, boundaries included.

Given (as of 2026-06-30, the twelve items required):
- H1 C1 resignation, planned end 03-10, ended 03-10 18:00 (on the planned end date), all
  items verified, access revoked before the end, follow-up exactly 30 days after, one
  discrepancy fixed; responses R1 (5, 10) and R6 (3, no recommend score).
- H2 C2 rotation, ended 4 days late, no supervisor, NDA false, not signed off, 6 items
  (no sensitive one) verified, discrepancy "fixed" before it was found, complaint,
  follow-up 30 days + 1 s after, client left within 90 days; response R2 (2, 6).
- H3 C3 resignation, NDA empty, signed off by event, access revoked exactly 24 h after the
  end, discrepancy found twice and fixed between the two, client left exactly 90 days after;
  response R3 (4, 9) submitted exactly at the end.
- H4 C4 resignation, access revoked 24 h + 1 min after the end, client left 91 days after;
  response R4 submitted before the handover ended (unattributed).
- H5 C1 open, planned end = the as-of date (not overdue); H6 C1 open, one day overdue.
- H7 C5 ended 06-10 (within 30/90 days of the as-of date), 3 sensitive items verified.
- R5 names an unknown client.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from metrics.config import Config
from metrics.figures import compute_figures
from metrics.rollups import rollup
from metrics.scores import compute_flags, compute_scores
from metrics.selection import Filters
from pipelines.feedback.ingest import ingest_feedback
from pipelines.ingest import ingest_file
from pipelines.store import Store
from pipelines.templates import CHECKLIST_ITEMS, SENSITIVE_ITEMS
from tests.conftest import write_csv

AS_OF = date(2026, 6, 30)
ALL = list(CHECKLIST_ITEMS)
PLAIN = [i for i in ALL if i not in SENSITIVE_ITEMS]

CLIENTS = [
    ["client_id", "company_name", "contact_name", "status", "terminated_at"],
    ["C1", "甲", "张", "active", ""],
    ["C2", "乙", "王", "terminated", "2026-04-30"],
    ["C3", "丙", "李", "terminated", "2026-06-01"],
    ["C4", "丁", "赵", "terminated", "2026-06-02"],
    ["C5", "戊", "钱", "active", ""],
]
HANDOVERS = [
    [
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
    ],
    [
        "H1",
        "C1",
        "甲",
        "乙",
        "监",
        "一部",
        "resignation",
        "2026-03-10",
        "2026-03-01 09:00",
        "2026-03-10 18:00",
        "是",
        "2026-03-10 18:30",
    ],
    [
        "H2",
        "C2",
        "甲",
        "丙",
        "",
        "一部",
        "rotation",
        "2026-02-25",
        "2026-02-20 09:00",
        "2026-03-01 09:00",
        "否",
        "",
    ],
    [
        "H3",
        "C3",
        "甲",
        "乙",
        "监",
        "二部",
        "resignation",
        "2026-03-05",
        "2026-03-01 09:00",
        "2026-03-03 12:00",
        "",
        "",
    ],
    [
        "H4",
        "C4",
        "甲",
        "乙",
        "监",
        "二部",
        "resignation",
        "2026-03-05",
        "2026-03-02 09:00",
        "2026-03-03 12:00",
        "是",
        "2026-03-03 12:00",
    ],
    ["H5", "C1", "乙", "丙", "监", "一部", "leave", "2026-06-30", "2026-06-20 09:00", "", "是", ""],
    ["H6", "C1", "乙", "丙", "监", "一部", "leave", "2026-06-29", "2026-06-20 09:00", "", "是", ""],
    [
        "H7",
        "C5",
        "丙",
        "乙",
        "监",
        "二部",
        "other",
        "2026-06-15",
        "2026-06-08 09:00",
        "2026-06-10 09:00",
        "是",
        "2026-06-10 10:00",
    ],
]


def _events() -> list[list[str]]:
    rows = [["handover_id", "occurred_at", "event_type", "item_code"]]
    add = lambda h, t, e, i="": rows.append([h, t, e, i])  # noqa: E731
    for n, item in enumerate(ALL):
        add("H1", f"2026-03-0{2 + n % 7} 1{n % 10}:00:00", "item_verified", item)
        add("H3", f"2026-03-02 1{n % 10}:{n:02d}:00", "item_verified", item)
        add("H4", f"2026-03-02 1{n % 10}:{n:02d}:00", "item_verified", item)
    for n, item in enumerate(PLAIN[:6]):
        add("H2", f"2026-02-2{1 + n % 8} 10:00:00", "item_verified", item)
    for n, item in enumerate(SENSITIVE_ITEMS):
        add("H7", f"2026-06-09 1{n}:00:00", "item_verified", item)
    add("H1", "2026-03-05 10:00:00", "discrepancy_found", "vouchers")
    add("H1", "2026-03-06 10:00:00", "discrepancy_fixed", "vouchers")
    add("H1", "2026-03-09 10:00:00", "access_revoked")
    add("H1", "2026-04-09 18:00:00", "followup_visit")  # exactly 30 days after the end
    add("H2", "2026-02-21 10:00:00", "discrepancy_fixed", "ledgers")
    add("H2", "2026-02-22 10:00:00", "discrepancy_found", "ledgers")  # never fixed after
    add("H2", "2026-02-23 10:00:00", "complaint")
    add("H2", "2026-03-31 09:00:01", "followup_visit")  # 30 days and 1 second after
    add("H3", "2026-03-01 10:00:00", "discrepancy_found", "tax_device")
    add("H3", "2026-03-01 11:00:00", "discrepancy_fixed", "tax_device")
    add("H3", "2026-03-02 10:00:00", "discrepancy_found", "tax_device")
    add("H3", "2026-03-03 12:00:00", "signed_off")
    add("H3", "2026-03-04 12:00:00", "access_revoked")  # exactly 24 h after the end
    add("H4", "2026-03-04 12:01:00", "access_revoked")  # 24 h and 1 minute after
    return rows


FEEDBACK = [
    ["response_id", "client_id", "submitted_at", "overall_satisfaction", "recommend_score"],
    ["R1", "C1", "2026-03-15 10:00", "5", "10"],
    ["R2", "C2", "2026-03-02 10:00", "2", "6"],
    ["R3", "C3", "2026-03-03 12:00", "4", "9"],
    ["R4", "C4", "2026-03-01 10:00", "1", "0"],
    ["R5", "C9", "2026-03-20 10:00", "3", "5"],
    ["R6", "C1", "2026-06-20 10:00", "3", ""],
]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp("metrics")
    store = Store(folder / "m.duckdb")
    ingest_file(store, "clients", write_csv(folder / "c.csv", CLIENTS))
    ingest_file(store, "handovers", write_csv(folder / "h.csv", HANDOVERS))
    ingest_file(store, "events", write_csv(folder / "e.csv", _events()))
    ingest_feedback(store, write_csv(folder / "f.csv", FEEDBACK))
    return store


EXPECTED = {
    "handovers_total": 7,
    "handovers_completed": 5,
    "on_time_rate": 4 / 5,  # H1 ends on its planned end date: on time; H2 is late
    "mean_duration_days": (9.375 + 9 + 2.125 + 1.125 + 2) / 5,
    "overdue_open": 1,  # H6; H5's planned end is the as-of date itself
    "checklist_coverage": (1 + 0.5 + 1 + 1 + 0.25) / 5,
    "discrepancy_fix_rate": 2 / 3,  # H1 fixed, H3 fixed after the first finding, H2 not
    "csat": 100 * 2 / 4,  # attributed R1 5, R2 2, R3 4, R6 3
    "mean_satisfaction": (5 + 2 + 4 + 3) / 4,
    "nps": 100 * (2 - 1) / 3,  # R1 10 and R3 9 promote, R2 6 detracts, R6 has no score
    "responses_total": 6,
    "responses_unmatched": 1,  # R5
    "responses_attributed": 4,  # R4 precedes H4's end
    "response_rate": 3 / 5,  # H1, H2, H3
    "followup_30d_rate": 1 / 4,  # of H1-H4 (H7 ended < 30 days ago): only H1, at exactly 30 d
    "access_revoked_24h_rate": 2 / 3,  # H1 before the end, H3 at exactly 24 h; H4 late
    "churn_90d_rate": 2 / 4,  # of H1-H4: C2 (60 days), C3 (exactly 90); C4 at 91 is not
}


@pytest.mark.parametrize("key", list(EXPECTED))
def test_figure(store: Store, key: str):
    value = compute_figures(store, AS_OF, keys=[key])[key]
    assert value == pytest.approx(EXPECTED[key])


def test_all_figures_have_the_domain_keys(store: Store):
    assert list(compute_figures(store, AS_OF)) == list(EXPECTED)


def test_empty_denominators_are_null_not_zero(store: Store):
    values = compute_figures(store, AS_OF, Filters(teams=("no such team",)))
    for key in (
        "on_time_rate",
        "mean_duration_days",
        "checklist_coverage",
        "discrepancy_fix_rate",
        "csat",
        "mean_satisfaction",
        "nps",
        "response_rate",
        "followup_30d_rate",
        "access_revoked_24h_rate",
        "churn_90d_rate",
    ):
        assert values[key] is None, key
    assert values["handovers_total"] == 0 and values["overdue_open"] == 0


EXPECTED_FLAGS = {
    "H1": set(),
    "H2": {
        "no_supervisor",
        "no_nda",
        "not_signed_off",
        "sensitive_unverified",
        "unfixed_discrepancy",
        "overdue",
        "low_satisfaction",
        "complaint",
        "churned_90d",
    },
    "H3": {"no_nda", "churned_90d"},
    "H4": {"access_not_revoked"},
    "H5": set(),
    "H6": {"overdue"},
    "H7": set(),
}


def test_flags_of_each_handover(store: Store):
    flags = compute_flags(store, AS_OF)
    found = {h: set(flags[flags.handover_id == h].flag) for h in EXPECTED_FLAGS}
    assert found == EXPECTED_FLAGS


def test_each_flag_says_why(store: Store):
    """A reason is a code and its values (JSON text), which the dashboard words."""
    flags = compute_flags(store, AS_OF).set_index(["handover_id", "flag"])
    reasons = {
        key: (row.reason_code, json.loads(row.reason_params)) for key, row in flags.iterrows()
    }
    assert reasons["H2", "sensitive_unverified"] == (
        "sensitive_unverified",
        {"items": ["bank_accounts", "tax_device", "etax_credentials"]},
    )
    assert reasons["H2", "overdue"] == (
        "overdue.completed",
        {"days": 4, "planned_end": "2026-02-25"},
    )
    assert reasons["H6", "overdue"] == ("overdue.open", {"days": 1, "planned_end": "2026-06-29"})
    assert reasons["H3", "churned_90d"] == (
        "churned_90d",
        {"terminated_at": "2026-06-01", "days": 90},
    )
    code, params = reasons["H4", "access_not_revoked"]
    assert code == "access_not_revoked" and set(params) == {"deadline"}


def test_a_figure_grouped_into_one_group_is_the_figure(store: Store):
    """metrics.figures.grouped_figure_sql (satisfaction_by groups the figure files with it):
    every figure file, grouped by a constant, gives the figure as the one group's value."""
    from metrics.figures import FIGURE_KEYS, grouped_figure_sql
    from metrics.session import prepare, run_sql

    figures = compute_figures(store, AS_OF)

    def run(conn):
        values = prepare(conn, AS_OF, Filters(), Config(), upto="facts")
        return {
            key: run_sql(conn, grouped_figure_sql(key, "'every'"), values).fetchall()
            for key in FIGURE_KEYS
        }

    grouped = store.read(run)
    for key in FIGURE_KEYS:
        if figures[key] in (0, None):  # no rows: no group
            assert grouped[key] in ([], [("every", None)]), key
        else:
            assert grouped[key] == [("every", pytest.approx(figures[key]))], key


def test_a_figure_file_of_another_shape_is_not_grouped(monkeypatch):
    from metrics import figures

    figures.grouped_figure_sql.cache_clear()
    monkeypatch.setattr(figures, "figure_sql", lambda key: "with x as (select 1) select 1 as v")
    with pytest.raises(ValueError, match="is not 'select <value> as value from"):
        figures.grouped_figure_sql("csat", "1")
    figures.grouped_figure_sql.cache_clear()


def test_scores_bands_and_risk_levels(store: Store):
    scores = compute_scores(store, AS_OF).set_index("handover_id")
    h1 = scores.loc["H1"]
    assert (h1.efficiency_score, h1.quality_score, h1.satisfaction_score, h1.risk_score) == (
        100,
        100,
        75,
        100,
    )
    assert h1.score == pytest.approx(93.75) and h1.band == "green" and h1.risk_level == "low"
    h4 = scores.loc["H4"]  # no response: weights rescaled over three sub-scores
    assert h4.score == pytest.approx((25 * 100 + 35 * 100 + 15 * 60) / 75)
    assert h4.band == "red" and h4.risk_level == "high"  # a critical flag forces red
    h6 = scores.loc["H6"]  # open, one day overdue: efficiency 90, risk 85
    assert h6.score == pytest.approx((25 * 90 + 15 * 85) / 40) and h6.risk_level == "medium"
    h5 = scores.loc["H5"]
    assert pd_isnull(h5.efficiency_score) and h5.score == 100
    h2 = scores.loc["H2"]
    assert h2.quality_score == pytest.approx(100 * 6 / 12 - 20)
    assert h2.efficiency_score == 60 and h2.band == "red"


def pd_isnull(value) -> bool:
    return value is None or value != value


def test_configuration_changes_the_scores(store: Store):
    config = Config()
    config.weights = {"efficiency": 0, "quality": 0, "satisfaction": 0, "risk": 100}
    config.required_items = list(SENSITIVE_ITEMS)
    scores = compute_scores(store, AS_OF, config=config).set_index("handover_id")
    assert scores.loc["H1", "score"] == 100
    figures = compute_figures(store, AS_OF, keys=["checklist_coverage"], config=config)
    assert figures["checklist_coverage"] == pytest.approx((1 + 0 + 1 + 1 + 1) / 5)


def test_filters_select_handovers(store: Store):
    by_team = compute_figures(store, AS_OF, Filters(teams=("二部",)), keys=["handovers_total"])
    assert by_team == {"handovers_total": 3}
    assert compute_figures(
        store, AS_OF, Filters(reasons=("resignation",)), keys=["handovers_total"]
    ) == {"handovers_total": 3}
    assert compute_figures(store, AS_OF, Filters(open_only=True), keys=["handovers_total"]) == {
        "handovers_total": 2
    }
    march = Filters(period_from=date(2026, 3, 1), period_to=date(2026, 3, 31))
    assert compute_figures(store, AS_OF, march, keys=["handovers_total"]) == {"handovers_total": 4}
    assert compute_figures(store, AS_OF, Filters(staff=("丙",)), keys=["handovers_total"]) == {
        "handovers_total": 3
    }


def test_rollups_compare_with_the_previous_period(store: Store):
    teams = rollup(
        store, "team", AS_OF, Filters(period_from=date(2026, 6, 1), period_to=date(2026, 6, 30))
    )
    assert list(teams["team"]) == ["二部"]  # only H7 ended in June
    months = rollup(store, "month", AS_OF).set_index("month")
    assert list(months.index) == ["2026-03", "2026-06"]
    assert pd_isnull(months.loc["2026-06", "previous_score"])  # May had no handover
    assert months.loc["2026-03", "handovers"] == 4


def test_every_figure_and_flag_is_defined_in_both_languages():
    """The definitions the dashboard shows: English for `en`, Chinese for `zh`, and the
    Chinese one has no English sentence in it."""
    import re

    from metrics.catalogue import catalogue, definition

    for kind in ("figures", "flags"):
        for key in catalogue()[kind]:
            en, zh = definition(kind, key, "en"), definition(kind, key, "zh")
            assert en and zh and en != zh, (kind, key)
            assert not re.search(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}", zh), (kind, key, zh)


def test_every_selection_gets_the_facts_flags_and_scores_of_the_whole_firm(store: Store):
    """The whole firm reads the event log without a join (``selected_handovers`` is then a
    view of every handover); a selection joins the events of its handovers. Both routes give
    every selected handover the same facts, flags and scores, on one connection whatever
    ran on it before (a selection's table, then the firm's view, then a table again)."""
    from metrics import session

    def tables(conn, filters):
        session.prepare(conn, AS_OF, filters, Config(), upto="scores")
        return {
            name: conn.execute(f"select * from {name} order by all").fetchall()
            for name in ("handover_facts", "handover_flags", "handover_scores")
        }

    selections = [
        Filters(teams=("二部",)),
        Filters(open_only=True),
        Filters(),
        Filters(reasons=("resignation",)),
    ]

    def run(conn):
        return [
            (
                tables(conn, f),
                conn.execute(
                    "select table_type from information_schema.tables "
                    "where table_name = 'selected_handovers'"
                ).fetchall(),
            )
            for f in selections
        ]

    results = store.read(run)
    firm, kinds = results[2]
    assert kinds == [("VIEW",)] and results[0][1] == results[3][1] == [("LOCAL TEMPORARY",)]
    assert len(firm["handover_facts"]) == 7
    for (chosen, _), filters in zip(results, selections, strict=False):
        ids = {row[0] for row in chosen["handover_facts"]}
        assert ids and ids < {row[0] for row in firm["handover_facts"]} or filters == Filters()
        for name, rows in chosen.items():
            assert rows == [row for row in firm[name] if row[0] in ids], (name, filters)


def test_flag_points_keep_the_type_of_the_configured_points(store: Store):
    """Whole-number points (a configuration built in code) sum as integers, as before."""
    from metrics import session

    whole = Config(risk_points=dict.fromkeys(Config().risk_points, 10))

    def types(config):
        def run(conn):
            session.prepare(conn, AS_OF, Filters(), config, upto="scores")
            return conn.execute(
                "select typeof(points), typeof(risk_points) "
                "from flag_points, handover_scores limit 1"
            ).fetchall()

        return store.read(run)

    assert types(Config()) == [("DOUBLE", "DOUBLE")]
    assert types(whole) == [("BIGINT", "HUGEINT")]
