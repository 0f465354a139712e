"""Weights, thresholds and the required checklist: one TOML file, validated, with defaults.

The file is ``handover.toml`` in the working directory unless ``--config`` or the environment
variable ``HANDOVER_CONFIG`` names another. A missing file means the defaults; a key that is
wrong is refused with a sentence naming the key and the value. ``save_config`` writes the
file the dashboard's settings page edits.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from pipelines.errors import HandoverError
from pipelines.templates import CHECKLIST_ITEMS

CONFIG_ENV = "HANDOVER_CONFIG"
DEFAULT_CONFIG_NAME = "handover.toml"

FLAGS = (
    "no_supervisor",
    "no_nda",
    "not_signed_off",
    "access_not_revoked",
    "sensitive_unverified",
    "unfixed_discrepancy",
    "overdue",
    "low_satisfaction",
    "complaint",
    "churned_90d",
)
CRITICAL_FLAGS = ("access_not_revoked", "sensitive_unverified")  # DOMAIN.md: force red
SUB_SCORES = ("efficiency", "quality", "satisfaction", "risk")


class ConfigError(HandoverError):
    """A configuration value that cannot be used; the message names the key and the value."""


@dataclass
class Config:
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "efficiency": 25.0,
            "quality": 35.0,
            "satisfaction": 25.0,
            "risk": 15.0,
        }
    )
    green: float = 75.0  # score at or above: green
    yellow: float = 50.0  # score at or above: yellow; below: red
    required_items: list[str] = field(default_factory=lambda: list(CHECKLIST_ITEMS))
    points_per_day_late: float = 10.0  # efficiency points lost per day past planned_end
    points_per_unfixed_discrepancy: float = 20.0  # quality points lost per unfixed item
    risk_points: dict[str, float] = field(
        default_factory=lambda: {
            "no_supervisor": 15.0,
            "no_nda": 20.0,
            "not_signed_off": 15.0,
            "access_not_revoked": 40.0,
            "sensitive_unverified": 40.0,
            "unfixed_discrepancy": 20.0,
            "overdue": 15.0,
            "low_satisfaction": 15.0,
            "complaint": 20.0,
            "churned_90d": 25.0,
        }
    )
    risk_high: float = 40.0  # risk points at or above: high risk (a critical flag always is)
    risk_medium: float = 15.0  # at or above: medium; below: low
    min_handovers: int = 3  # a staff member or team is ranked from this many handovers on
    # survey comments older than this many days are erased after each import; None: kept
    feedback_comments_days: int | None = None
    path: Path | None = None  # where it was read from, if a file

    def to_toml(self) -> dict:
        tree = {
            "weights": dict(self.weights),
            "bands": {"green": self.green, "yellow": self.yellow},
            "checklist": {"required": list(self.required_items)},
            "efficiency": {"points_per_day_late": self.points_per_day_late},
            "quality": {"points_per_unfixed_discrepancy": self.points_per_unfixed_discrepancy},
            "risk": {
                "high": self.risk_high,
                "medium": self.risk_medium,
                "points": dict(self.risk_points),
            },
            "ranking": {"min_handovers": self.min_handovers},
        }
        if self.feedback_comments_days is not None:  # absent: kept forever (TOML has no null)
            tree["retention"] = {"feedback_comments_days": self.feedback_comments_days}
        return tree


def config_path(path: Path | str | None = None) -> Path:
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_NAME)


def load_config(path: Path | str | None = None) -> Config:
    """The configuration in ``path`` (or the default place), validated; defaults if absent."""
    file = config_path(path)
    if not file.exists():
        if path is not None:
            raise ConfigError(f"No configuration file at {file}.")
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{file} is not valid TOML: {err}.", title="Bad configuration") from err
    config = from_dict(data, str(file))
    config.path = file
    return config


def from_dict(data: dict, source: str = "configuration") -> Config:
    config = Config()
    known = {
        "weights",
        "bands",
        "checklist",
        "efficiency",
        "quality",
        "risk",
        "ranking",
        "retention",
    }
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{source}: unknown section [{key}]; the sections are {', '.join(sorted(known))}."
            )
    weights = data.get("weights", {})
    for key, value in weights.items():
        if key not in SUB_SCORES:
            raise ConfigError(
                f"{source}: weights.{key} is not a sub-score; they are {', '.join(SUB_SCORES)}."
            )
        config.weights[key] = _number(source, f"weights.{key}", value, 0, 100)
    if sum(config.weights.values()) <= 0:
        raise ConfigError(f"{source}: the weights add up to 0; give at least one a weight.")
    bands = data.get("bands", {})
    config.green = _number(source, "bands.green", bands.get("green", config.green), 0, 100)
    config.yellow = _number(source, "bands.yellow", bands.get("yellow", config.yellow), 0, 100)
    if config.yellow > config.green:
        raise ConfigError(
            f"{source}: bands.yellow ({config.yellow:g}) is above bands.green ({config.green:g})."
        )
    required = data.get("checklist", {}).get("required", config.required_items)
    if not isinstance(required, list) or not required:
        raise ConfigError(f"{source}: checklist.required must be a non-empty list of items.")
    unknown = [item for item in required if item not in CHECKLIST_ITEMS]
    if unknown:
        raise ConfigError(
            f"{source}: checklist.required has unknown item(s) "
            f"{', '.join(map(str, unknown))}; the items are "
            f"{', '.join(CHECKLIST_ITEMS)}."
        )
    config.required_items = list(dict.fromkeys(required))
    config.points_per_day_late = _number(
        source,
        "efficiency.points_per_day_late",
        data.get("efficiency", {}).get("points_per_day_late", config.points_per_day_late),
        0,
        100,
    )
    config.points_per_unfixed_discrepancy = _number(
        source,
        "quality.points_per_unfixed_discrepancy",
        data.get("quality", {}).get(
            "points_per_unfixed_discrepancy", config.points_per_unfixed_discrepancy
        ),
        0,
        100,
    )
    risk = data.get("risk", {})
    for key, value in risk.get("points", {}).items():
        if key not in FLAGS:
            raise ConfigError(
                f"{source}: risk.points.{key} is not a risk flag; they are {', '.join(FLAGS)}."
            )
        config.risk_points[key] = _number(source, f"risk.points.{key}", value, 0, 100)
    config.risk_high = _number(source, "risk.high", risk.get("high", config.risk_high), 0, 1000)
    config.risk_medium = _number(
        source, "risk.medium", risk.get("medium", config.risk_medium), 0, 1000
    )
    if config.risk_medium > config.risk_high:
        raise ConfigError(
            f"{source}: risk.medium ({config.risk_medium:g}) is above risk.high "
            f"({config.risk_high:g})."
        )
    ranking = data.get("ranking", {})
    for key in ranking:
        if key != "min_handovers":
            raise ConfigError(
                f"{source}: ranking.{key} is not a setting; the setting is min_handovers."
            )
    minimum = ranking.get("min_handovers", config.min_handovers)
    if isinstance(minimum, float) and minimum.is_integer():
        minimum = int(minimum)
    if isinstance(minimum, bool) or not isinstance(minimum, int):
        raise ConfigError(f"{source}: ranking.min_handovers = {minimum!r} is not a whole number.")
    if not 1 <= minimum <= 1000:
        raise ConfigError(f"{source}: ranking.min_handovers = {minimum!r} is outside 1-1000.")
    config.min_handovers = minimum
    config.feedback_comments_days = _retention(source, data.get("retention", {}))
    return config


def _retention(source: str, retention: object) -> int | None:
    """retention.feedback_comments_days: a whole number of days from 1 on, or absent."""
    if not isinstance(retention, dict):
        raise ConfigError(
            f"{source}: [retention] must be a table, e.g. feedback_comments_days = 365."
        )
    for key in retention:
        if key != "feedback_comments_days":
            raise ConfigError(
                f"{source}: retention.{key} is not a setting; the setting is "
                "feedback_comments_days."
            )
    days = retention.get("feedback_comments_days")
    if days is None:
        return None
    if isinstance(days, float) and days.is_integer():
        days = int(days)
    if isinstance(days, bool) or not isinstance(days, int):
        raise ConfigError(
            f"{source}: retention.feedback_comments_days = {days!r} is not a whole number of days."
        )
    if not 1 <= days <= 36500:
        raise ConfigError(
            f"{source}: retention.feedback_comments_days = {days!r} is outside "
            "1-36500 (leave it out to keep comments forever)."
        )
    return days


def _number(source: str, key: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{source}: {key} = {value!r} is not a number.")
    if not low <= value <= high:
        raise ConfigError(f"{source}: {key} = {value!r} is outside {low:g}-{high:g}.")
    return float(value)


def save_config(config: Config, path: Path | str | None = None) -> Path:
    """Validate and write the configuration file; returns its path."""
    file = Path(path) if path else (config.path or config_path())
    from_dict(config.to_toml(), str(file))  # refuse to write what could not be read back
    text = "# handover-insight scoring configuration (see README: Figures and scores)\n"
    file.write_text(text + tomli_w.dumps(config.to_toml()), encoding="utf-8")
    config.path = file
    return file


def flat(tree: dict, prefix: str = "") -> dict[str, object]:
    """A nested table as dotted keys: {"weights": {"quality": 30}} → {"weights.quality": 30}."""
    flat_tree: dict[str, object] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat_tree.update(flat(value, f"{prefix}{key}."))
        else:
            flat_tree[f"{prefix}{key}"] = value
    return flat_tree


def changes(old: Config, new: Config) -> dict[str, list[object]]:
    """Every setting that differs: ``{"weights.efficiency": [old, new], ...}``."""
    before, after = flat(old.to_toml()), flat(new.to_toml())
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def save_settings(store, config: Config, *, actor=None, path: Path | str | None = None) -> Path:
    """Save the scoring settings as ``actor`` (else the command line's operator), who needs
    the permission ``edit_settings``; the audit trail records every changed value, old and
    new, in the same transaction as the file is written (neither happens without the
    other). Returns the file's path."""
    from pipelines import audit
    from pipelines.access import acting

    actor = acting(actor, "edit_settings")
    file = Path(path) if path else (config.path or config_path())
    try:
        old = load_config(file)
    except ConfigError:  # the file being repaired: everything it should hold is a change
        old = Config()

    def write(conn) -> Path:
        audit.record(conn, actor.name, "settings_change", file.name, changes=changes(old, config))
        return save_config(config, file)

    return store.write(write)
