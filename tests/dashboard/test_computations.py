"""dashboard/computations.py: each computation made once, the version before dropped, and the
recently asked ones made again in the background when the data changes."""

from __future__ import annotations

import threading
import time
from dataclasses import astuple
from datetime import date

import pytest

from dashboard.computations import Computations, current_settings, version_of
from metrics.selection import Filters
from pipelines.store import Store

AS_OF = date(2026, 11, 20)
FIRM = astuple(Filters())  # the firm: no scope


def version(n: int, path: str = "/db") -> tuple:
    return (path, ("data", str(n), 1, 2), "{}")


class Maker:
    """A make function that counts its calls and can be held until released."""

    def __init__(self, fail: int = 0, hold: bool = False) -> None:
        self.calls: list[tuple] = []
        self.fail = fail
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, version: tuple, as_of: date, scope: tuple) -> tuple:
        self.calls.append((version, as_of, scope))
        self.release.wait(10)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the database is busy")
        return ("computed", version, as_of, scope)


def test_sessions_asking_at_once_share_one_computation() -> None:
    make = Maker(hold=True)
    kept = Computations(make)
    answers: list = []
    askers = [
        threading.Thread(target=lambda: answers.append(kept.get(version(1), AS_OF, FIRM)))
        for _ in range(4)
    ]
    for asker in askers:
        asker.start()
    time.sleep(0.2)
    make.release.set()
    for asker in askers:
        asker.join(10)
    assert len(make.calls) == 1
    assert answers == [("computed", version(1), AS_OF, FIRM)] * 4
    assert kept.get(version(1), AS_OF, FIRM) is answers[0]
    assert len(make.calls) == 1


def test_a_new_version_drops_the_computations_of_the_version_before() -> None:
    make = Maker()
    kept = Computations(make)
    kept.get(version(1), AS_OF, FIRM)
    kept.get(version(1, "/other.duckdb"), AS_OF, FIRM)
    kept.get(version(2), AS_OF, FIRM)
    assert not kept.ready(version(1), AS_OF, FIRM)
    assert kept.ready(version(2), AS_OF, FIRM)
    assert kept.ready(version(1, "/other.duckdb"), AS_OF, FIRM)  # another database's


def test_at_most_keep_computations_are_held() -> None:
    kept = Computations(Maker(), keep=2)
    for day in (1, 2, 3):
        kept.get(version(1), date(2026, 11, day), FIRM)
    assert [kept.ready(version(1), date(2026, 11, day), FIRM) for day in (1, 2, 3)] == [
        False,
        True,
        True,
    ]


def test_a_failed_computation_is_said_to_every_waiter_and_tried_again_next_time() -> None:
    make = Maker(fail=1)
    kept = Computations(make)
    with pytest.raises(RuntimeError, match="busy"):
        kept.get(version(1), AS_OF, FIRM)
    assert kept.get(version(1), AS_OF, FIRM)[0] == "computed"
    assert len(make.calls) == 2


def test_after_a_data_change_the_recently_asked_computations_are_made_again() -> None:
    make = Maker()
    kept = Computations(make)
    team = astuple(Filters(scope_team="审计组"))
    kept.get(version(1), AS_OF, FIRM)
    kept.get(version(1), AS_OF, team)
    assert kept.refresh(lambda path: version(1)) == []  # nothing changed
    made = kept.refresh(lambda path: version(2))
    assert sorted(made, key=repr) == sorted(
        [(version(2), AS_OF, FIRM), (version(2), AS_OF, team)], key=repr
    )
    assert kept.ready(version(2), AS_OF, FIRM) and not kept.ready(version(1), AS_OF, FIRM)
    calls = len(make.calls)
    assert kept.get(version(2), AS_OF, team)[1] == version(2)
    assert len(make.calls) == calls  # the page found it ready
    assert kept.refresh(lambda path: version(3), recent=0.0) == []  # nobody asked lately


def test_a_computation_that_fails_in_the_background_is_not_tried_again_for_that_version() -> None:
    make = Maker(fail=5)
    kept = Computations(make)
    with pytest.raises(RuntimeError, match="busy"):
        kept.get(version(1), AS_OF, FIRM)
    failed: set = set()
    assert kept.refresh(lambda path: version(2), failed=failed) == []
    assert kept.refresh(lambda path: version(2), failed=failed) == []
    assert len(make.calls) == 2  # the page's, and the background's once


def test_the_thread_makes_the_new_version_ready_without_a_page(tmp_path) -> None:
    """On a real database: a write from elsewhere (here a new account: a data change, as an
    import is) is noticed, and the computation of the new version is made in the
    background; it answers as one made afterwards by the page would."""
    from metrics.computed import compute
    from metrics.figures import compute_figures
    from pipelines import accounts
    from sample_data.loader import load_sample

    path = tmp_path / "handover.duckdb"
    store = Store(path)
    load_sample(store)
    settings = current_settings()
    kept = Computations()
    before = version_of(str(path), settings)
    kept.get(before, AS_OF, FIRM)
    kept.keep_ready(lambda p: version_of(p, settings), every=0.1)
    accounts.add_user(store, "new.manager", "a-long-password-1", "management")
    after = version_of(str(path), settings)
    assert after != before
    deadline = time.monotonic() + 60
    while not kept.ready(after, AS_OF, FIRM) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kept.ready(after, AS_OF, FIRM)
    assert not kept.ready(before, AS_OF, FIRM)
    ready = kept.get(after, AS_OF, FIRM)
    fresh = compute(store, AS_OF, settings, Filters())
    assert compute_figures(ready, AS_OF, Filters(), config=settings) == compute_figures(
        fresh, AS_OF, Filters(), config=settings
    )
