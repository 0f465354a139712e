"""Reading answers on rating scales: satisfaction 1-5 and likelihood to recommend 0-10.

Answers arrive as numbers (``5``, ``5分``, ``4.0``), stars (``★★★★☆``, ``4星``), labels in
Chinese or English, or a number with its label (``10 - Extremely likely``, ``非常满意(5分)``).
Two English 5-point scales use the same words differently: the bipolar one (Very satisfied …
Very dissatisfied, Very satisfied = 5) and SurveyMonkey's unipolar one (Extremely satisfied,
Very satisfied, Moderately satisfied, Slightly satisfied, Not at all satisfied; Very
satisfied = 4); likewise quality words (很好 … 很差, Very good … Very poor, or Excellent, Very
good, Good, Fair, Poor). ``satisfaction_scale`` picks the scale from the whole column's values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.normalise import BadValue, text

SKIPPED = {"(跳过)", "跳过", "(空)", "-3", "n/a", "na", "-", "—", "(skipped)", "skipped", "-99"}

BIPOLAR = {
    "非常满意": 5,
    "很满意": 5,
    "十分满意": 5,
    "满意": 4,
    "比较满意": 4,
    "较满意": 4,
    "基本满意": 3,
    "一般": 3,
    "中立": 3,
    "说不清": 3,
    "不太满意": 2,
    "不满意": 2,
    "较不满意": 2,
    "比较不满意": 2,
    "非常不满意": 1,
    "很不满意": 1,
    "极不满意": 1,
    "very satisfied": 5,
    "extremely satisfied": 5,
    "completely satisfied": 5,
    "satisfied": 4,
    "somewhat satisfied": 4,
    "mostly satisfied": 4,
    "neutral": 3,
    "neither satisfied nor dissatisfied": 3,
    "neither": 3,
    "ok": 3,
    "average": 3,
    "somewhat dissatisfied": 2,
    "dissatisfied": 2,
    "unsatisfied": 2,
    "very dissatisfied": 1,
    "extremely dissatisfied": 1,
    "completely dissatisfied": 1,
    "very unsatisfied": 1,
}
# Quality words used as a satisfaction scale ("how was the handover?").
QUALITY = {
    "非常好": 5,
    "很好": 5,
    "好": 4,
    "比较好": 4,
    "较好": 4,
    "比较差": 2,
    "较差": 2,
    "差": 2,
    "很差": 1,
    "非常差": 1,
    "very good": 5,
    "good": 4,
    "poor": 2,
    "bad": 2,
    "very poor": 1,
    "very bad": 1,
}
# "Excellent, Very good, Good, Fair, Poor": here Very good is 4 and Good is 3.
EXCELLENT_SCALE = {"excellent": 5, "very good": 4, "good": 3, "fair": 2, "poor": 1}
UNIPOLAR = {
    "extremely satisfied": 5,
    "very satisfied": 4,
    "moderately satisfied": 3,
    "slightly satisfied": 2,
    "not at all satisfied": 1,
    "not satisfied at all": 1,
}
_UNIPOLAR_ONLY = {
    "moderately satisfied",
    "slightly satisfied",
    "not at all satisfied",
    "not satisfied at all",
}

RECOMMEND_LABELS = {
    "extremely likely": 10,
    "not at all likely": 0,
    "extremely unlikely": 0,
    "极有可能": 10,
    "非常可能": 10,
    "非常愿意": 10,
    "完全不可能": 0,
    "绝不可能": 0,
    "完全不愿意": 0,
}

_NUMBER = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:分|星|points?|stars?)?$")
_NUMBER_WITH_LABEL = re.compile(r"^(-?\d+(?:\.\d+)?)\s*(?:分|星)?\s*[-–—:：=()（]\s*(.+?)\)?$")
_LABEL_WITH_NUMBER = re.compile(r"^(.+?)\s*[(（\[]\s*(-?\d+(?:\.\d+)?)\s*(?:分|星)?\s*[)）\]]$")
_STARS = re.compile(r"^[★☆]+$")


def _key(value: str) -> str:
    return re.sub(r"[\s_]+", " ", value.casefold()).strip(" .。!！")


def is_skipped(value: object) -> bool:
    raw = text(value)
    return raw is None or _key(raw) in SKIPPED


def satisfaction_scale(values: Iterable[object]) -> dict[str, int]:
    """The label scale a column of answers uses, told from the words it contains."""
    keys = {_key(v) for v in (text(x) for x in values) if v}
    if keys & _UNIPOLAR_ONLY:
        return {**BIPOLAR, **QUALITY, **UNIPOLAR}
    if keys & {"excellent", "fair"}:
        return {**BIPOLAR, **QUALITY, **EXCELLENT_SCALE}
    return DEFAULT_SCALE


DEFAULT_SCALE = {**QUALITY, **BIPOLAR}


def _number(raw: str) -> float | None:
    match = _NUMBER.match(raw)
    if match:
        return float(match.group(1))
    match = _NUMBER_WITH_LABEL.match(raw) or None
    if match:
        return float(match.group(1))
    match = _LABEL_WITH_NUMBER.match(raw)
    if match:
        return float(match.group(2))
    if _STARS.match(raw):
        return float(raw.count("★"))
    return None


def _rating(value: object, labels: dict[str, int], code: str) -> float | None:
    """A rating as its number: a number as written, or the number of its label."""
    if is_skipped(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raw = text(value) or ""
    number = _number(raw)
    if number is not None:
        return number
    found = labels.get(_key(raw))
    if found is not None:
        return float(found)
    raise BadValue(code)


def satisfaction(value: object, scale: dict[str, int] = DEFAULT_SCALE) -> float | None:
    """A satisfaction answer as its number (1-5 expected; others kept for the range check)."""
    return _rating(value, scale, "not_satisfaction")


def recommend(value: object) -> float | None:
    """A likelihood-to-recommend answer as its number (0-10 expected)."""
    return _rating(value, RECOMMEND_LABELS, "not_recommend")


def looks_like_satisfaction(values: list[object]) -> float:
    """Share of non-empty answers that read as a 1-5 satisfaction rating."""
    answered = [v for v in values if not is_skipped(v)]
    if not answered:
        return 0.0
    scale = satisfaction_scale(answered)
    good = 0
    for value in answered:
        try:
            number = satisfaction(value, scale)
        except BadValue:
            continue
        if number is not None and 1 <= number <= 5:
            good += 1
    return good / len(answered)


def looks_like_recommend(values: list[object]) -> float:
    """Share of non-empty answers that read as 0-10, with some above 5 (not a 1-5 scale)."""
    answered = [v for v in values if not is_skipped(v)]
    if not answered:
        return 0.0
    numbers = []
    for value in answered:
        try:
            number = recommend(value)
        except BadValue:
            continue
        if number is not None and 0 <= number <= 10 and float(number).is_integer():
            numbers.append(number)
    if not numbers or max(numbers) <= 5:
        return 0.0
    return len(numbers) / len(answered)
