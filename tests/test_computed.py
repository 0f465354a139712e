"""Computed once, read many times (metrics/computed.py): every function of ``metrics`` gives
the same answer on a ``Computed`` as on the database, for every kind of selection and scope,
and a ``Computed`` refuses a date, configuration or scope it was not computed with."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from metrics import views
from metrics.computed import compute
from metrics.config import Config, from_dict
from metrics.figures import compute_figures
from metrics.rollups import first_completed, rollup, stated_periods
from metrics.scores import compute_flags, compute_scores
from metrics.selection import Filters
from pipelines.store import Store

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Store:
    from sample_data.loader import load_sample

    path: Path = tmp_path_factory.mktemp("computed") / "sample.duckdb"
    load_sample(Store(path), "small")
    return Store(path)


def _team_and_staff(store: Store) -> tuple[str, str]:
    team, staff = store.query(
        "select team, to_staff from stg_handovers where team is not null "
        "and to_staff is not null order by handover_id limit 1"
    ).first()
    return team, staff


def selections(store: Store) -> dict[str, Filters]:
    team, staff = _team_and_staff(store)
    return {
        "everything": Filters(),
        "a period": Filters(period_from=date(2026, 1, 1), period_to=date(2026, 6, 30)),
        "a team": Filters(teams=(team,)),
        "a staff member": Filters(staff=(staff,)),
        "reasons": Filters(reasons=("resignation", "rotation")),
        "open only": Filters(open_only=True),
        "nothing": Filters(teams=("no such team",)),
    }


SCOPES = {"firm": {}, "team": "team", "own": "own"}


def scope_filters(store: Store, kind: str) -> Filters:
    team, staff = _team_and_staff(store)
    return {"firm": Filters(), "team": Filters(scope_team=team), "own": Filters(scope_staff=staff)}[
        kind
    ]


def _frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        left.reset_index(drop=True),
        right.reset_index(drop=True),
        check_exact=False,
        rtol=1e-12,
        atol=1e-12,
    )


def _figures_equal(left: dict, right: dict) -> None:
    assert left.keys() == right.keys()
    for key in left:
        if right[key] is None:
            assert left[key] is None, key
        else:
            assert left[key] == pytest.approx(right[key], rel=1e-12, abs=1e-12), key


@pytest.mark.parametrize("scope_kind", list(SCOPES))
def test_every_function_answers_as_the_database_does(sample: Store, scope_kind: str) -> None:
    config = Config()
    scope = scope_filters(sample, scope_kind)
    computed = compute(sample, AS_OF, config, scope)
    assert computed.handovers > 0
    chosen_ones = selections(sample)
    if scope_kind != "firm":  # the scope's own selections: all, a period, none
        chosen_ones = {name: chosen_ones[name] for name in ("everything", "a period", "nothing")}
    for name, chosen in chosen_ones.items():
        filters = replace(chosen, scope_team=scope.scope_team, scope_staff=scope.scope_staff)
        where = f"{scope_kind} / {name}"
        _figures_equal(
            compute_figures(computed, AS_OF, filters, config=config),
            compute_figures(sample, AS_OF, filters, config=config),
        )
        for function in (compute_flags, compute_scores):
            _frames_equal(
                function(computed, AS_OF, filters, config=config),
                function(sample, AS_OF, filters, config=config),
            )
        for by in ("staff", "team", "month"):
            _frames_equal(
                rollup(computed, by, AS_OF, filters, config=config),
                rollup(sample, by, AS_OF, filters, config=config),
            )
            _frames_equal(
                views.satisfaction_by(computed, by, AS_OF, filters, config=config),
                views.satisfaction_by(sample, by, AS_OF, filters, config=config),
            )
        assert stated_periods(computed, AS_OF, filters) == stated_periods(sample, AS_OF, filters), (
            where
        )
        assert first_completed(computed, AS_OF, filters) == first_completed(
            sample, AS_OF, filters
        ), where
        _frames_equal(
            views.attributed_responses(computed, AS_OF, filters, config=config),
            views.attributed_responses(sample, AS_OF, filters, config=config),
        )
        for since in (None, date(2026, 9, 1)):
            _frames_equal(
                views.risk_register(computed, AS_OF, filters, config=config, since=since),
                views.risk_register(sample, AS_OF, filters, config=config, since=since),
            )
            _frames_equal(
                views.flag_counts(computed, AS_OF, filters, config=config, since=since),
                views.flag_counts(sample, AS_OF, filters, config=config, since=since),
            )


def test_the_selections_are_not_trivial(sample: Store) -> None:
    """The comparison above means something: the selections hold different handovers, some
    none, and the computed tables hold the flags and responses the figures read."""
    config = Config()
    counts = {
        name: len(compute_scores(sample, AS_OF, filters, config=config))
        for name, filters in selections(sample).items()
    }
    assert counts["nothing"] == 0
    assert len(set(counts.values())) >= 5, counts
    computed = compute(sample, AS_OF, config)
    assert computed.rows("computed_flags") > 0
    assert computed.rows("feedback_responses") > 0


def test_other_settings_give_other_scores_and_match_too(sample: Store) -> None:
    config = from_dict(
        {"weights": {"efficiency": 0.7, "quality": 0.1, "satisfaction": 0.1, "risk": 0.1}}, "test"
    )
    computed = compute(sample, AS_OF, config)
    _frames_equal(
        compute_scores(computed, AS_OF, config=config), compute_scores(sample, AS_OF, config=config)
    )
    assert not compute_scores(computed, AS_OF, config=config)["score"].equals(
        compute_scores(sample, AS_OF, config=Config())["score"]
    )


def test_a_computed_refuses_another_date_configuration_or_scope(sample: Store) -> None:
    config = Config()
    computed = compute(sample, AS_OF, config)
    other = from_dict(
        {"weights": {"efficiency": 0.1, "quality": 0.7, "satisfaction": 0.1, "risk": 0.1}}, "test"
    )
    team, _ = _team_and_staff(sample)
    with pytest.raises(ValueError, match="date, configuration and data scope"):
        compute_figures(computed, date(2026, 1, 1), config=config)
    with pytest.raises(ValueError, match="date, configuration and data scope"):
        compute_scores(computed, AS_OF, config=other)
    with pytest.raises(ValueError, match="date, configuration and data scope"):
        compute_figures(computed, AS_OF, Filters(scope_team=team), config=config)


def test_a_computed_holds_no_connection_to_the_database(sample: Store, tmp_path: Path) -> None:
    """Once computed, it answers while another process writes (and without the file)."""
    import shutil

    copy = Store(tmp_path / "copy.duckdb")
    shutil.copy(sample.path, copy.path)
    computed = compute(copy, AS_OF, Config())
    before = compute_figures(computed, AS_OF, config=Config())
    copy.path.unlink()
    assert compute_figures(computed, AS_OF, config=Config()) == before
