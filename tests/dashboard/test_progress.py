"""The page's progress bar words every stage the library reports, in both languages."""

from __future__ import annotations

import re

import pytest

from dashboard.progress import stage_text
from data_checks.registry import SUITES
from pipelines.progress import CHECK_STAGE_PREFIX, STAGES


@pytest.mark.parametrize("stage", [*STAGES, *(CHECK_STAGE_PREFIX + s for s in SUITES)])
def test_every_stage_is_worded_in_both_languages(stage: str) -> None:
    zh = stage_text(stage, 1200, 5000, "zh")
    en = stage_text(stage, 1200, 5000, "en")
    assert "1,200" in zh and "5,000" in zh and "1,200" in en and "5,000" in en
    assert not re.search(r"[A-Za-z]", zh), zh  # no English code left in the Chinese text
    assert zh != en and not en.startswith(stage)
    assert "1,200" in stage_text(stage, 1200, None, "zh")  # no total known: rows so far
