"""The scoring configuration: defaults, validation naming key and value, save and reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.config import Config, ConfigError, load_config, save_config
from metrics.formulas import explain
from pipelines.templates import CHECKLIST_ITEMS


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "handover.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_the_defaults(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert config.weights == {"efficiency": 25, "quality": 35, "satisfaction": 25, "risk": 15}
    assert (config.green, config.yellow) == (75, 50)
    assert config.required_items == list(CHECKLIST_ITEMS)


def test_a_file_overrides_what_it_names(tmp_path: Path):
    config = load_config(
        _write(
            tmp_path,
            """
[weights]
quality = 50
[checklist]
required = ["tax_device", "bank_accounts"]
[risk.points]
complaint = 30
""",
        )
    )
    assert config.weights["quality"] == 50 and config.weights["risk"] == 15
    assert config.required_items == ["tax_device", "bank_accounts"]
    assert config.risk_points["complaint"] == 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[weights]\nquality = 'a lot'", "weights.quality = 'a lot' is not a number"),
        ("[weights]\nspeed = 10", "weights.speed is not a sub-score"),
        ("[weights]\nquality = 150", "weights.quality = 150 is outside 0-100"),
        ("[bands]\ngreen = 40\nyellow = 60", "bands.yellow (60) is above bands.green (40)"),
        ("[checklist]\nrequired = ['seal']", "unknown item(s) seal"),
        ("[checklist]\nrequired = []", "non-empty list"),
        ("[risk.points]\nlate = 5", "risk.points.late is not a risk flag"),
        ("[colours]\nred = 1", "unknown section [colours]"),
        ("[weights\n", "not valid TOML"),
        ("[weights]\nefficiency = 0\nquality = 0\nsatisfaction = 0\nrisk = 0", "add up to 0"),
    ],
)
def test_bad_values_are_refused_naming_the_key(tmp_path: Path, text: str, message: str):
    with pytest.raises(
        ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        load_config(_write(tmp_path, text))


def test_save_and_reload(tmp_path: Path):
    config = Config()
    config.weights["risk"] = 30
    config.required_items = ["vouchers", "ledgers"]
    path = save_config(config, tmp_path / "saved.toml")
    again = load_config(path)
    assert again.weights["risk"] == 30 and again.required_items == ["vouchers", "ledgers"]


def test_saving_an_invalid_configuration_is_refused(tmp_path: Path):
    config = Config()
    config.green = 10
    with pytest.raises(ConfigError, match="bands.yellow"):
        save_config(config, tmp_path / "bad.toml")
    assert not (tmp_path / "bad.toml").exists()


def test_the_explanation_shows_the_configured_numbers():
    config = Config()
    config.points_per_day_late = 7
    zh = dict(explain(config, "zh"))
    en = dict(explain(config, "en"))
    assert "100 − 7 × 超过计划完成日期的天数" in zh["效率（权重 25）"]
    assert "100 − 7 × days after planned_end" in en["Efficiency (weight 25)"]
    assert "权限未收回" in zh["等级"]
