"""Every error code the library raises has a sentence in both languages, with the same
placeholders, so that the dashboard never falls back to English for a known fault."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

from tests.layout import product_files

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "dashboard" / "locales"
# code="x", and codes passed first after the file name to the limit helpers
_CODE = re.compile(
    r'\bcode="([a-z0-9_.]+)"|\bover_limit\(\s*\w+,\s*"([a-z0-9_.]+)"'
    r'|^\s*"\w+": \(\s*"([a-z0-9_.]+)",',
    re.MULTILINE,
)


def _raised_codes() -> set[str]:
    codes = set()
    for path in product_files(".py", leave_out=("dashboard",)):
        for found in _CODE.finditer(path.read_text(encoding="utf-8")):
            codes.add(next(g for g in found.groups() if g))
    return codes


def _sentences() -> dict[str, dict[str, str]]:
    """The [errors] tables of every locale file (errors.toml, and a feature's own file such as
    oidc.toml); the dashboard's catalogue merges them and refuses a code given twice."""
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES.glob("*.toml")):
        for code, entry in (
            tomllib.loads(path.read_text(encoding="utf-8")).get("errors", {}).items()
        ):
            assert code not in texts, f"{path.name}: errors.{code} is given twice"
            texts[code] = entry
    return texts


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_raised_code_has_a_sentence_in_both_languages():
    texts = _sentences()
    codes = _raised_codes()
    assert {"file_mixed_encoding", "file_memory_limit", "import_rejected"} <= codes
    missing = sorted(c for c in codes if c not in texts)
    assert not missing, f"codes without a sentence in {LOCALES.name}/*.toml: {missing}"
    for code, entry in texts.items():
        assert set(entry) == {"zh", "en"}, code
        assert _fields(entry["zh"]) == _fields(entry["en"]), code


def _example(spec: str) -> object:
    return 1234 if spec and spec[-1:] in ",d" or "," in spec else "x"


def test_every_sentence_formats_through_the_dashboard_catalogue():
    from dashboard.i18n import t

    texts = _sentences()
    for code, entry in texts.items():
        params = {
            name: _example(spec or "")
            for _, name, spec, _ in string.Formatter().parse(entry["zh"])
            if name
        }
        for lang in ("zh", "en"):
            assert t(f"errors.{code}", lang, **params), code


def test_a_real_reader_error_is_worded_in_chinese(tmp_path):
    import functools

    import pytest

    from dashboard.i18n import t
    from pipelines.errors import HandoverError
    from pipelines.readers import read_grid

    path = tmp_path / "混合编码.csv"
    path.write_bytes("客户编号,企业名称\nKH1,甲公司\n".encode() + "KH2,乙公司\n".encode("gbk"))
    with pytest.raises(HandoverError, match="the file mixes text encodings") as raised:
        read_grid(path, functools.partial(len))
    error = raised.value
    sentence = t(f"errors.{error.code}", "zh", **error.params)
    assert "第 3 行" in sentence and "混用了两种文字编码" in sentence
