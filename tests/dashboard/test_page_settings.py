"""AppTest: 评分设置 Settings. The form shows the configuration, a save writes the TOML file
(and every page then scores with it), a wrong value is refused with metrics.config's
sentence and nothing is written, preview and reset; only management may open it."""

from __future__ import annotations

import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.i18n import t
from dashboard.text import literal
from metrics.config import Config, load_config, save_config
from pipelines.templates import CHECKLIST_ITEMS
from tests.dashboard.conftest import by_key, open_page


def click(at, prefix: str) -> AppTest:
    by_key(at.button, prefix).click()
    return at.run()


def formulas(at) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_renders_the_configuration_with_its_formulas(dashboard_env, monkeypatch, lang):
    save_config(
        Config(weights={"efficiency": 20.0, "quality": 40.0, "satisfaction": 25.0, "risk": 15.0}),
        dashboard_env,
    )
    at = open_page("settings", lang, "management", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("settings.title", lang)
    assert by_key(at.number_input, "set_w_quality_").value == 40
    assert by_key(at.number_input, "set_green_").value == 75
    assert by_key(at.number_input, "set_points_access_not_revoked_").value == 40
    assert len(by_key(at.multiselect, "set_required_").value) == len(CHECKLIST_ITEMS)
    weight = "权重 40" if lang == "zh" else "weight 40"
    assert weight in formulas(at)
    assert any(str(dashboard_env) in literal(c.value) for c in at.caption)
    assert any("weights.quality = 40" in c.value for c in at.caption)  # differs from default


def test_save_writes_the_file_and_every_page_uses_it(dashboard_env, monkeypatch):
    assert not dashboard_env.exists()
    at = open_page("settings", "zh", "management", monkeypatch)
    assert any(t("settings.file_missing", "zh", path=dashboard_env) == c.value for c in at.caption)
    by_key(at.number_input, "set_w_quality_").set_value(50.0)
    by_key(at.number_input, "set_per_day_").set_value(5.0)
    by_key(at.multiselect, "set_required_").unselect("pending_matters")
    at = click(at, "set_save_")
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = tomllib.loads(dashboard_env.read_text(encoding="utf-8"))
    assert saved["weights"]["quality"] == 50
    assert saved["efficiency"]["points_per_day_late"] == 5
    assert "pending_matters" not in saved["checklist"]["required"]
    assert len(saved["checklist"]["required"]) == len(CHECKLIST_ITEMS) - 1
    config = load_config(dashboard_env)
    assert config.weights["quality"] == 50
    assert at.success[0].value == t("settings.saved", "zh", path=dashboard_env)
    assert "质量（权重 50）" in formulas(at) and "/ 11" in formulas(at)
    assert by_key(at.number_input, "set_w_quality_").value == 50  # the form shows the file
    at.switch_page("views/overview.py").run()
    assert not at.exception
    assert "质量（权重 50）" in " ".join(m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("set_yellow_", 80.0, "bands.yellow"),
        ("set_medium_", 60.0, "risk.medium"),
    ],
)
def test_a_wrong_value_is_refused_with_a_sentence(dashboard_env, monkeypatch, key, value, named):
    at = open_page("settings", "zh", "management", monkeypatch)
    by_key(at.number_input, key).set_value(value)
    at = click(at, "set_save_")
    assert not at.exception
    assert len(at.error) == 1 and named in literal(at.error[0].value)
    assert at.error[0].value.startswith("设置未保存")
    assert not dashboard_env.exists()


def test_all_weights_zero_and_an_empty_checklist_are_refused(dashboard_env, monkeypatch):
    at = open_page("settings", "en", "management", monkeypatch)
    for name in ("efficiency", "quality", "satisfaction", "risk"):
        by_key(at.number_input, f"set_w_{name}_").set_value(0.0)
    at = click(at, "set_save_")
    assert "weights add up to 0" in literal(at.error[0].value)
    for name in ("efficiency", "quality", "satisfaction", "risk"):
        by_key(at.number_input, f"set_w_{name}_").set_value(25.0)
    by_key(at.multiselect, "set_required_").set_value([])
    at = click(at, "set_save_")
    assert "checklist.required" in literal(at.error[0].value)
    assert not dashboard_env.exists()


def test_preview_shows_what_would_change_without_saving(dashboard_env, monkeypatch):
    at = open_page("settings", "zh", "management", monkeypatch)
    by_key(at.number_input, "set_green_").set_value(95.0)
    at = click(at, "set_preview_")
    assert not at.exception and not at.error
    assert not dashboard_env.exists()
    (preview,) = [d.value for d in at.dataframe]
    rows = dict(
        zip(
            preview[t("settings.measure", "zh")],
            zip(
                preview[t("settings.current", "zh")],
                preview[t("settings.proposed", "zh")],
                strict=False,
            ),
            strict=False,
        )
    )
    green = rows[t("settings.band_count", "zh", band=t("bands.green", "zh"))]
    yellow = rows[t("settings.band_count", "zh", band=t("bands.yellow", "zh"))]
    assert green[1] < green[0] and yellow[1] > yellow[0]  # a higher bar for green


def test_reset_restores_the_defaults_after_confirming(dashboard_env, monkeypatch):
    save_config(Config(green=90.0, yellow=60.0), dashboard_env)
    at = open_page("settings", "zh", "management", monkeypatch)
    assert by_key(at.number_input, "set_green_").value == 90
    at = click(at, "settings_reset")
    assert at.warning[0].value == t("settings.reset_confirm", "zh")
    assert load_config(dashboard_env).green == 90  # nothing yet
    at = click(at, "settings_reset_yes")
    assert not at.exception
    assert load_config(dashboard_env).to_toml() == Config().to_toml()
    assert at.success[0].value == t("settings.reset_done", "zh", path=dashboard_env)
    assert by_key(at.number_input, "set_green_").value == 75


@pytest.mark.parametrize("role", ["quality", "operations"])
def test_other_roles_may_not_open_it(dashboard_env, monkeypatch, role):
    at = open_page("handovers", role=role)
    with pytest.raises(ValueError, match=r"navigation page for '.*views/settings\.py'"):
        at.switch_page("views/settings.py").run()
