"""Progress of long work on a page: an ``st.progress`` bar that says, in the user's
language, which stage runs (reading, validating, loading the file; which suite of checks)
and how far it has come. It is a ``pipelines.progress.Reporter``: the library reports, the
bar shows; it is removed when the work ends.

Streamlit sends an element's new state to the browser as the script runs, so the bar moves
while the library works in the page's own run (no thread needed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.i18n import t
from pipelines.progress import CHECK_STAGE_PREFIX, Reporter


def stage_text(stage: str, done: int, total: int | None, lang: str | None = None) -> str:
    """``progress.<stage>`` (or ``progress.check`` with the suite's name) with the counts."""
    if stage.startswith(CHECK_STAGE_PREFIX):
        suite = stage[len(CHECK_STAGE_PREFIX) :]
        words = t(
            "progress.check",
            lang,
            suite=t(f"upload.kinds.{suite}", lang) if f"upload.kinds.{suite}" in _keys() else suite,
        )
    else:
        words = t(f"progress.{stage}", lang) if f"progress.{stage}" in _keys() else stage
    counted = (
        t("progress.of", lang, done=done, total=total)
        if total
        else t("progress.so_far", lang, done=done)
    )
    return f"{words} · {counted}"


def _keys():
    from dashboard.i18n import catalogue

    return catalogue()


@contextmanager
def bar() -> Iterator[Reporter]:
    """A reporter drawing one bar on the page for the duration of the ``with``."""
    shown = st.progress(0.0, text=t("progress.starting"))

    def reporter(stage: str, done: int, total: int | None = None) -> None:
        share = min(max(done / total, 0.0), 1.0) if total else 0.0
        shown.progress(share, text=stage_text(stage, done, total))

    try:
        yield reporter
    finally:
        shown.empty()
