"""What an account asked for and was refused: a page outside its role, a handover outside its
scope, a filter value it may not use. The page says so in a sentence; the audit trail records
the attempt (action ``access_refused``), once per session and target, so that a crafted
address is seen by whoever reads the trail. Whether a refused handover exists is never said.
"""

from __future__ import annotations

import logging

import streamlit as st

from dashboard import data
from dashboard.roles import current_actor
from pipelines.errors import HandoverError

log = logging.getLogger("handover.dashboard")
SEEN = "_refusals_recorded"


def record(what: str, target: str) -> None:
    """Put the attempt in the audit trail (once per session for the same target)."""
    seen = st.session_state.setdefault(SEEN, set())
    if (what, target) in seen:
        return
    from pipelines import audit

    actor = current_actor()
    try:
        audit.append(data.store(), actor.name, "access_refused", target, what=what, role=actor.role)
    except HandoverError as error:  # the refusal itself holds without its record
        log.warning("could not record a refused %s (%r): %s", what, target, error)
        return
    seen.add((what, target))
