"""交接明细 Handovers: the scored table, and one handover's complete record (§6 archive)."""

from __future__ import annotations

from typing import TypedDict

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data
from dashboard.check_views import record_failing_checks
from dashboard.components import PAGE_ROWS, page_header, pager, style, table
from dashboard.i18n import (
    current_language,
    date_column_format,
    date_tickformat,
    fmt_date,
    fmt_number,
    t,
    words_of,
)
from dashboard.masking import mask_frame
from dashboard.reasons import flag_reason
from dashboard.roles import current_actor, current_role
from dashboard.text import chart_text, plain
from metrics.catalogue import label

DATE_FIELDS = ("planned_start", "planned_end", "contract_end", "terminated_at", "service_start")
# what matters first (pinned: id and company), then the rest
TABLE_COLUMNS = [
    "handover_id",
    "company_name",
    "band",
    "score",
    "flags",
    "risk_level",
    "efficiency_score",
    "quality_score",
    "satisfaction_score",
    "risk_score",
    "team",
    "to_staff",
    "from_staff",
    "reason",
    "actual_end",
    "planned_end",
    "client_id",
]
PINNED = ("handover_id", "company_name")
TABLE_ROWS = 20  # rows the table shows without scrolling (35 px each, and its header)
ROW_HEIGHT = 35
BAND_DOTS = {"red": "🔴", "yellow": "🟡", "green": "🟢"}
BANDS = ("red", "yellow", "green")


class _Chosen(TypedDict):
    """The table's own filters, as ``data.scores_page`` and ``data.all_scores`` take them."""

    bands: tuple[str, ...]
    flags: tuple[str, ...]
    search: str


def _listed_param(name: str, allowed) -> list[str]:
    """The URL's comma-separated values of ``name`` that are among ``allowed``."""
    value = st.query_params.get(name) or ""
    return [v for v in (part.strip() for part in value.split(",")) if v in allowed]


def _seed_from_url(name: str, key: str, allowed) -> None:
    """A filter's initial value from the URL (``?band=red,yellow``, ``?flag=overdue``): taken
    when the page opens with it, and again when a link brings another value; the user's
    choice then writes it back (``_to_url``)."""
    value = st.query_params.get(name) or ""
    if st.session_state.get(f"_{key}_from_url") != value or key not in st.session_state:
        st.session_state[key] = _listed_param(name, allowed)
        st.session_state[f"_{key}_from_url"] = value


def _to_url(name: str, key: str, chosen: list[str]) -> None:
    value = ",".join(chosen)
    if value:
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    elif name in st.query_params:
        del st.query_params[name]
    st.session_state[f"_{key}_from_url"] = value


def scored_table(version, as_of, filters) -> str | None:
    """The selected handovers' scores a page at a time (filtered, ordered and paged in
    DuckDB: the browser gets one page of rows); returns the handover picked in it."""
    lang = current_language()
    key = data.filters_key(filters)
    everything = data.scores_page(version, as_of, key, limit=0)
    if everything.total == 0:
        st.info(t("common.no_rows"))
        return None
    _seed_from_url("band", "h_bands", BANDS)
    _seed_from_url("flag", "h_flags", everything.flags)
    left, middle, right = st.columns([2, 2, 3])
    bands = left.multiselect(
        t("columns.band"),
        list(BANDS),
        format_func=lambda b: f"{BAND_DOTS[b]} {t(f'bands.{b}')}",
        key="h_bands",
        placeholder=t("common.choose"),
    )
    flags = middle.multiselect(
        t("columns.flags"),
        everything.flags,
        key="h_flags",
        format_func=lambda f: label("flags", f, lang),
        placeholder=t("common.choose"),
    )
    search = right.text_input(
        t("handovers.search"), key="h_search", placeholder=t("handovers.search_hint")
    )
    _to_url("band", "h_bands", bands)
    _to_url("flag", "h_flags", flags)
    chosen: _Chosen = {"bands": tuple(bands), "flags": tuple(flags), "search": search}
    matched = data.scores_page(version, as_of, key, limit=0, **chosen).matched
    st.caption(
        t("handovers.count", shown=matched, total=everything.total)
        + ("。" if lang == "zh" else ". ")
        + t("handovers.order")
    )
    first = pager(matched, "handover_table")
    page = data.scores_page(version, as_of, key, offset=first, limit=PAGE_ROWS, **chosen)
    frame = table_frame(page.rows, lang)
    labels = {c: t(f"columns.{c}") for c in TABLE_COLUMNS}
    rows = data.all_scores(as_of, key, **chosen)
    event = table(
        frame,
        "handovers",
        labels=labels,
        key="handover_table",
        selectable=True,
        column_config=table_config(labels, lang),
        height=ROW_HEIGHT * (min(max(len(frame), 1), TABLE_ROWS) + 1) + 3,
        everything=lambda: table_frame(rows(), lang),
    )
    if event is not None and event.selection.rows:
        picked = event.selection.rows[0]
        if picked < len(frame):
            return frame.iloc[picked]["handover_id"]
    return None


def table_frame(scores: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The table's rows: codes as words of the language, None for no value (shown as "—").
    Takes no session values (it also prepares a download, outside the session); each
    distinct code is worded once."""
    frame = scores[TABLE_COLUMNS].reset_index(drop=True).copy()
    frame["reason"] = words_of(frame["reason"], lambda r: t(f"reasons.{r}", lang) if r else None)
    frame["band"] = words_of(
        frame["band"],
        lambda b: f"{BAND_DOTS[b]} {t(f'bands.{b}', lang)}" if b in BAND_DOTS else None,
    )
    frame["risk_level"] = words_of(
        frame["risk_level"], lambda r: t(f"risk_levels.{r}", lang) if r else None
    )
    frame["flags"] = words_of(
        frame["flags"],
        lambda fs: (
            ("、" if lang == "zh" else ", ").join(label("flags", f, lang) for f in fs or ()) or None
        ),
    )
    frame["planned_end"] = pd.to_datetime(frame["planned_end"], errors="coerce")
    for column in ("company_name", "team", "to_staff", "from_staff", "client_id"):
        frame[column] = frame[column].where(
            frame[column].map(lambda v: isinstance(v, str) and bool(v)), None
        )
    return frame


def table_config(labels: dict[str, str], lang: str) -> dict:
    """Id and company pinned at the left, the score as a bar, dates in the language."""
    column = st.column_config
    config = {
        labels[c]: column.NumberColumn(format="%.0f", width=70)
        for c in ("efficiency_score", "quality_score", "satisfaction_score", "risk_score")
    }
    config[labels["handover_id"]] = column.TextColumn(pinned=True, width=125)
    config[labels["company_name"]] = column.TextColumn(pinned=True, width=210)
    config[labels["band"]] = column.TextColumn(width=70)
    config[labels["score"]] = column.ProgressColumn(
        format="%.1f", min_value=0, max_value=100, width=110
    )
    config[labels["flags"]] = column.TextColumn(width=260)
    config[labels["risk_level"]] = column.TextColumn(width=75)
    config[labels["actual_end"]] = column.DatetimeColumn(format=date_column_format(lang, time=True))
    config[labels["planned_end"]] = column.DateColumn(format=date_column_format(lang))
    return config


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
    row, raised = data.handover_scores(version, as_of, handover_id)
    score = row.iloc[0] if not row.empty else None
    st.divider()
    band = score["band"] if score is not None else None
    st.header(
        t(
            "handovers.record_title",
            id=handover_id,
            company=client.get("company_name") or form["client_id"],
        )
    )
    if score is not None and band:
        st.markdown(
            f":{ {'green': 'green', 'yellow': 'orange', 'red': 'red'}[band] }-badge["
            f"{t(f'bands.{band}')} · {fmt_number(score['score'], 1)}]  "
            f":gray-badge[{t('columns.risk_level')}{'：' if lang == 'zh' else ': '}"
            f"{t('risk_levels.' + score['risk_level'])}]"
        )
    cols = st.columns(4)
    for cell, name in zip(
        cols,
        ("efficiency_score", "quality_score", "satisfaction_score", "risk_score"),
        strict=False,
    ):
        value = None if score is None else score[name]
        cell.metric(t(f"columns.{name}"), fmt_number(value), border=True)

    left, right = st.columns(2)
    with left:
        st.subheader(t("handovers.form"))
        pairs = _pairs(
            form,
            [
                "client_id",
                "from_staff",
                "to_staff",
                "supervisor",
                "team",
                "reason",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "nda_signed",
                "signed_off_at",
            ],
        )
        st.dataframe(pairs, hide_index=True, width="stretch", placeholder="—", height=_fit(pairs))
    with right:
        st.subheader(t("handovers.client"))
        masked = mask_frame(pd.DataFrame([client]), role) if client else pd.DataFrame()
        pairs = _pairs(
            masked.iloc[0].to_dict() if not masked.empty else {},
            [
                "company_name",
                "uscc",
                "legal_rep",
                "contact_name",
                "contact_phone",
                "email",
                "taxpayer_type",
                "assigned_staff",
                "status",
                "contract_end",
                "terminated_at",
            ],
        )
        st.dataframe(pairs, hide_index=True, width="stretch", placeholder="—", height=_fit(pairs))

    st.subheader(t("handovers.flags"))
    if raised.empty:
        st.success(t("handovers.no_flags"), icon=":material/check_circle:")
    for item in raised.itertuples(index=False):
        why = flag_reason(item.reason_code, item.reason_params, lang)
        st.markdown(f"- **{label('flags', item.flag, lang)}** — {plain(why)}")

    _timeline(found["events"])
    _checklist(found["checklist"])
    left, right = st.columns(2)
    with left:
        st.subheader(t("handovers.discrepancies"))
        if found["discrepancies"].empty:
            st.caption(t("handovers.no_discrepancies"))
        else:
            table(
                _events_frame(found["discrepancies"]),
                f"discrepancies_{handover_id}",
                key="discrepancies",
                column_config=_events_config(),
            )
    with right:
        st.subheader(t("handovers.feedback"))
        if found["feedback"].empty:
            st.caption(t("handovers.no_feedback"))
        else:
            feedback = _feedback_frame(found["feedback"])
            table(
                feedback,
                f"feedback_{handover_id}",
                key="record_feedback",
                labels={c: t(f"handovers.feedback_columns.{c}") for c in feedback.columns},
                column_config={
                    t("handovers.feedback_columns.submitted_at"): st.column_config.DatetimeColumn(
                        format=date_column_format(lang, time=True)
                    )
                },
            )
    record_failing_checks(found["failing_checks"], handover_id)


def _audit_unmasked(handover_id: str, client: dict, role) -> None:
    """Opening a record whose client's phone, USCC or e-mail the role sees unmasked is in the
    audit trail: once per session and record."""
    shown = [field for field in role.unmasked if client.get(field)]
    opened = st.session_state.setdefault("_audited_records", set())
    if not shown or handover_id in opened:
        return
    from pipelines import audit

    audit.append(
        data.store(),
        current_actor().name,
        "record_view",
        handover_id,
        client=client.get("client_id"),
        unmasked=shown,
    )
    opened.add(handover_id)


def _pairs(values: dict, keys: list[str]) -> pd.DataFrame:
    """Field and value, both words of the language; "—" for no value."""
    rows = []
    for key in keys:
        value = values.get(key)
        if _missing(value):
            value = "—"
        elif key == "reason":
            value = _code("reasons", value)
        elif key in ("taxpayer_type", "status"):
            value = _code("handovers.codes", value)
        elif isinstance(value, bool):
            value = t("common.yes") if value else t("common.no")
        elif key in DATE_FIELDS:
            value = fmt_date(value)
        elif hasattr(value, "strftime"):
            value = fmt_date(value, time=True)
        rows.append({t("handovers.field"): _column_label(key), t("handovers.value"): str(value)})
    return pd.DataFrame(rows)


def _fit(frame: pd.DataFrame) -> int:
    """A table's height that shows every row (and the header) without scrolling."""
    return ROW_HEIGHT * (len(frame) + 1) + 3


def _missing(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def _code(prefix: str, value) -> str:
    """A code's words (``reasons.resignation`` → 离职); the value itself when the catalogue
    has no such code (data as written)."""
    try:
        return t(f"{prefix}.{value}")
    except KeyError:
        return str(value)


def _column_label(key: str) -> str:
    try:
        return t(f"columns.{key}")
    except KeyError:
        return t(f"handovers.fields.{key}")


def event_label(code) -> str | None:
    """An event type in the language (item_verified → 核对通过 / Verified)."""
    return _code("handovers.event_types", code) if not _missing(code) else None


def item_label(code) -> str | None:
    """A checklist item in the language (bank_accounts → 银行账户及对账单)."""
    return _code("settings.items", code) if not _missing(code) else None


def _events_frame(events: pd.DataFrame) -> pd.DataFrame:
    frame = events.copy()
    frame["event_type"] = frame["event_type"].map(event_label)
    frame["item_code"] = frame["item_code"].map(item_label)
    for column in ("actor", "note"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: None if _missing(v) else v)
    return frame.rename(columns={c: t(f"handovers.events.{c}") for c in frame.columns})


def _events_config() -> dict:
    return {
        t("handovers.events.occurred_at"): st.column_config.DatetimeColumn(
            format=date_column_format(time=True)
        )
    }


def _feedback_frame(feedback: pd.DataFrame) -> pd.DataFrame:
    """The survey tool and how the response was matched, in words; ratings as numbers."""
    frame = feedback.copy()
    if "source_tool" in frame:
        frame["source_tool"] = frame["source_tool"].map(
            lambda v: None if _missing(v) else _code("satisfaction.tools", v)
        )
    if "matched_by" in frame:
        frame["matched_by"] = frame["matched_by"].map(
            lambda v: None if _missing(v) else _column_label(v)
        )
    for column in ("overall_satisfaction", "recommend_score"):
        if column in frame:
            frame[column] = frame[column].map(lambda v: None if _missing(v) else f"{v:.0f}")
    if "comment" in frame:
        frame["comment"] = frame["comment"].map(lambda v: None if _missing(v) else v)
    return frame


def _timeline(events: pd.DataFrame) -> None:
    st.subheader(t("handovers.timeline"))
    if events.empty:
        st.caption(t("handovers.no_events"))
        return
    words = {
        name: t(f"handovers.events.{name}")
        for name in ("occurred_at", "event_type", "item_code", "actor", "note")
    }
    shown = pd.DataFrame(
        {  # data in a chart: as plain text (Plotly reads some HTML)
            words["occurred_at"]: events["occurred_at"],
            words["event_type"]: events["event_type"].map(
                lambda e: chart_text(event_label(e) or "—")
            ),
            words["item_code"]: events["item_code"].map(lambda i: chart_text(item_label(i) or "—")),
            words["actor"]: events["actor"].map(lambda v: chart_text("—" if _missing(v) else v)),
            words["note"]: events["note"].map(lambda v: chart_text("—" if _missing(v) else v)),
        }
    )
    fig = px.scatter(
        shown,
        x=words["occurred_at"],
        y=words["event_type"],
        hover_data=[words["item_code"], words["actor"], words["note"]],
    )
    fig.update_traces(marker={"size": 11, "color": "#2f6db5"})
    fig.update_xaxes(
        tickformat=date_tickformat(),
        hoverformat="%Y年%-m月%-d日 %H:%M" if current_language() == "zh" else "%Y-%m-%d %H:%M",
    )
    st.plotly_chart(style(fig, height=360), width="stretch")
    with st.expander(t("handovers.all_events", n=len(events))):
        table(_events_frame(events), "events", key="record_events", column_config=_events_config())


def _checklist(items: pd.DataFrame) -> None:
    st.subheader(t("handovers.checklist"))
    lang = current_language()
    frame = pd.DataFrame(
        {
            t("handovers.item"): items["item_code"].map(item_label),
            t("handovers.sensitive"): items["sensitive"].map(lambda s: "🔒" if s else ""),
            t("handovers.transferred"): items["transferred_at"],
            t("handovers.verified"): items["verified_at"],
            t("handovers.state"): [
                t("handovers.state_verified")
                if pd.notna(v)
                else t("handovers.state_transferred")
                if pd.notna(tr)
                else t("handovers.state_missing")
                for v, tr in zip(items["verified_at"], items["transferred_at"], strict=False)
            ],
            t("handovers.discrepancy_count"): items["discrepancies"],
            t("handovers.fix_count"): items["fixes"],
        }
    )
    when = st.column_config.DatetimeColumn(format=date_column_format(lang, time=True))
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        placeholder="—",
        height=_fit(frame),
        column_config={t("handovers.transferred"): when, t("handovers.verified"): when},
    )


def handovers() -> None:
    page_header("handovers")
    version, as_of, filters = data.version(), st.session_state.as_of, st.session_state.filters
    chosen = scored_table(version, as_of, filters)
    wanted = chosen or st.query_params.get("handover") or st.session_state.get("selected_handover")
    if chosen:
        st.session_state.selected_handover = chosen
    if chosen and st.query_params.get("handover") != chosen:
        st.query_params["handover"] = chosen
    if wanted:
        record(version, as_of, filters, wanted)
    else:
        st.caption(t("handovers.pick"))


handovers()
