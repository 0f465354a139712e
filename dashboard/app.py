"""The dashboard's entry point: `handover serve` runs it with Streamlit.

It sets the page, the language, the role's pages and the sidebar filters, then runs the page
the user chose. Pages live in ``dashboard/views/`` and read through ``dashboard/data.py``
(not in ``pages/``: Streamlit takes a folder of that name beside the entry point for its older
multipage layout, and a deep link would run the page without this entry point).
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dashboard.i18n import t
from dashboard.roles import current_role
from dashboard.state import init_language, sidebar_filters, sidebar_language
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
}


def run() -> None:
    st.set_page_config(page_title=t("app.title", "zh") + " · handover-insight",
                       page_icon=":material/handshake:", layout="wide")
    init_language()
    role = current_role()
    sections: dict[str, list] = {}
    opened = []
    for key, (file, icon, section) in PAGES.items():
        if role.may_open(key):
            page = st.Page(dir_path / "views" / file, title=t(f"{key}.title"), icon=icon,
                           url_path=key)
            sections.setdefault(t(section), []).append(page)
            opened.append(page)
    # The default page answers at "/" only; a hidden home that opens the role's first page
    # lets every page keep its own address (/overview, /handovers?handover=…) for deep links.
    home = st.Page(lambda: st.switch_page(opened[0], query_params=st.query_params.to_dict()),
                   title=t("app.title"), url_path="home", default=True, visibility="hidden")
    navigation = st.navigation({"": [home], **sections})
    st.sidebar.caption(t("app.role", role=t(f"roles.{role.name}")))
    if os.environ.get("HANDOVER_SAMPLE_LOADED") and not st.session_state.get("told_sample"):
        st.session_state.told_sample = True
        st.toast(t("app.loaded_sample"), icon=":material/info:")
    sidebar_language()
    try:
        st.session_state.as_of, st.session_state.filters = sidebar_filters()
        if st.session_state.get("config_error"):
            st.warning(t("app.config_error", error=st.session_state.config_error),
                       icon=":material/settings_alert:")
        navigation.run()
    except HandoverError as error:
        st.error(error.message, icon=":material/error:")


if __name__ == "__main__":
    run()
