"""评分设置 Settings: weights, bands, points and the required checklist of the evaluation
score, edited in a form, validated by metrics.config, previewed and saved to the
configuration file. Every page reads the file, so a save shows everywhere at once."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st
import tomli_w

from dashboard import data
from dashboard.components import page_header
from dashboard.i18n import current_language, t
from dashboard.roles import current_actor
from metrics.catalogue import label
from metrics.config import (
    CRITICAL_FLAGS,
    FLAGS,
    SUB_SCORES,
    Config,
    ConfigError,
    config_path,
    flat,
    from_dict,
    save_settings,
)
from metrics.formulas import explain
from pipelines.templates import CHECKLIST_ITEMS, SENSITIVE_ITEMS

BANDS = ("green", "yellow", "red")
LEVELS = ("high", "medium", "low")


def item_label(code: str) -> str:
    text = CHECKLIST_ITEMS[code] if current_language() == "zh" else t(f"settings.items.{code}")
    return f"{text} 🔒" if code in SENSITIVE_ITEMS else text


def flag_label(flag: str) -> str:
    text = label("flags", flag, current_language())
    return f"⚠ {text}" if flag in CRITICAL_FLAGS else text


def digest(config: Config) -> str:
    """Part of every widget key: the form shows the file's values again after a save,
    a reset or a change made elsewhere."""
    text = json.dumps(config.to_toml(), sort_keys=True)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def number(cell, text: str, value: float, key: str, high: float = 100.0, help=None) -> float:
    return cell.number_input(
        text,
        min_value=0.0,
        max_value=high,
        value=float(value),
        step=1.0,
        format="%g",
        key=key,
        help=help,
    )


def form(config: Config) -> tuple[dict, bool, bool]:
    """The settings as the form holds them (the TOML layout), and which button was pressed."""
    tag = digest(config)
    with st.form(f"settings_form_{tag}"):
        st.markdown(f"**{t('settings.weights')}**")
        cells = st.columns(4)
        weights = {
            name: number(
                cell,
                t(f"columns.{name}_score"),
                config.weights[name],
                f"set_w_{name}_{tag}",
                help=t("settings.weights_help"),
            )
            for cell, name in zip(cells, SUB_SCORES, strict=False)
        }
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{t('settings.bands')}**")
            a, b = st.columns(2)
            green = number(a, t("settings.green"), config.green, f"set_green_{tag}")
            yellow = number(b, t("settings.yellow"), config.yellow, f"set_yellow_{tag}")
        with right:
            st.markdown(f"**{t('settings.deductions')}**")
            a, b = st.columns(2)
            per_day = number(
                a,
                t("settings.points_per_day_late"),
                config.points_per_day_late,
                f"set_per_day_{tag}",
            )
            per_discrepancy = number(
                b,
                t("settings.points_per_unfixed_discrepancy"),
                config.points_per_unfixed_discrepancy,
                f"set_per_discrepancy_{tag}",
            )
        st.markdown(f"**{t('settings.risk')}**")
        a, b, _ = st.columns([1, 1, 2])
        high = number(a, t("settings.risk_high"), config.risk_high, f"set_high_{tag}", 1000.0)
        medium = number(
            b, t("settings.risk_medium"), config.risk_medium, f"set_medium_{tag}", 1000.0
        )
        st.caption(t("settings.risk_points"))
        points = {}
        for row in (FLAGS[:5], FLAGS[5:]):
            for cell, flag in zip(st.columns(5), row, strict=False):
                points[flag] = number(
                    cell, flag_label(flag), config.risk_points[flag], f"set_points_{flag}_{tag}"
                )
        st.caption(t("settings.critical_note"))
        st.markdown(f"**{t('settings.checklist')}**")
        required = st.multiselect(
            t("settings.checklist"),
            list(CHECKLIST_ITEMS),
            default=config.required_items,
            format_func=item_label,
            key=f"set_required_{tag}",
            help=t("settings.checklist_help"),
            label_visibility="collapsed",
        )
        st.caption(t("settings.checklist_help"))
        st.markdown(f"**{t('settings.ranking')}**")
        a, _ = st.columns([1, 3])
        minimum = a.number_input(
            t("settings.min_handovers"),
            min_value=1,
            max_value=1000,
            value=int(config.min_handovers),
            step=1,
            format="%d",
            key=f"set_min_handovers_{tag}",
            help=t("settings.min_handovers_help"),
        )
        a, b, _ = st.columns([1, 1, 4])
        preview = a.form_submit_button(
            t("settings.preview"), icon=":material/visibility:", key=f"set_preview_{tag}"
        )
        save = b.form_submit_button(
            t("settings.save"), type="primary", icon=":material/save:", key=f"set_save_{tag}"
        )
    values = {
        "weights": weights,
        "bands": {"green": green, "yellow": yellow},
        "checklist": {"required": [c for c in CHECKLIST_ITEMS if c in required]},
        "efficiency": {"points_per_day_late": per_day},
        "quality": {"points_per_unfixed_discrepancy": per_discrepancy},
        "risk": {"high": high, "medium": medium, "points": points},
        "ranking": {"min_handovers": int(minimum)},
    }
    return values, preview, save


def show_preview(proposed: Config) -> None:
    """Bands and risk levels of the selected handovers now and under ``proposed``."""
    if data.is_empty():
        st.info(t("settings.preview_empty"), icon=":material/info:")
        return
    version, as_of = data.version(), st.session_state.as_of
    key = data.filters_key(st.session_state.filters)
    before = data.scores(version, as_of, key)
    after = data.scores_with(version, as_of, key, json.dumps(proposed.to_toml(), sort_keys=True))
    rows: list[tuple[str, float, float]] = []  # counts, then mean scores
    for band in BANDS:
        rows.append(
            (
                t("settings.band_count", band=t(f"bands.{band}")),
                int((before["band"] == band).sum()),
                int((after["band"] == band).sum()),
            )
        )
    for level in LEVELS:
        rows.append(
            (
                t("settings.level_count", level=t(f"risk_levels.{level}")),
                int((before["risk_level"] == level).sum()),
                int((after["risk_level"] == level).sum()),
            )
        )
    if before["score"].notna().any():
        rows.append(
            (
                t("settings.mean_score"),
                round(float(before["score"].mean()), 1),
                round(float(after["score"].mean()), 1),
            )
        )
    frame = pd.DataFrame(
        rows, columns=[t("settings.measure"), t("settings.current"), t("settings.proposed")]
    )
    frame[t("settings.difference")] = [
        f"{round(float(b - a), 1):+g}"
        for a, b in zip(frame[t("settings.current")], frame[t("settings.proposed")], strict=False)
    ]
    st.markdown(f"**{t('settings.preview_title')}**")
    st.caption(t("settings.preview_note", n=len(before), as_of=as_of))
    st.dataframe(frame, hide_index=True, width="stretch", key="settings_preview")


def submit(values: dict, preview: bool, save: bool) -> None:
    try:
        proposed = from_dict(values, t("settings.source"))
        if save:
            written = save_settings(
                data.store(), proposed, actor=current_actor(), path=config_path()
            )
            st.session_state.settings_flash = ("settings.saved", str(written))
            st.rerun()
        elif preview:
            show_preview(proposed)
    except ConfigError as error:
        st.error(t("settings.invalid", message=error.message), icon=":material/error:")


def reset() -> None:
    if not st.session_state.get("settings_confirm_reset"):
        if st.button(t("settings.reset"), icon=":material/restart_alt:", key="settings_reset"):
            st.session_state.settings_confirm_reset = True
            st.rerun()
        return
    st.warning(t("settings.reset_confirm"), icon=":material/warning:")
    a, b, _ = st.columns([1, 1, 4])
    if a.button(t("settings.confirm"), type="primary", key="settings_reset_yes"):
        st.session_state.settings_confirm_reset = False
        try:
            written = save_settings(
                data.store(), Config(), actor=current_actor(), path=config_path()
            )
        except ConfigError as error:
            st.error(t("settings.invalid", message=error.message), icon=":material/error:")
            return
        st.session_state.settings_flash = ("settings.reset_done", str(written))
        st.rerun()
    if b.button(t("settings.cancel"), key="settings_reset_no"):
        st.session_state.settings_confirm_reset = False
        st.rerun()


def status(config: Config) -> None:
    flash = st.session_state.pop("settings_flash", None)
    if flash:
        st.success(t(flash[0], path=flash[1]), icon=":material/check_circle:")
    path = config_path()
    st.caption(
        t("settings.file", path=path) if path.exists() else t("settings.file_missing", path=path)
    )
    changed = [
        f"{key} = {value:g}"
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else f"{key}"
        for key, value in flat(config.to_toml()).items()
        if flat(Config().to_toml()).get(key) != value
    ]
    st.caption(
        t("settings.changed", keys="; ".join(changed)) if changed else t("settings.unchanged")
    )


def explanation(config: Config) -> None:
    st.subheader(t("settings.formulas"))
    for name, formula in explain(config, current_language()):
        st.markdown(f"- **{name}**: {formula}")
    with st.expander(t("settings.file_content"), icon=":material/description:"):
        st.code(tomli_w.dumps(config.to_toml()), language="toml")


def settings() -> None:
    page_header("settings")
    config = data.config()
    status(config)
    values, preview, save = form(config)
    submit(values, preview, save)
    reset()
    explanation(data.config())


settings()
