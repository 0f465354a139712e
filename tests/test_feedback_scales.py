"""Rating answers as the tools and respondents write them."""

from __future__ import annotations

import pytest

from pipelines.feedback.scales import (
    DEFAULT_SCALE,
    looks_like_recommend,
    looks_like_satisfaction,
    recommend,
    satisfaction,
    satisfaction_scale,
)
from pipelines.normalise import BadValue


@pytest.mark.parametrize(
    ("answer", "number"),
    [
        ("5", 5),
        (4, 4),
        ("4.0", 4),
        ("5分", 5),
        ("３分", 3),
        ("★★★★☆", 4),
        ("4星", 4),
        ("非常满意", 5),
        ("比较满意", 4),
        ("满意", 4),
        ("一般", 3),
        ("不太满意", 2),
        ("非常不满意", 1),
        ("Very satisfied", 5),
        ("satisfied", 4),
        ("Neither satisfied nor dissatisfied", 3),
        ("Somewhat dissatisfied", 2),
        ("Very Dissatisfied", 1),
        ("5 - 非常满意", 5),
        ("非常满意(5分)", 5),
        ("(跳过)", None),
        ("", None),
        (None, None),
    ],
)
def test_satisfaction_answers(answer, number):
    assert satisfaction(answer) == (None if number is None else float(number))


def test_surveymonkeys_unipolar_scale_is_told_from_the_column():
    column = [
        "Extremely satisfied",
        "Very satisfied",
        "Moderately satisfied",
        "Slightly satisfied",
        "Not at all satisfied",
    ]
    scale = satisfaction_scale(column)
    assert [satisfaction(v, scale) for v in column] == [5, 4, 3, 2, 1]
    assert satisfaction("Very satisfied", satisfaction_scale(["Very satisfied", "Satisfied"])) == 5
    assert satisfaction_scale(["满意", "一般"]) is DEFAULT_SCALE


def test_quality_words_as_a_scale():
    assert [satisfaction(v) for v in ["很好", "好", "一般", "较差", "很差"]] == [5, 4, 3, 2, 1]
    column = ["Excellent", "Very good", "Good", "Fair", "Poor"]
    scale = satisfaction_scale(column)
    assert [satisfaction(v, scale) for v in column] == [5, 4, 3, 2, 1]


@pytest.mark.parametrize(
    ("answer", "number"),
    [
        ("10", 10),
        ("10 - Extremely likely", 10),
        ("0 - Not at all likely", 0),
        ("0 - 完全不可能", 0),
        ("极有可能", 10),
        ("7", 7),
        ("(跳过)", None),
    ],
)
def test_recommend_answers(answer, number):
    assert recommend(answer) == (None if number is None else float(number))


def test_unreadable_answers_say_what_was_expected():
    with pytest.raises(BadValue, match="satisfaction rating"):
        satisfaction("还行吧")
    with pytest.raises(BadValue, match="0-10"):
        recommend("maybe")


def test_columns_are_recognised_by_their_answers():
    assert looks_like_satisfaction(["满意", "非常满意", "(跳过)", "一般"]) == 1.0
    assert looks_like_satisfaction(["男", "女"]) == 0.0
    assert looks_like_recommend(["9", "10", "7", "3"]) == 1.0
    assert looks_like_recommend(["1", "2", "5"]) == 0.0  # a 1-5 scale is not 0-10
