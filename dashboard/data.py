"""Everything pages show, read through the metrics and data_checks functions and cached.

Each cache is keyed by the database's last change (file time and size), so a page renders
from memory until an upload, a rollback or a check run changes the file, and then shows it
at once. No connection stays open between renders: an import from the command line goes
through while the dashboard runs.

**Scope.** The caches are shared by every session, so the signed-in account's data scope
(metrics.selection.scoped: the firm, a team, or its own handovers) is part of every cache key:
each public function below applies the account's scope to the filters it is given (whatever
they held), or passes the scope to the record readers, before the cached computation is
looked up. A page cannot ask for more than its account may see, and one account's results
are never served to another.

**Computed once** (issue 12). The facts, flags and scores of every handover of a scope are
computed once per data version, configuration, as-of date and scope (``computed``: a
``metrics.computed.Computed`` in memory) and every figure, roll-up, chart and table reads
them, instead of each scanning the event log again. Tables get a page of rows
(``scores_page``) or the counts a chart draws (``score_histogram``), not every handover.
The few large frames still read whole (the scores for the settings page) are cached as
shared resources, not copied on every read: pages must not change them in place.
"""

from __future__ import annotations

import json
from dataclasses import astuple
from datetime import date

import pandas as pd
import streamlit as st

from metrics.config import Config, load_config
from metrics.selection import Filters
from pipelines.store import Store, default_db_path


def store() -> Store:
    return Store(default_db_path())


def config() -> Config:
    """The scoring configuration; the defaults (and a warning on every page, from app.py)
    while the file is invalid, so that the settings page can still repair it."""
    from metrics.config import ConfigError

    try:
        found = load_config()
    except ConfigError as error:
        st.session_state.config_error = error.message
        return Config()
    st.session_state.pop("config_error", None)
    return found


def version() -> tuple:
    """Changes whenever the database (or the scoring configuration) does."""
    from dashboard.computations import version_of

    return version_of(str(store().path), config())


def trail_version() -> tuple:
    """Changes with every write, the audit trail's included (for the audit page)."""
    return (str(store().path), store().last_change())


@st.cache_data(show_spinner=False, max_entries=8)
def _contents(version: tuple) -> tuple[bool, bool]:
    from sample_data.loader import batch_counts

    count, of_sample = batch_counts(store())
    return count == 0, count > 0 and count == of_sample


@st.cache_data(show_spinner=False, max_entries=8)
def _has_accounts(version: tuple) -> bool:
    from pipelines.accounts import has_accounts

    return has_accounts(store())


@st.cache_data(show_spinner=False, max_entries=256)
def _active_user(version: tuple, name: str):
    from pipelines.accounts import active_user as read

    return read(store(), name)


def active_user(name: str):
    """The account as it is now (None: gone or disabled); re-read after every change of
    accounts (they change the data version), not on every click."""
    return _active_user(version(), name)


def has_accounts() -> bool:
    """At least one account exists: then everybody signs in."""
    return _has_accounts(version())


def is_empty() -> bool:
    """Nothing was ever loaded (also: no database file yet). Reads only: a page never creates
    the database; an import or the welcome page's sample does."""
    return _contents(version())[0]


def is_sample() -> bool:
    """The data is the sample's and nothing else (every batch is the sample's)."""
    return _contents(version())[1]


def _filters(key: tuple) -> Filters:
    return Filters(*key)


def _on_selection(read, version: tuple, as_of: date, filters: tuple, **options):
    """``read`` (a ``metrics`` function taking a computed selection, the date, the filters
    and the settings) on the selection of ``filters`` as of ``as_of``."""
    return read(
        computed(version, as_of, filters), as_of, _filters(filters), config=config(), **options
    )


def _actor():
    from dashboard.roles import current_actor

    return current_actor()


def scoped_key(filters: tuple | Filters) -> tuple:
    """The filters (or their key) with the signed-in account's scope applied, as a key."""
    from metrics.selection import scoped

    given = filters if isinstance(filters, Filters) else Filters(*filters)
    return astuple(scoped(given, _actor()))


def scope_key() -> tuple:
    """The signed-in account's scope alone, as a key (for the record readers)."""
    from metrics.selection import scope_of

    return astuple(scope_of(_actor()))


def is_scoped() -> bool:
    from metrics.selection import is_scoped as limited

    return limited(_actor())


def figures(version: tuple, as_of: date, filters: tuple) -> dict:
    return _figures(version, as_of, scoped_key(filters))


def scores(version: tuple, as_of: date, filters: tuple) -> pd.DataFrame:
    return _scores(version, as_of, scoped_key(filters))


def _taken_now(version: tuple, as_of: date, filters: tuple):
    """What a function run outside the session (a download, built when clicked) reads with:
    the computation of the account's scope, the scoped filters and the settings, taken now."""
    key = scoped_key(filters)
    return computed(version, as_of, key), _filters(key), config()


def flags_reader(version: tuple, as_of: date, filters: tuple):
    """A function giving the raised flags of some handovers of the selection
    (metrics.views.flags_of on the computation): a page words the reasons of its shown rows
    only. It takes no session values (a download runs it when clicked)."""
    from metrics.views import flags_of

    where, chosen, settings = _taken_now(version, as_of, filters)
    return lambda ids: flags_of(where, list(ids), as_of, chosen, config=settings)


def rollup(version: tuple, by: str, as_of: date, filters: tuple) -> pd.DataFrame:
    return _rollup(version, by, as_of, scoped_key(filters))


def satisfaction_by(version: tuple, by: str, as_of: date, filters: tuple) -> pd.DataFrame:
    return _satisfaction_by(version, by, as_of, scoped_key(filters))


def attributed_responses(version: tuple, as_of: date, filters: tuple) -> pd.DataFrame:
    return _attributed_responses(version, as_of, scoped_key(filters))


def risk_counts(version: tuple, as_of: date, filters: tuple, since: date | None = None):
    """What the risk page counts of the register (metrics.views.RiskCounts)."""
    return _risk_counts(version, as_of, scoped_key(filters), since)


def risk_rows(
    version: tuple,
    as_of: date,
    filters: tuple,
    since: date | None,
    only: str,
    offset: int,
    limit: int,
) -> pd.DataFrame:
    """A page of one of the risk lists (metrics.views.risk_rows)."""
    return _risk_rows(version, as_of, scoped_key(filters), since, only, offset, limit)


def risk_rows_reader(version: tuple, as_of: date, filters: tuple, since: date | None, only: str):
    """A function (offset, limit) giving rows of one of the risk lists, that takes no
    session values (a download runs it when clicked)."""
    from metrics.views import risk_rows as read

    where, chosen, settings = _taken_now(version, as_of, filters)
    return lambda offset, limit: read(
        where, as_of, chosen, config=settings, since=since, only=only, offset=offset, limit=limit
    )


def flag_counts(
    version: tuple, as_of: date, filters: tuple, since: date | None = None
) -> pd.DataFrame:
    return _flag_counts(version, as_of, scoped_key(filters), since)


def scores_with(version: tuple, as_of: date, filters: tuple, settings: str) -> pd.DataFrame:
    return _scores_with(version, as_of, scoped_key(filters), settings)


def filter_options(version: tuple) -> dict[str, list[str]]:
    """Teams, staff and reasons of the account's scope only."""
    return _filter_options(version, scope_key())


def handover_record(version: tuple, handover_id: str) -> dict | None:
    """None for a handover outside the account's scope, as for an unknown id."""
    return _handover_record(version, handover_id, scope_key())


def responses(version: tuple, only: str | None = None) -> pd.DataFrame:
    return _responses(version, only, scope_key())


@st.cache_data(show_spinner=False, max_entries=8)
def check_staleness(version: tuple) -> dict | None:
    """The batches the latest check run has not seen (None: its results are current)."""
    from data_checks.results import changes_since, latest_run

    return changes_since(store(), latest_run(store()))


def check_results(version: tuple) -> tuple[dict | None, pd.DataFrame]:
    return _check_results(version, scope_key())


def check_failures(version: tuple, check_id: str | None) -> pd.DataFrame:
    return _check_failures(version, check_id, scope_key())


def check_history(version: tuple) -> pd.DataFrame:
    return _check_history(version, scope_key())


def fix_history(version: tuple, check_id: str | None) -> pd.DataFrame:
    return _fix_history(version, check_id, scope_key())


@st.cache_data(show_spinner=False, max_entries=64)
def _figures(version: tuple, as_of: date, filters: tuple) -> dict:
    from metrics.figures import compute_figures

    return _on_selection(compute_figures, version, as_of, filters)


def periods(version: tuple, as_of: date, filters: tuple):
    """The stated period of the overview (metrics.rollups.stated_periods) within the
    account's scope: the current and previous period and how the current one was chosen."""
    return _periods(version, as_of, scoped_key(filters))


@st.cache_data(show_spinner=False, max_entries=32)
def _periods(version: tuple, as_of: date, filters: tuple):
    from metrics.rollups import stated_periods

    return stated_periods(computed(version, as_of, filters), as_of, _filters(filters))


def figures_with_change(version: tuple, as_of: date, filters: Filters):
    """(figures of the whole selection, of the current period, of the previous period, the
    periods): what KPI tiles show. A period figure's tile shows the current period's value
    and its change against the previous period; the figures of open handovers and of the
    survey files describe the selection as of the date (see views/overview.py)."""
    from dataclasses import replace

    stated = periods(version, as_of, filters_key(filters))
    (start, end), (pstart, pend) = stated.current, stated.previous
    values = figures(version, as_of, filters_key(filters))
    now = figures(version, as_of, filters_key(replace(filters, period_from=start, period_to=end)))
    before = figures(
        version, as_of, filters_key(replace(filters, period_from=pstart, period_to=pend))
    )
    return values, now, before, stated


def management_report(as_of: date, filters: tuple, lang: str):
    """A function without arguments that builds the sheets of the management workbook
    (dashboard/report.py) within the signed-in account's scope. The scope, the settings and
    the language are taken now; the function reads the library only (no session), since a
    download's data is made in a thread of its own when the button is clicked."""
    from dataclasses import replace

    where, chosen, settings = _taken_now(version(), as_of, filters)

    def build() -> dict[str, pd.DataFrame]:
        from dashboard.report import sheets
        from metrics.figures import compute_figures
        from metrics.rollups import rollup as compute_rollup
        from metrics.rollups import stated_periods
        from metrics.scores import compute_scores

        stated = stated_periods(where, as_of, chosen)
        (start, end), (pstart, pend) = stated.current, stated.previous
        figures_of = lambda f: compute_figures(where, as_of, f, config=settings)  # noqa: E731
        return sheets(
            values=figures_of(chosen),
            now=figures_of(replace(chosen, period_from=start, period_to=end)),
            before=figures_of(replace(chosen, period_from=pstart, period_to=pend)),
            stated=stated,
            scores=compute_scores(where, as_of, chosen, config=settings),
            staff=compute_rollup(where, "staff", as_of, chosen, config=settings),
            team=compute_rollup(where, "team", as_of, chosen, config=settings),
            as_of=as_of,
            lang=lang,
            minimum=settings.min_handovers,
        )

    return build


@st.cache_resource(show_spinner=False, max_entries=4)  # large: shared, not copied
def _scores(version: tuple, as_of: date, filters: tuple) -> pd.DataFrame:
    from metrics.scores import compute_scores

    return _on_selection(compute_scores, version, as_of, filters)


@st.cache_data(show_spinner=False, max_entries=32)
def _rollup(version: tuple, by: str, as_of: date, filters: tuple) -> pd.DataFrame:
    from metrics.rollups import rollup as compute

    return compute(computed(version, as_of, filters), by, as_of, _filters(filters), config=config())


@st.cache_data(show_spinner=False, max_entries=8)
def _filter_options(version: tuple, scope: tuple) -> dict[str, list[str]]:
    from metrics.records import filter_options as options

    return options(store(), Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=64)
def _handover_record(version: tuple, handover_id: str, scope: tuple) -> dict | None:
    from metrics.records import handover_record as record

    return record(store(), handover_id, Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=16)
def _responses(version: tuple, only: str | None, scope: tuple) -> pd.DataFrame:
    from metrics.records import responses as read

    return read(store(), only, scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=8)
def batches(version: tuple) -> pd.DataFrame:
    from pipelines.batches import list_batches

    return list_batches(store())


@st.cache_data(show_spinner=False, max_entries=8)
def _check_results(version: tuple, scope: tuple) -> tuple[dict | None, pd.DataFrame]:
    from data_checks.results import latest_run, run_results

    limit = Filters(*scope)
    return latest_run(store(), scope=limit), run_results(store(), scope=limit)


@st.cache_data(show_spinner=False, max_entries=32)
def _check_failures(version: tuple, check_id: str | None, scope: tuple) -> pd.DataFrame:
    from data_checks.results import failures

    return failures(store(), check_id, scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=8)
def _check_history(version: tuple, scope: tuple) -> pd.DataFrame:
    from data_checks.results import run_history

    return run_history(store(), scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=16)
def _fix_history(version: tuple, check_id: str | None, scope: tuple) -> pd.DataFrame:
    from data_checks.results import fix_history as history

    return history(store(), check_id, scope=Filters(*scope))


@st.cache_data(show_spinner=False, max_entries=4)
def audit_entries(version: tuple, actor) -> pd.DataFrame:
    from pipelines.audit import entries

    return entries(store(), actor=actor)


def filters_key(filters: Filters) -> tuple:
    return astuple(filters)


def computed(version: tuple, as_of: date, filters: tuple):
    """The computation of the scope of ``filters`` (an already scoped key): facts, flags
    and scores of every handover of the scope, made once per data version (with the
    settings), date and scope and shared by the sessions (dashboard.computations, which
    also keeps them ready when the data changes); every figure, roll-up, chart and table
    of the pages reads it instead of the event log. Nobody changes it."""
    from dashboard.computations import computations
    from metrics.selection import scope_of

    _forget_older(version)
    return computations.get(version, as_of, astuple(scope_of(_filters(filters))))


_latest: dict[str, tuple] = {}


def _forget_older(version: tuple) -> None:
    """When the data has changed, the large shared results of the version before are
    dropped at once (not when four newer ones have pushed them out): the server's memory
    holds one version's results, not several (the computations drop theirs themselves)."""
    if _latest.get("version") == version:
        return
    if "version" in _latest:
        for cached in (_scores,):
            cached.clear()
    _latest["version"] = version


# --- satisfaction, risk and settings pages (metrics/views.py) ---


@st.cache_data(show_spinner=False, max_entries=32)
def _satisfaction_by(version: tuple, by: str, as_of: date, filters: tuple) -> pd.DataFrame:
    from metrics.views import satisfaction_by as compute

    return compute(computed(version, as_of, filters), by, as_of, _filters(filters), config=config())


@st.cache_data(show_spinner=False, max_entries=16)
def _attributed_responses(version: tuple, as_of: date, filters: tuple) -> pd.DataFrame:
    from metrics.views import attributed_responses as read

    return _on_selection(read, version, as_of, filters)


@st.cache_data(show_spinner=False, max_entries=32)
def _risk_counts(version: tuple, as_of: date, filters: tuple, since: date | None):
    from metrics.views import risk_counts as read

    return _on_selection(read, version, as_of, filters, since=since)


@st.cache_data(show_spinner=False, max_entries=64)
def _risk_rows(
    version: tuple,
    as_of: date,
    filters: tuple,
    since: date | None,
    only: str,
    offset: int,
    limit: int,
) -> pd.DataFrame:
    from metrics.views import risk_rows as read

    return _on_selection(
        read,
        version,
        as_of,
        filters,
        since=since,
        only=only,
        offset=offset,
        limit=limit,
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _flag_counts(
    version: tuple, as_of: date, filters: tuple, since: date | None = None
) -> pd.DataFrame:
    from metrics.views import flag_counts as read

    return _on_selection(read, version, as_of, filters, since=since)


@st.cache_data(show_spinner=False, max_entries=8)
def _scores_with(version: tuple, as_of: date, filters: tuple, settings: str) -> pd.DataFrame:
    """Scores under proposed settings (a JSON of Config.to_toml()), before they are saved."""
    from metrics.config import from_dict
    from metrics.scores import compute_scores

    config = from_dict(json.loads(settings), "settings")
    return compute_scores(store(), as_of, _filters(filters), config=config)


# --- what pages show of many handovers: counts and pages of rows ---


def score_histogram(version: tuple, as_of: date, filters: tuple) -> pd.DataFrame:
    return _score_histogram(version, as_of, scoped_key(filters))


@st.cache_data(show_spinner=False, max_entries=32)
def _score_histogram(version: tuple, as_of: date, filters: tuple) -> pd.DataFrame:
    from metrics.views import score_histogram as read

    return _on_selection(read, version, as_of, filters)


def scores_page(
    version: tuple,
    as_of: date,
    filters: tuple,
    bands: tuple = (),
    flags: tuple = (),
    search: str = "",
    offset: int = 0,
    limit: int = 100,
):
    """One page of the scores table (metrics.views.ScoresPage) within the account's scope."""
    return _scores_page(
        version,
        as_of,
        scoped_key(filters),
        tuple(bands),
        tuple(flags),
        search,
        int(offset),
        int(limit),
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _scores_page(
    version: tuple,
    as_of: date,
    filters: tuple,
    bands: tuple,
    flags: tuple,
    search: str,
    offset: int,
    limit: int,
):
    from metrics.views import scores_page as read

    return _on_selection(
        read,
        version,
        as_of,
        filters,
        bands=bands,
        flags=flags,
        search=search,
        offset=offset,
        limit=limit,
    )


def all_scores(as_of: date, filters: tuple, bands: tuple = (), flags: tuple = (), search: str = ""):
    """A function without arguments giving every row of the scores table as filtered (for a
    download, made when it is clicked); the scope is taken now."""
    where, chosen, settings = _taken_now(version(), as_of, filters)

    def rows() -> pd.DataFrame:
        from metrics.views import scores_page as read

        found = read(
            where,
            as_of,
            chosen,
            config=settings,
            bands=tuple(bands),
            flags=tuple(flags),
            search=search,
            limit=2**62,
        )
        return found.rows

    return rows


def handover_scores(version: tuple, as_of: date, handover_id: str):
    """One handover's scores row and raised flags, within the account's scope (no filters)."""
    return _handover_scores(version, as_of, scoped_key(Filters()), handover_id)


@st.cache_data(show_spinner=False, max_entries=64)
def _handover_scores(version: tuple, as_of: date, filters: tuple, handover_id: str):
    from metrics.views import handover_scores as read

    return read(
        computed(version, as_of, filters), handover_id, as_of, _filters(filters), config=config()
    )
