"""Widgets pages share: KPI tiles with definitions, tables with masking and downloads,
band colours and chart styling, and errors worded for the user."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data
from dashboard.exports import build_export, file_stem
from dashboard.i18n import catalogue, current_language, t
from dashboard.masking import mask_frame
from dashboard.roles import current_actor, current_role
from dashboard.text import hide_paths, plain
from metrics.catalogue import definition, format_value, label
from metrics.catalogue import figure as figure_entry
from pipelines.errors import HandoverError

if TYPE_CHECKING:
    from streamlit.elements.arrow import DataframeState

log = logging.getLogger("handover.dashboard")
if not log.handlers:  # the server's log (its standard error), never the browser
    _handler = logging.StreamHandler(sys.stderr)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)  # errors, and the time each page's run took
    log.propagate = False

BAND_COLOURS = {"green": "#2e9d5b", "yellow": "#e0a526", "red": "#d64545"}
RISK_COLOURS = {"low": "#2e9d5b", "medium": "#e0a526", "high": "#d64545"}
SERIES_COLOURS = ["#2f6db5", "#2e9d5b", "#e0a526", "#d64545", "#7a5cb8", "#3aa6a0"]
# how a figure tile colours its change: "normal" (up is good), "inverse" (lower is better), "off"
DeltaColour = Literal["normal", "inverse", "off"]

FONT = "Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"


def error_sentence(error: HandoverError) -> str:
    """The error in the user's language: the catalogue's ``errors.<code>`` with the error's
    parameters (as plain text; paths as their file name), else its English message. Neither
    names the server's folders."""
    if error.code:
        params = {name: _shown(value, name) for name, value in error.params.items()}
        try:
            return t(f"errors.{error.code}", None, **params)  # the page's language
        except (KeyError, IndexError, ValueError):  # no text for the code, or a parameter
            pass
    return plain(hide_paths(error.message))


def _shown(value: object, name: str = "") -> object:
    if name == "permission" and f"permissions.{value}" in catalogue():
        return t(f"permissions.{value}")  # "upload" → 上传数据
    if isinstance(value, Path):
        return value.name
    return hide_paths(value) if isinstance(value, str) else value


def show_error(error: HandoverError) -> None:
    """A HandoverError on the page: its sentence, and its details (e.g. every bad row of a
    file) as plain text below; never a traceback."""
    st.error(error_sentence(error), icon=":material/error:")
    if error.details:
        with st.expander(t("app.error_details", n=len(error.details)), expanded=True):
            st.code("\n".join(hide_paths(line) for line in error.details), language=None)


def show_unexpected(error: BaseException) -> None:
    """An error nobody foresaw: one sentence on the page, the traceback in the server's log."""
    log.error("the dashboard page failed", exc_info=error)
    st.error(t("app.unexpected"), icon=":material/error:")


def stale_checks_notice() -> None:
    """On every page that shows check results: a warning when data changed after the latest
    run, with when, and what to do (run them, or ask someone who may)."""
    from dashboard import data

    run, _ = data.check_results(data.version())
    changed = data.check_staleness(data.version())
    if run is None or changed is None:
        return
    st.warning(
        t(
            "data_quality.stale",
            at=f"{run['started_at']:%Y-%m-%d %H:%M}",
            batches=changed["batches"],
            newest=f"{changed['newest_at']:%Y-%m-%d %H:%M}",
        )
        + " "
        + t(
            "data_quality.stale_run"
            if current_actor().may("run_checks")
            else "data_quality.stale_ask"
        ),
        icon=":material/update:",
    )


def page_header(key: str) -> None:
    st.title(t(f"{key}.title"))
    st.caption(t(f"{key}.intro"))


def figure_help(key: str) -> str:
    lang = current_language()
    return f"{figure_entry(key)[lang]}: {definition('figures', key, lang)}"


def kpi_tiles(
    values: dict,
    keys: list[str],
    current: dict | None = None,
    previous: dict | None = None,
    columns: int = 4,
) -> None:
    """One tile per figure; the delta compares ``current`` with ``previous`` (period values)."""
    lang = current_language()
    rows = [keys[i : i + columns] for i in range(0, len(keys), columns)]
    for row in rows:
        cells = st.columns(columns)
        for cell, key in zip(cells, row, strict=False):
            delta = None
            colour: DeltaColour = "normal"
            if current is not None and previous is not None:
                delta = _delta(key, current.get(key), previous.get(key))
                if current.get(key) == previous.get(key):
                    colour = "off"
                elif figure_entry(key)["higher_is_better"] == "no":
                    colour = "inverse"
                elif figure_entry(key)["higher_is_better"] == "neutral":
                    colour = "off"
            cell.metric(
                label("figures", key, lang),
                format_value(key, values.get(key), lang),
                delta=delta,
                delta_color=colour,
                help=figure_help(key),
                border=True,
            )


def _delta(key: str, now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    unit = figure_entry(key)["unit"]
    change = now - before
    if unit == "rate":
        # a number only (no data): formatted as is, the sign first (the tile's arrow reads it)
        return t("common.delta_pp").format(change=f"{change * 100:+.1f}")
    if unit in ("percent", "nps"):
        return f"{change:+.1f}"
    if unit in ("days", "score"):
        return f"{change:+.2f}"
    return f"{change:+,.0f}"


# The most rows a table sends to the browser: larger results are shown a page at a time
# (``pager``), and their downloads hold every row.
PAGE_ROWS = 100


def pager(matched: int, key: str, size: int = PAGE_ROWS) -> int:
    """For ``matched`` rows shown ``size`` at a time: the page chooser (none when one page
    holds them all) and the caption; returns the first row of the chosen page. A page past
    the end (the rows became fewer) is the last one."""
    pages = max(1, -(-matched // size))
    state = f"{key}_page"
    if pages == 1:
        st.session_state.pop(state, None)
        return 0
    chosen = st.session_state.get(state)
    if not isinstance(chosen, int) or not 1 <= chosen <= pages:
        st.session_state[state] = min(max(chosen, 1), pages) if isinstance(chosen, int) else 1
    left, right = st.columns([1, 5], vertical_alignment="bottom")
    page = left.number_input(t("common.page"), min_value=1, max_value=pages, step=1, key=state)
    first = (int(page) - 1) * size
    right.caption(
        t(
            "common.page_rows",
            first=first + 1,
            last=min(first + size, matched),
            matched=matched,
            pages=pages,
        )
    )
    return first


def table(
    frame: pd.DataFrame,
    name: str,
    labels: dict[str, str] | None = None,
    mask_columns: dict[str, str] | None = None,
    key: str | None = None,
    selectable: bool = False,
    height: int | None = None,
    column_config=None,
    everything=None,
):
    """A masked, labelled table with CSV and XLSX downloads; returns the selection event
    when ``selectable``. A frame of more than PAGE_ROWS rows is shown a page at a time (the
    selection's rows still count from its first row). ``everything``: a function giving all
    the rows when ``frame`` is one page of them (the downloads then hold all, masked and labelled the same way, when
    clicked: ``everything`` runs outside the session, so it takes no session values)."""
    role = current_role()
    first = 0
    if everything is None and len(frame) > PAGE_ROWS:  # a page at a time, downloads all
        first = pager(len(frame), key or name)
        everything, frame = (lambda whole=frame: whole), frame.iloc[first : first + PAGE_ROWS]
    shown = _prepared(frame, labels, mask_columns, role)
    kwargs = {
        "hide_index": True,
        "width": "stretch",
        "key": key,
        "column_config": column_config,
        "placeholder": "—",
    }
    if height:
        kwargs["height"] = height
    event: DataframeState | _Selected | None
    if selectable:
        event = st.dataframe(shown, on_select="rerun", selection_mode="single-row", **kwargs)
        if first:  # rows counted in the whole frame, as the caller gave it
            event = _Selected([first + row for row in event.selection.rows])
    else:
        event = None
        st.dataframe(shown, **kwargs)
    if everything is None:
        downloads(shown, name, key=key or name)
    else:
        downloads(
            lambda: _prepared(everything(), labels, mask_columns, role), name, key=key or name
        )
    return event


class _Selected:
    """A table's selection event with its rows counted from the whole frame's first row."""

    def __init__(self, rows: list[int]):
        from types import SimpleNamespace

        self.selection = SimpleNamespace(rows=rows)


def _prepared(
    frame: pd.DataFrame, labels: dict[str, str] | None, mask_columns: dict[str, str] | None, role
) -> pd.DataFrame:
    shown = mask_frame(frame, role, mask_columns)
    return shown.rename(columns=labels) if labels else shown


def downloads(frame, name: str, key: str) -> None:
    """CSV and XLSX of ``frame`` (or of what a function gives, called when clicked) for a
    role with ``export`` (none for the others); ``name`` (which may hold data, e.g. a
    handover id) becomes a file name and a sheet title that are safe for both. The file is
    built when clicked, and the export is in the audit trail."""
    actor = current_actor()
    if not actor.may("export"):
        return
    row = st.container(horizontal=True)
    stem = file_stem(name)
    store = data.store()
    rows = frame if callable(frame) else (lambda: frame)
    row.download_button(
        t("common.download_csv"),
        lambda: build_export(store, actor, name, {name: rows()}, "csv"),
        file_name=f"{stem}.csv",
        on_click="ignore",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    row.download_button(
        t("common.download_xlsx"),
        lambda: build_export(store, actor, name, {name: rows()}, "xlsx"),
        file_name=f"{stem}.xlsx",
        key=f"{key}_xlsx",
        on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/table:",
    )


def counts_with_rate(
    x: pd.Series,
    counts: pd.Series,
    counts_name: str,
    rate: pd.Series,
    rate_name: str,
    rate_axis: str,
    rate_top: float,
) -> go.Figure:
    """Bars of how many (on the right-hand axis) under a line of a rate or score (on the
    left-hand one, from 0 to ``rate_top``), month by month: the overview's score trend and
    the satisfaction page's CSAT."""
    fig = go.Figure()
    fig.add_bar(x=x, y=counts, name=counts_name, marker_color="#b9cde8", yaxis="y2")
    fig.add_scatter(
        x=x, y=rate, name=rate_name, mode="lines+markers", line={"color": "#2f6db5", "width": 3}
    )
    fig.update_layout(
        yaxis={"title": rate_axis, "range": [0, rate_top]},
        yaxis2={"title": counts_name, "overlaying": "y", "side": "right", "showgrid": False},
    )
    return fig


def style(fig: go.Figure, title: str | None = None, height: int = 320) -> go.Figure:
    """The dashboard's look. Data in a chart (category names, hover texts) goes in through
    ``dashboard.text.chart_text``: Plotly reads a few HTML tags in them."""
    fig.update_layout(
        title=title,
        height=height,
        margin={"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        font={"family": FONT, "size": 13},
        legend={"orientation": "h", "y": -0.2},
        colorway=SERIES_COLOURS,
    )
    return fig
