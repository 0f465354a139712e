"""交接明细 Handovers: the scored table, and one handover's complete record (§6 archive)."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data
from dashboard.check_views import record_failing_checks
from dashboard.components import page_header, style, table
from dashboard.i18n import current_language, fmt_number, t
from dashboard.masking import mask_frame
from dashboard.roles import current_actor, current_role
from dashboard.text import chart_text, plain
from metrics.catalogue import label
from pipelines.templates import CHECKLIST_ITEMS, EVENT_TYPES

DATE_FIELDS = ("planned_start", "planned_end", "contract_end", "terminated_at", "service_start")
TABLE_COLUMNS = ["handover_id", "client_id", "company_name", "team", "from_staff", "to_staff",
                 "reason", "actual_end", "efficiency_score", "quality_score",
                 "satisfaction_score", "risk_score", "score", "band", "risk_level", "flags"]


def scored_table(version, as_of, filters) -> str | None:
    scores = data.scores(version, as_of, data.filters_key(filters))
    if scores.empty:
        st.info(t("common.no_rows"))
        return None
    lang = current_language()
    left, middle, right = st.columns([2, 2, 3])
    bands = left.multiselect(t("columns.band"), ["red", "yellow", "green"],
                             format_func=lambda b: t(f"bands.{b}"), key="h_bands",
                             placeholder=t("common.choose"))
    all_flags = sorted({f for fs in scores["flags"] for f in fs})
    flags = middle.multiselect(t("columns.flags"), all_flags, key="h_flags",
                               format_func=lambda f: label("flags", f, lang),
                               placeholder=t("common.choose"))
    search = right.text_input(t("handovers.search"), key="h_search",
                              placeholder=t("handovers.search_hint"))
    shown = scores
    if bands:
        shown = shown[shown["band"].isin(bands)]
    if flags:
        shown = shown[shown["flags"].map(lambda fs: any(f in fs for f in flags))]
    if search:
        text = search.strip().lower()
        haystack = shown[["handover_id", "client_id", "company_name", "from_staff",
                          "to_staff"]].astype(str).apply(lambda c: c.str.lower())
        shown = shown[haystack.apply(lambda c: c.str.contains(text, regex=False)).any(axis=1)]
    st.caption(t("handovers.count", shown=len(shown), total=len(scores)))
    frame = shown[TABLE_COLUMNS].copy()
    frame["reason"] = frame["reason"].map(lambda r: t(f"reasons.{r}") if r else "")
    frame["band"] = frame["band"].map(lambda b: t(f"bands.{b}") if b else "—")
    frame["risk_level"] = frame["risk_level"].map(lambda r: t(f"risk_levels.{r}"))
    frame["flags"] = frame["flags"].map(lambda fs: "、".join(label("flags", f, lang) for f in fs))
    number = st.column_config.NumberColumn
    config = {t(f"columns.{c}"): number(format="%.0f") for c in
              ("efficiency_score", "quality_score", "satisfaction_score", "risk_score")}
    config[t("columns.score")] = st.column_config.ProgressColumn(
        format="%.1f", min_value=0, max_value=100)
    config[t("columns.actual_end")] = st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
    event = table(frame, "handovers", labels={c: t(f"columns.{c}") for c in TABLE_COLUMNS},
                  key="handover_table", selectable=True, column_config=config, height=420)
    if event is not None and event.selection.rows:
        return frame.iloc[event.selection.rows[0]]["handover_id"]
    return None


def record(version, as_of, filters, handover_id: str) -> None:
    found = data.handover_record(version, handover_id)
    if found is None:
        st.warning(t("handovers.not_found", id=handover_id))
        if data.is_scoped():  # unknown, or another team's: the trail tells, the page does not
            from dashboard import refusals

            refusals.record("handover", handover_id)
        return
    lang, role = current_language(), current_role()
    form, client = found["form"], found["client"] or {}
    _audit_unmasked(handover_id, client, role)
    scores = data.scores(version, as_of, data.filters_key(type(filters)()))
    row = scores[scores["handover_id"] == handover_id]
    score = row.iloc[0] if not row.empty else None
    st.divider()
    band = score["band"] if score is not None else None
    st.header(t("handovers.record_title", id=handover_id,
                company=client.get("company_name") or form["client_id"]))
    if band:
        st.markdown(f":{ {'green': 'green', 'yellow': 'orange', 'red': 'red'}[band] }-badge["
                    f"{t(f'bands.{band}')} · {fmt_number(score['score'], 1)}]  "
                    f":gray-badge[{t('columns.risk_level')}: "
                    f"{t('risk_levels.' + score['risk_level'])}]")
    cols = st.columns(4)
    for cell, name in zip(cols, ("efficiency_score", "quality_score", "satisfaction_score",
                                 "risk_score")):
        value = None if score is None else score[name]
        cell.metric(t(f"columns.{name}"), fmt_number(value), border=True)

    left, right = st.columns(2)
    with left:
        st.subheader(t("handovers.form"))
        st.dataframe(_pairs(form, ["client_id", "from_staff", "to_staff", "supervisor", "team",
                                   "reason", "planned_start", "planned_end", "actual_start",
                                   "actual_end", "nda_signed", "signed_off_at"]),
                     hide_index=True, width="stretch")
    with right:
        st.subheader(t("handovers.client"))
        masked = mask_frame(pd.DataFrame([client]), role) if client else pd.DataFrame()
        st.dataframe(_pairs(masked.iloc[0].to_dict() if not masked.empty else {},
                            ["company_name", "uscc", "legal_rep", "contact_name",
                             "contact_phone", "email", "taxpayer_type", "assigned_staff",
                             "status", "contract_end", "terminated_at"]),
                     hide_index=True, width="stretch")

    st.subheader(t("handovers.flags"))
    raised = data.flags(version, as_of, data.filters_key(type(filters)()))
    raised = raised[raised["handover_id"] == handover_id]
    if raised.empty:
        st.success(t("handovers.no_flags"), icon=":material/check_circle:")
    for item in raised.itertuples(index=False):
        why = item.reason_zh if lang == "zh" else item.reason
        st.markdown(f"- **{label('flags', item.flag, lang)}** — {plain(why)}")

    _timeline(found["events"])
    _checklist(found["checklist"])
    left, right = st.columns(2)
    with left:
        st.subheader(t("handovers.discrepancies"))
        if found["discrepancies"].empty:
            st.caption(t("common.none"))
        else:
            table(_events_frame(found["discrepancies"]), f"discrepancies_{handover_id}",
                  key="discrepancies")
    with right:
        st.subheader(t("handovers.feedback"))
        if found["feedback"].empty:
            st.caption(t("handovers.no_feedback"))
        else:
            feedback = found["feedback"]
            table(feedback, f"feedback_{handover_id}", key="record_feedback",
                  labels={c: t(f"handovers.feedback_columns.{c}") for c in feedback.columns})
    record_failing_checks(found["failing_checks"], handover_id)


def _audit_unmasked(handover_id: str, client: dict, role) -> None:
    """Opening a record whose client's phone, USCC or e-mail the role sees unmasked is in the
    audit trail: once per session and record."""
    shown = [field for field in role.unmasked if client.get(field)]
    opened = st.session_state.setdefault("_audited_records", set())
    if not shown or handover_id in opened:
        return
    from pipelines import audit

    audit.append(data.store(), current_actor().name, "record_view", handover_id,
                 client=client.get("client_id"), unmasked=shown)
    opened.add(handover_id)


def _pairs(values: dict, keys: list[str]) -> pd.DataFrame:
    rows = []
    for key in keys:
        value = values.get(key)
        if key == "reason" and value:
            value = t(f"reasons.{value}")
        elif key in ("taxpayer_type", "status") and value:
            value = t(f"handovers.codes.{value}")
        elif key in DATE_FIELDS and hasattr(value, "strftime") and value == value:
            value = value.strftime("%Y-%m-%d")
        elif hasattr(value, "strftime") and value == value:
            value = value.strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, bool):
            value = t("common.yes") if value else t("common.no")
        elif value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
            value = "—"
        rows.append({t("handovers.field"): _column_label(key), t("handovers.value"): str(value)})
    return pd.DataFrame(rows)


def _column_label(key: str) -> str:
    try:
        return t(f"columns.{key}")
    except KeyError:
        return t(f"handovers.fields.{key}")


def _events_frame(events: pd.DataFrame) -> pd.DataFrame:
    lang = current_language()
    frame = events.copy()
    frame["event_type"] = frame["event_type"].map(
        lambda e: EVENT_TYPES.get(e, e) if lang == "zh" else e)
    frame["item_code"] = frame["item_code"].map(
        lambda i: (CHECKLIST_ITEMS.get(i, i) if lang == "zh" else i) if i else "")
    return frame.rename(columns={c: t(f"handovers.events.{c}") for c in frame.columns})


def _timeline(events: pd.DataFrame) -> None:
    st.subheader(t("handovers.timeline"))
    if events.empty:
        st.caption(t("handovers.no_events"))
        return
    lang = current_language()
    shown = events.assign(  # data in a chart: as plain text (Plotly reads some HTML)
        kind=events["event_type"].map(
            lambda e: chart_text(EVENT_TYPES.get(e, e) if lang == "zh" else e)),
        item=events["item_code"].map(lambda i: chart_text(
            (CHECKLIST_ITEMS.get(i, i) if lang == "zh" else i) if i else "")),
        actor=events["actor"].map(chart_text), note=events["note"].map(chart_text))
    fig = px.scatter(shown, x="occurred_at", y="kind", hover_data=["item", "actor", "note"],
                     labels={"occurred_at": t("handovers.events.occurred_at"),
                             "kind": t("handovers.events.event_type")})
    fig.update_traces(marker={"size": 11, "color": "#2f6db5"})
    fig.update_xaxes(tickformat="%Y-%m-%d")
    st.plotly_chart(style(fig, height=360), width="stretch")
    with st.expander(t("handovers.all_events", n=len(events))):
        table(_events_frame(events), "events", key="record_events")


def _checklist(items: pd.DataFrame) -> None:
    st.subheader(t("handovers.checklist"))
    lang = current_language()
    frame = pd.DataFrame({
        t("handovers.item"): items["item_code"].map(
            lambda i: f"{CHECKLIST_ITEMS[i]} ({i})" if lang == "zh" else i),
        t("handovers.sensitive"): items["sensitive"].map(lambda s: "🔒" if s else ""),
        t("handovers.transferred"): items["transferred_at"],
        t("handovers.verified"): items["verified_at"],
        t("handovers.state"): [
            t("handovers.state_verified") if pd.notna(v) else
            t("handovers.state_transferred") if pd.notna(tr) else t("handovers.state_missing")
            for v, tr in zip(items["verified_at"], items["transferred_at"])],
        t("handovers.discrepancy_count"): items["discrepancies"],
        t("handovers.fix_count"): items["fixes"],
    })
    st.dataframe(frame, hide_index=True, width="stretch")


def handovers() -> None:
    page_header("handovers")
    version, as_of, filters = data.version(), st.session_state.as_of, st.session_state.filters
    chosen = scored_table(version, as_of, filters)
    wanted = chosen or st.query_params.get("handover") or st.session_state.get(
        "selected_handover")
    if chosen:
        st.session_state.selected_handover = chosen
    if chosen and st.query_params.get("handover") != chosen:
        st.query_params["handover"] = chosen
    if wanted:
        record(version, as_of, filters, wanted)
    else:
        st.caption(t("handovers.pick"))


handovers()
