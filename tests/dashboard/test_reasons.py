"""The reason codes the SQL gives and the catalogue's words for them (dashboard/reasons.py):
every code a flag's SQL or the feedback view can give has words in both languages, with the
same values in each, and no words are kept for a code nothing gives."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from dashboard.i18n import LANGUAGES, catalogue
from dashboard.reasons import flag_reason, response_reason

ROOT = Path(__file__).resolve().parents[2]
FLAGS_SQL = sorted((ROOT / "metrics" / "sql" / "flags").glob("*.sql"))
FEEDBACK_VIEW = ROOT / "pipelines" / "sql" / "views" / "feedback_responses.sql"


def _keys(prefix: str) -> set[str]:
    return {k.removeprefix(prefix) for k in catalogue() if k.startswith(prefix)}


def test_every_flag_code_has_words_and_every_word_a_code():
    given = set()
    for path in FLAGS_SQL:
        sql = path.read_text(encoding="utf-8")
        found = set(re.findall(r"'(" + path.stem + r"(?:\.\w+)?)'", sql))
        assert found, path.name  # each flag's SQL names its code(s)
        given |= found
    assert given == _keys("flag_reasons.")


def test_every_response_code_has_words_and_every_word_a_code():
    sql = FEEDBACK_VIEW.read_text(encoding="utf-8")
    given = set(re.findall(r"then '((?:unmatched|unattributed)\.\w+)'", sql))
    given |= set(re.findall(r"else '((?:unmatched|unattributed)\.\w+)'", sql))
    assert given == _keys("response_reasons.")


@pytest.mark.parametrize(
    "key",
    sorted(k for k in catalogue() if k.startswith(("flag_reasons.", "response_reasons."))),
)
def test_both_languages_take_the_same_values(key):
    fields = {
        lang: {name for _, name, _, _ in string.Formatter().parse(catalogue()[key][lang]) if name}
        for lang in LANGUAGES
    }
    assert fields["zh"] == fields["en"], key


def test_a_list_of_items_is_joined_in_the_language():
    params = '{"items": ["bank_accounts", "no_such_item"]}'
    assert flag_reason("unfixed_discrepancy", params, "en") == (
        "discrepancy not fixed: bank_accounts, no_such_item"
    )
    assert (
        flag_reason("unfixed_discrepancy", params, "zh")
        == "差异未更正：银行账户及对账单、no_such_item"
    )


def test_no_code_is_no_reason_and_an_unknown_code_fails():
    assert response_reason(None, "zh") is None
    with pytest.raises(KeyError, match="response_reasons.unmatched.nothing"):
        response_reason("unmatched.nothing", "en")
