"""On data no test wrote by hand (the seeded sample, at several seeds and dates), every figure
and every handover's flags equal an independent, literal reading of DOMAIN.md §3 written
here in plain Python over the current rows. The product computes them in SQL; this oracle
shares nothing with it but the staging views.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from metrics.figures import compute_figures
from metrics.scores import compute_flags
from pipelines.store import Store
from pipelines.templates import CHECKLIST_ITEMS, SENSITIVE_ITEMS
from sample_data.loader import load_sample


def _rows(store: Store, sql: str) -> list[dict]:
    return store.query(sql).dicts()


def oracle(store: Store, as_of: date) -> tuple[dict, dict[str, set[str]]]:
    handovers = _rows(store, "select * from stg_handovers")
    events = _rows(store, "select * from stg_events")
    clients = {c["client_id"]: c for c in _rows(store, "select * from stg_clients")}
    responses = _rows(store, "select * from feedback_responses where is_real")
    by_handover: dict[str, list[dict]] = {}
    for e in events:
        by_handover.setdefault(e["handover_id"], []).append(e)
    attributed = [r for r in responses if r["is_attributed"]]
    resp_by_h: dict[str, list[dict]] = {}
    for r in attributed:
        resp_by_h.setdefault(r["handover_id"], []).append(r)

    def items(h, kind):
        return {
            e["item_code"] for e in by_handover.get(h["handover_id"], []) if e["event_type"] == kind
        }

    def pairs(h):
        found: dict[str | None, datetime] = {}
        for e in by_handover.get(h["handover_id"], []):
            if e["event_type"] == "discrepancy_found":
                k = e["item_code"]
                found[k] = min(found.get(k, e["occurred_at"]), e["occurred_at"])
        result = {}
        for k, first in found.items():
            result[k] = any(
                e["event_type"] == "discrepancy_fixed"
                and e["item_code"] == k
                and e["occurred_at"] >= first
                for e in by_handover.get(h["handover_id"], [])
            )
        return result

    def has(h, kind, start=None, end=None):
        for e in by_handover.get(h["handover_id"], []):
            if e["event_type"] != kind:
                continue
            if start is not None and e["occurred_at"] < start:
                continue
            if end is not None and e["occurred_at"] > end:
                continue
            return True
        return False

    def churned(h):
        client = clients.get(h["client_id"])
        t = client and client["terminated_at"]
        d = h["actual_end"].date()
        return bool(t) and d <= t <= d + timedelta(days=90)

    def share(items_, test):
        items_ = list(items_)
        return None if not items_ else sum(1 for x in items_ if test(x)) / len(items_)

    def mean(values):
        values = [v for v in values if v is not None]
        return None if not values else sum(values) / len(values)

    done = [h for h in handovers if h["actual_end"] is not None]
    all_pairs = [ok for h in handovers for ok in pairs(h).values()]
    rated = [r["overall_satisfaction"] for r in attributed if r["overall_satisfaction"] is not None]
    scored = [r["recommend_score"] for r in attributed if r["recommend_score"] is not None]
    figures = {
        "handovers_total": len(handovers),
        "handovers_completed": len(done),
        "on_time_rate": share(
            done,
            lambda h: h["planned_end"] is not None and h["actual_end"].date() <= h["planned_end"],
        ),
        "mean_duration_days": mean(
            [
                (h["actual_end"] - h["actual_start"]).total_seconds() / 86400
                for h in done
                if h["actual_start"] is not None
            ]
        ),
        "overdue_open": sum(
            1
            for h in handovers
            if h["actual_end"] is None and h["planned_end"] is not None and as_of > h["planned_end"]
        ),
        "checklist_coverage": mean(
            [len(items(h, "item_verified") & set(CHECKLIST_ITEMS)) / 12 for h in done]
        ),
        "discrepancy_fix_rate": share(all_pairs, bool),
        "csat": None if not rated else 100 * sum(1 for s in rated if s >= 4) / len(rated),
        "mean_satisfaction": mean(rated),
        "nps": None
        if not scored
        else 100
        * (sum(1 for s in scored if s >= 9) - sum(1 for s in scored if s <= 6))
        / len(scored),
        "responses_total": len(responses),
        "responses_unmatched": sum(1 for r in responses if not r["is_matched"]),
        "responses_attributed": len(attributed),
        "response_rate": share(done, lambda h: h["handover_id"] in resp_by_h),
        "followup_30d_rate": share(
            [h for h in done if h["actual_end"].date() <= as_of - timedelta(days=30)],
            lambda h: has(
                h, "followup_visit", h["actual_end"], h["actual_end"] + timedelta(days=30)
            ),
        ),
        "access_revoked_24h_rate": share(
            [h for h in done if h["reason"] == "resignation"],
            lambda h: has(h, "access_revoked", None, h["actual_end"] + timedelta(hours=24)),
        ),
        "churn_90d_rate": share(
            [h for h in done if h["actual_end"].date() <= as_of - timedelta(days=90)], churned
        ),
    }

    flags: dict[str, set[str]] = {}
    for h in handovers:
        raised = set()
        completed = h["actual_end"] is not None
        if not (h["supervisor"] or "").strip():
            raised.add("no_supervisor")
        if not h["nda_signed"]:
            raised.add("no_nda")
        if completed and h["signed_off_at"] is None and not has(h, "signed_off"):
            raised.add("not_signed_off")
        if (
            h["reason"] == "resignation"
            and completed
            and not has(h, "access_revoked", None, h["actual_end"] + timedelta(hours=24))
        ):
            raised.add("access_not_revoked")
        if completed and set(SENSITIVE_ITEMS) - items(h, "item_verified"):
            raised.add("sensitive_unverified")
        if not all(pairs(h).values()):
            raised.add("unfixed_discrepancy")
        if h["planned_end"] is not None and (
            (not completed and as_of > h["planned_end"])
            or (completed and h["actual_end"].date() > h["planned_end"])
        ):
            raised.add("overdue")
        if any(
            r["overall_satisfaction"] is not None and r["overall_satisfaction"] <= 2
            for r in resp_by_h.get(h["handover_id"], [])
        ):
            raised.add("low_satisfaction")
        if has(h, "complaint"):
            raised.add("complaint")
        if completed and churned(h):
            raised.add("churned_90d")
        flags[h["handover_id"]] = raised
    return figures, flags


@pytest.fixture(scope="module", params=[3, 11])
def sample(request, tmp_path_factory) -> Store:
    folder = tmp_path_factory.mktemp(f"oracle{request.param}")
    store = Store(folder / "s.duckdb")
    load_sample(store, "small", seed=request.param)
    return store


@pytest.mark.parametrize("as_of", [date(2026, 11, 20), date(2026, 6, 30), date(2025, 12, 31)])
def test_figures_and_flags_equal_a_literal_reading_of_domain_md(sample: Store, as_of: date):
    expected_figures, expected_flags = oracle(sample, as_of)
    figures = compute_figures(sample, as_of)
    for key, value in expected_figures.items():
        if value is None:
            assert figures[key] is None, key
        else:
            assert figures[key] == pytest.approx(value), key
    raised = compute_flags(sample, as_of)
    found = {h: set() for h in expected_flags}
    for row in raised.itertuples(index=False):
        found[row.handover_id].add(row.flag)
    assert found == expected_flags
    assert any(expected_flags.values()), "the sample raises flags"
    assert isinstance(raised, pd.DataFrame)


def test_the_oracle_is_not_trivially_empty(sample: Store):
    figures, flags = oracle(sample, date(2026, 11, 20))
    assert figures["handovers_completed"] > 100
    assert all(figures[k] is not None for k in ("csat", "nps", "churn_90d_rate"))
    kinds = {f for fs in flags.values() for f in fs}
    assert len(kinds) >= 8, kinds
