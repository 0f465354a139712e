"""Dashboard pages under Streamlit's AppTest: one sample database per test module, the
environment (database, configuration file, role) set per test, and a page opened by its file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pipelines.store import Store
from sample_data.generator import SAMPLE_AS_OF
from sample_data.loader import load_sample

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small sample, loaded once per test module."""
    path = tmp_path_factory.mktemp("dashboard") / "d.duckdb"
    load_sample(Store(path), "small")
    return path


@pytest.fixture
def dashboard_env(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HANDOVER_DB on the sample, HANDOVER_CONFIG on a fresh (absent) file, default role;
    returns the configuration file's path."""
    config = tmp_path / "handover.toml"
    monkeypatch.setenv("HANDOVER_DB", str(sample_db))
    monkeypatch.setenv("HANDOVER_CONFIG", str(config))
    monkeypatch.delenv("HANDOVER_ROLE", raising=False)
    return config


def open_page(page: str, lang: str = "zh", role: str | None = None,
              monkeypatch: pytest.MonkeyPatch | None = None) -> AppTest:
    """The app run once, as of the sample's date, switched to ``views/<page>.py`` and run
    again, in ``lang``."""
    if role and monkeypatch:
        monkeypatch.setenv("HANDOVER_ROLE", role)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    at.query_params["as_of"] = SAMPLE_AS_OF.isoformat()
    at.run()
    at.switch_page(f"views/{page}.py")
    return at.run()


def by_key(elements, prefix: str):
    """The one element of ``elements`` whose key starts with ``prefix``."""
    found = [e for e in elements if e.key and str(e.key).startswith(prefix)]
    assert len(found) == 1, f"{len(found)} elements with a key starting {prefix!r}"
    return found[0]


def chart_figures(at) -> dict[str, dict]:
    """The page's plotly charts by title, as JSON; see ``array`` for their numbers."""
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {f["layout"]["title"]["text"]: f for f in figures if f["layout"].get("title")}


def array(value) -> np.ndarray:
    """A trace's numbers: plotly writes numpy arrays as base64 ("bdata") with a dtype."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in str(shape).split(",")]) if shape else flat
    return np.asarray(value)
