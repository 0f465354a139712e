"""A page that uses dashboard/oidc.py and nothing else of the dashboard's sign-in, for
tests/e2e/test_oidc.py: it checks the module with Streamlit's real st.login against a real
identity provider, apart from the sign-in page that calls it in the dashboard.

Run as ``streamlit run tests/e2e/oidc_app.py <oidc.streamlit_options()>`` with HANDOVER_DB.
The lines prefixed "test:" are for the test to read; every other text is the catalogue's."""

from __future__ import annotations

import streamlit as st

from dashboard import oidc
from dashboard.components import show_error
from dashboard.data import store
from dashboard.i18n import t
from pipelines.errors import SignInError

st.write(f"test: configured={oidc.configured()}")
try:
    actor = oidc.signed_in_actor(store())
except SignInError as error:
    show_error(error)
    st.caption(t("oidc.refused_hint"))
    st.write(f"test: refused={error.code}")
    if st.button(t("oidc.sign_in_other")):
        oidc.sign_out()
    st.stop()
if actor is None:
    st.write("test: nobody")
    oidc.offer_login()
    st.stop()
st.write(f"test: actor={actor.name} role={actor.role} team={actor.team}")
st.button("test: rerun")
if st.button(t("oidc.sign_out")):
    oidc.sign_out()
