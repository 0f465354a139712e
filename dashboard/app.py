"""The dashboard's entry point: `handover serve` runs it with Streamlit.

It sets the page and the language, asks who is there (dashboard/signin.py: the sign-in page
until somebody is signed in), offers the pages of the account's role and the sidebar filters,
then runs the page the user chose; on an empty database the pages that show data show the
welcome instead (dashboard/welcome.py). A HandoverError on any page shows its sentence;
anything else one localized sentence, with the traceback in the server's log only.

Pages live in ``dashboard/views/`` and read through ``dashboard/data.py`` (not in
``pages/``: Streamlit takes a folder of that name beside the entry point for its older
multipage layout, and a deep link would run the page without this entry point).
"""

from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

import streamlit as st

from dashboard import data, signin
from dashboard.components import log, show_error, show_unexpected
from dashboard.i18n import t
from dashboard.roles import role_of
from dashboard.state import init_language, sidebar_filters, sidebar_language
from metrics.selection import Filters
from pipelines.errors import HandoverError

dir_path = Path(__file__).parent

# page key: (file, icon, section); titles come from the catalogue ("<key>.title")
PAGES = {
    "overview": ("overview.py", ":material/dashboard:", "app.sections"),
    "handovers": ("handovers.py", ":material/assignment:", "app.sections"),
    "satisfaction": ("satisfaction.py", ":material/sentiment_satisfied:", "app.sections"),
    "risk": ("risk.py", ":material/warning:", "app.sections"),
    "data_quality": ("data_quality.py", ":material/fact_check:", "app.sections_work"),
    "upload": ("upload.py", ":material/upload_file:", "app.sections_work"),
    "settings": ("settings.py", ":material/tune:", "app.sections_work"),
    "audit": ("audit.py", ":material/history:", "app.sections_work"),
}
# set by `handover serve`: keep the pages' computations ready when the data changes
KEEP_READY = "HANDOVER_KEEP_READY"
# the pages that work without data; the others show the welcome on an empty database
WITHOUT_DATA = ("upload", "settings", "audit")


def run() -> None:
    started = time.perf_counter()
    try:
        _run()
    finally:  # the server's own time per page, in its log (tests/benchmarks/bench_pages.py)
        log.info(
            "page %s ran in %.3f s",
            st.session_state.get("_page_path", "?"),
            time.perf_counter() - started,
        )


def _run() -> None:
    st.set_page_config(
        page_title=t("app.title", "zh") + " · handover-insight",
        page_icon=":material/handshake:",
        layout="wide",
    )
    init_language()
    try:
        actor = signin.gate()
    except HandoverError as error:  # the database cannot be read: nobody can sign in
        show_error(error)
        return
    if actor is None:
        sign_in()
        return
    role = role_of(actor)
    if os.environ.get(KEEP_READY) == "1":  # served: computations follow the data's changes
        from dashboard.computations import keep_ready

        keep_ready()
    sections: dict[str, list] = {}
    opened = []
    for key, (file, icon, section) in PAGES.items():
        if role.may_open(key):
            page = st.Page(
                dir_path / "views" / file, title=t(f"{key}.title"), icon=icon, url_path=key
            )
            sections.setdefault(t(section), []).append(page)
            opened.append(page)
    # The default page answers at "/" only; a hidden home that opens the role's first page
    # lets every page keep its own address (/overview, /handovers?handover=…) for deep links.
    home = st.Page(
        lambda: st.switch_page(opened[0], query_params=st.query_params.to_dict()),
        title=t("app.title"),
        url_path="home",
        default=True,
        visibility="hidden",
    )
    # a page outside the role answers at its address with a refusal (and an audit entry),
    # not with the role's first page, so that a crafted link is seen for what it is
    refused = [
        st.Page(_refusal(key), title=t(f"{key}.title"), url_path=key, visibility="hidden")
        for key in PAGES
        if not role.may_open(key)
    ]
    navigation = st.navigation({"": [home, *refused], **sections})
    st.session_state["_page_path"] = navigation.url_path or "home"
    signin.sidebar_account(actor)
    sidebar_language()
    try:
        run_page(navigation, role.pages)
    except HandoverError as error:
        show_error(error)
    except Exception as error:  # noqa: BLE001 (reruns and stops are BaseExceptions: they pass)
        show_unexpected(error)


def _refusal(key: str):
    def page() -> None:
        from dashboard import refusals

        st.error(t("common.not_allowed"), icon=":material/block:")
        refusals.record("page", key)

    return page


def sign_in() -> None:
    """The sign-in page at every page's address, so that a deep link (/handovers?handover=…)
    asks to sign in and then opens what it named, within what the account may see."""

    def page() -> None:
        try:
            signin.sign_in_page()
        except HandoverError as error:
            show_error(error)

    pages = [
        st.Page(
            page, title=t("signin.title"), url_path="signin", default=True, icon=":material/login:"
        )
    ]
    pages += [
        st.Page(page, title=t("signin.title"), url_path=key, visibility="hidden") for key in PAGES
    ]
    navigation = st.navigation(pages, position="hidden")
    sidebar_language()
    navigation.run()


def run_page(navigation, pages: tuple[str, ...]) -> None:
    if st.session_state.pop("welcome_loaded", False):
        st.toast(t("welcome.loaded"), icon=":material/check_circle:")
    if data.is_empty():
        st.session_state.as_of, st.session_state.filters = date.today(), Filters()
        if navigation.url_path in pages and navigation.url_path not in WITHOUT_DATA:
            from dashboard.welcome import welcome

            welcome()
            return
    else:
        if data.is_sample():
            st.sidebar.info(t("app.sample"), icon=":material/science:")
        st.session_state.as_of, st.session_state.filters = sidebar_filters()
    if st.session_state.get("config_error"):
        st.warning(
            t("app.config_error", error=st.session_state.config_error),
            icon=":material/settings_alert:",
        )
    navigation.run()


if __name__ == "__main__":
    run()
