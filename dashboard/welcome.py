"""The welcome: what every page that shows data shows while the database is empty (no file
yet, or nothing ever loaded). It explains the three imports and offers the sample in one click;
it never creates the database by itself."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import data
from dashboard.i18n import t
from dashboard.roles import current_actor

TEMPLATES = Path(__file__).resolve().parents[1] / "sample_data" / "templates"
TEMPLATE_KINDS = ("clients", "handovers", "events")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMMANDS = """uv run handover ingest clients   客户资料.xlsx
uv run handover ingest handovers 交接单.xlsx
uv run handover ingest events    交接日志.xlsx
uv run handover ingest feedback  回访问卷导出.xlsx"""


def welcome() -> None:
    st.title(t("welcome.title"))
    st.markdown(t("welcome.intro"))
    for step in ("clients", "handovers", "feedback"):
        st.markdown(t(f"welcome.step_{step}"))
    st.caption(t("welcome.formats"))
    if not current_actor().may("upload"):
        st.info(t("welcome.ask_someone"), icon=":material/info:")
        return
    row = st.container(horizontal=True)
    row.page_link("views/upload.py", label=t("welcome.go_upload"), icon=":material/upload_file:")
    for kind in TEMPLATE_KINDS:
        template = TEMPLATES / f"{kind}_template.xlsx"
        if template.exists():
            row.download_button(
                t("welcome.template", kind=t(f"upload.kinds.{kind}")),
                template.read_bytes(),
                file_name=template.name,
                mime=XLSX,
                icon=":material/download:",
                key=f"welcome_template_{kind}",
            )
    st.caption(t("welcome.cli"))
    st.code(COMMANDS, language="bash")
    st.subheader(t("welcome.sample_title"))
    st.markdown(t("welcome.sample_text"))
    if st.button(
        t("welcome.load_sample"),
        type="primary",
        icon=":material/dataset:",
        key="welcome_load_sample",
    ):
        load_the_sample()


def load_the_sample() -> None:
    """The button's action: the sample and its data checks, then the page again, with data.
    (Someone else may have loaded data meanwhile: load_sample then refuses with a sentence.)"""
    from sample_data.loader import load_demo

    with st.spinner(t("welcome.loading")):
        load_demo(data.store(), actor=current_actor())
    st.session_state.welcome_loaded = True
    st.rerun()
