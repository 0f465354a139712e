"""Properties of the rating scales (pipelines/feedback/scales.py): a rating reads as its
number however it is written (number, 分, 星, stars, full-width, with its label), a label as
its scale's number in any case and padding, a skipped answer as nothing, and no answer makes
the readers fail with anything but BadValue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.feedback.scales import (
    BIPOLAR,
    DEFAULT_SCALE,
    EXCELLENT_SCALE,
    RECOMMEND_LABELS,
    SKIPPED,
    UNIPOLAR,
    looks_like_recommend,
    looks_like_satisfaction,
    recommend,
    satisfaction,
    satisfaction_scale,
)
from pipelines.normalise import BadValue
from tests.property.strategies import any_case, full_width, padding

ratings = st.integers(min_value=1, max_value=5)
scores = st.integers(min_value=0, max_value=10)


def forms(n: int) -> list[object]:
    return [n, float(n), str(n), f"{n}.0", f"{n}分", f"{n} 分", f"{n}星", f"{n} points"]


@given(ratings, padding, padding)
def test_a_rating_reads_as_its_number_however_written(n, before, after):
    for form in [*forms(n), "★" * n + "☆" * (5 - n)]:
        padded = before + form + after if isinstance(form, str) else form
        assert satisfaction(padded) == n, form
        if isinstance(form, str):
            assert satisfaction(full_width(form)) == n, full_width(form)


@given(scores, padding)
def test_a_score_reads_as_its_number_however_written(n, pad):
    for form in forms(n):
        assert recommend(form) == n, form
    label = "Extremely likely" if n == 10 else "Not at all likely" if n == 0 else "Neutral"
    assert recommend(f"{n}{pad}-{pad}{label}") == n
    assert recommend(f"{label}({n}分)") == n


@given(st.sampled_from(sorted(DEFAULT_SCALE.items())), padding, st.sampled_from(["", "。", "!"]))
def test_a_label_reads_as_its_number_in_any_case(item, pad, stop):
    label, number = item
    for written in (label, label.upper(), label.title()):
        assert satisfaction(pad + written + stop + pad) == number


@given(st.sampled_from(sorted(DEFAULT_SCALE.items())), ratings)
def test_a_number_with_its_label_reads_as_the_number(item, n):
    """``4 - 满意`` and ``非常满意(5分)``: the number written is the answer."""
    label, _number = item
    assert satisfaction(f"{n} - {label}") == n
    assert satisfaction(f"{label}({n}分)") == n
    assert satisfaction(f"{label}（{n}）") == n


@given(st.sampled_from(sorted(RECOMMEND_LABELS.items())).flatmap(
    lambda item: st.tuples(any_case(item[0]), st.just(item[1]))
))  # fmt: skip
def test_a_recommend_label_reads_as_its_score(case):
    written, number = case
    assert recommend(written) == number


@given(st.sampled_from(sorted(SKIPPED)).flatmap(any_case) | st.sampled_from(["", " ", None]))
def test_a_skipped_answer_is_no_answer(skipped):
    assert satisfaction(skipped) is None
    assert recommend(skipped) is None


@given(st.text(max_size=30))
def test_no_answer_fails_but_with_a_reason(raw):
    for read, code in ((satisfaction, "not_satisfaction"), (recommend, "not_recommend")):
        try:
            value = read(raw)
        except BadValue as err:
            assert err.code == code and str(err)
        else:
            assert value is None or isinstance(value, float)


@given(st.sampled_from(sorted(UNIPOLAR.items())), st.sampled_from(sorted(BIPOLAR)))
def test_the_scale_is_told_from_the_whole_column(unipolar, other):
    """'Very satisfied' is 5 on the bipolar scale, 4 beside SurveyMonkey's unipolar words."""
    label, number = unipolar
    column = [label, "Moderately satisfied", other]
    scale = satisfaction_scale(column)
    assert satisfaction(label, scale) == number
    assert satisfaction("Very satisfied", scale) == 4
    assert satisfaction("Very satisfied") == 5
    excellent = satisfaction_scale(["Excellent", "Fair", other])
    assert all(satisfaction(word, excellent) == n for word, n in EXCELLENT_SCALE.items())


@given(st.lists(st.sampled_from([1, 2, 3, 4, 5, "5分", "★★☆☆☆", "非常满意", "一般"]), min_size=1))
def test_a_column_of_ratings_looks_like_satisfaction(column):
    assert looks_like_satisfaction(column) == 1.0
    assert looks_like_recommend(column) == 0.0  # nothing above 5: not a 0-10 scale


@given(st.lists(scores, min_size=1), st.lists(st.sampled_from(["abc", "很难说"]), max_size=3))
def test_the_share_of_readable_scores(column, noise):
    share = looks_like_recommend(column + noise)
    if max(column) <= 5:
        assert share == 0.0
    else:
        assert share == pytest.approx(len(column) / (len(column) + len(noise)))
