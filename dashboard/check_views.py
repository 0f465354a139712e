"""Check results shown outside the data quality page: a handover record's failing checks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import stale_checks_notice, table
from dashboard.i18n import t
from dashboard.masking import mask_failures
from dashboard.roles import current_role


def record_failing_checks(failing: pd.DataFrame, handover_id: str) -> None:
    """The failing checks of one handover's record (its form, client and events)."""
    st.subheader(t("handovers.failing_checks"))
    stale_checks_notice()
    if failing.empty:
        st.caption(t("handovers.no_failing_checks"))
    else:
        table(mask_failures(failing, current_role()), f"checks_{handover_id}",
              key="record_checks")
