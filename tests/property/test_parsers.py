"""Properties of the cell parsers (pipelines/normalise.py): every written form of a moment
reads as that moment, an impossible date or time is refused with its reason code, yes/no
words read the same whatever their case or padding, a code, its label or an alias reads as
the code, and no text makes a parser fail with anything but BadValue."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from pipelines import normalise
from pipelines.normalise import BadValue, boolean, code_parser, text, timestamp, to_date
from pipelines.templates import CODE_ALIASES, STORED
from tests.property.strategies import any_case, full_width, padding

EXCEL_EPOCH = datetime(1899, 12, 30)
moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
moments = moments.map(lambda m: m.replace(microsecond=0))


def written(moment: datetime) -> list[str]:
    """Ways a spreadsheet or a person writes ``moment`` (to the second)."""
    y, mo, d = f"{moment.year:04d}", moment.month, moment.day
    h, mi, s = moment.hour, moment.minute, moment.second
    return [
        f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}",
        f"{y}/{mo}/{d} {h}:{mi:02d}:{s:02d}",
        f"{y}.{mo:02d}.{d:02d}T{h:02d}:{mi:02d}:{s:02d}",
        f"{y}年{mo}月{d}日 {h}时{mi}分{s}秒",
        f"{y}-{mo}-{d} {h:02d}：{mi:02d}：{s:02d}",  # full-width colons
    ]


@given(moments, padding, padding)
def test_every_written_form_of_a_moment_reads_as_that_moment(moment, before, after):
    for form in written(moment):
        assert timestamp(before + form + after) == moment, form
        assert timestamp(full_width(form)) == moment, full_width(form)
        assert to_date(form) == moment.date()


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_a_date_alone_is_midnight_in_every_form(day):
    midnight = datetime(day.year, day.month, day.day)
    year = f"{day.year:04d}"
    for form in (
        day.isoformat(),
        f"{year}/{day.month}/{day.day}",
        f"{year}年{day.month}月{day.day}日",
        f"{year}年{day.month}月{day.day}",
        f"{year}{day.month:02d}{day.day:02d}",
    ):
        assert timestamp(form) == midnight, form
    assert timestamp(day) == midnight
    if day.year >= 1900:  # 20261003 typed as a number; smaller numbers are Excel's serials
        assert to_date(int(f"{year}{day.month:02d}{day.day:02d}")) == day


@given(
    moments,
    st.integers(min_value=-14 * 60, max_value=14 * 60),
    st.sampled_from(["{sign}{h:02d}:{m:02d}", "{sign}{h:02d}{m:02d}"]),
)
@example(datetime(2026, 10, 3, 0, 30), 0, "Z")
@example(datetime(9999, 12, 31, 23, 0), -5 * 60, "{sign}{h:02d}:{m:02d}")  # past 9999 in Shanghai
@example(datetime(1, 1, 1, 0, 0), 12 * 60, "{sign}{h:02d}{m:02d}")  # before the year 1
def test_a_moment_with_a_zone_is_shanghai_time(moment, offset, spelling):
    """An explicit zone is converted to Asia/Shanghai (UTC+8, no daylight saving); a moment
    that would leave the years a date can have is refused, not a crash."""
    sign, (h, m) = ("-" if offset < 0 else "+"), divmod(abs(offset), 60)
    zone = spelling.format(sign=sign, h=h, m=m)
    form = f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S") + zone
    given_zone = timezone(timedelta(minutes=offset if zone != "Z" else 0))
    try:
        expected = (
            moment.replace(tzinfo=given_zone)
            .astimezone(timezone(timedelta(hours=8)))
            .replace(tzinfo=None)
        )
    except OverflowError:
        with pytest.raises(BadValue, match="impossible date or time") as e:
            timestamp(form)
        assert e.value.code == "impossible_moment"
        return
    assert timestamp(form) == expected


@given(
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
)
def test_an_impossible_date_is_refused_with_its_reason(year, month, day):
    form = f"{year:04d}-{month}-{day}"
    try:
        real = date(year, month, day)
    except ValueError:
        with pytest.raises(BadValue, match=r"impossible date \(\d+-\d{2}-\d{2} does not") as e:
            timestamp(form)
        assert e.value.code == "impossible_date"
        assert e.value.params == {"date": f"{year}-{month:02d}-{day:02d}"}
    else:
        assert to_date(form) == real


@given(
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
)
def test_an_impossible_time_is_refused_with_its_reason(hour, minute, second):
    clock = f"{hour:02d}:{minute:02d}:{second:02d}"
    if hour <= 23 and minute <= 59 and second <= 59:
        assert timestamp(f"2026-10-03 {clock}") == datetime(2026, 10, 3, hour, minute, second)
    else:
        with pytest.raises(BadValue, match="impossible time") as e:
            timestamp(f"2026-10-03 {clock}")
        assert (e.value.code, e.value.params) == ("impossible_time", {"time": clock})


@given(st.floats(min_value=1, max_value=2958465.99, allow_nan=False))
def test_an_excel_serial_counts_days_from_1899_12_30(serial):
    assert timestamp(serial) == EXCEL_EPOCH + timedelta(days=serial)
    assert to_date(int(serial)) == (EXCEL_EPOCH + timedelta(days=int(serial))).date()


@given(st.floats(min_value=2958466, max_value=19000000) | st.floats(max_value=0.999))
def test_a_number_that_is_no_serial_nor_a_yyyymmdd_is_no_date(number):
    assume(number == number)  # not NaN (an empty numeric cell, read as no value)
    with pytest.raises(BadValue, match="not a date") as e:
        timestamp(number)
    assert e.value.code == "not_a_date"


REASONS = ("not_a_date", "impossible_date", "not_a_time", "impossible_time", "not_yes_no")


@given(st.text(max_size=40) | st.from_regex(r"\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?[ T].{0,12}"))
def test_no_text_fails_but_with_a_reason(raw):
    """Whatever a cell holds, the date and yes/no parsers answer a value, nothing for a blank
    cell, or BadValue with a reason code: never another exception."""
    for parse in (timestamp, to_date, boolean):
        try:
            value = parse(raw)
        except BadValue as err:
            assert err.code in REASONS
            assert str(err)
        else:
            assert (value is None) == (text(raw) is None)


@given(st.sampled_from(sorted(normalise._TRUE)).flatmap(any_case), padding, padding)
def test_yes_words_read_as_true(word, before, after):
    assert boolean(before + word + after) is True
    assert boolean(full_width(word)) is True


@given(st.sampled_from(sorted(normalise._FALSE)).flatmap(any_case), padding, padding)
def test_no_words_read_as_false(word, before, after):
    assert boolean(before + word + after) is False
    assert boolean(full_width(word)) is False


@given(st.text(max_size=12))
def test_anything_else_is_not_yes_or_no(raw):
    key = (text(raw) or "").casefold()
    assume(key not in normalise._TRUE | normalise._FALSE)
    if not key:
        assert boolean(raw) is None
        return
    with pytest.raises(BadValue, match="not a yes/no value") as e:
        boolean(raw)
    assert e.value.code == "not_yes_no"


CODED = [column for t in STORED.values() for column in t.columns if column.codes]


def spellings(column) -> list[tuple[str, str]]:
    """(written, code): each code, its label and its aliases."""
    codes = column.codes or {}
    return [
        *((code, code) for code in codes),
        *((label, code) for code, label in codes.items()),
        *CODE_ALIASES.get(column.name, {}).items(),
    ]


@given(
    st.sampled_from(CODED).flatmap(
        lambda column: st.tuples(st.just(column), st.sampled_from(spellings(column)))
    ),
    padding,
    padding,
    st.booleans(),
)
def test_a_code_its_label_or_an_alias_reads_as_the_code(case, before, after, upper):
    column, (spelling, code) = case
    parse = code_parser(column)
    written = spelling.upper() if upper else spelling
    assert parse(before + written + after) == code
    assert parse(code) == code  # a parsed value reads as itself
    assert code_parser(column, keep_unknown=True)(written) == code


@given(st.sampled_from(CODED), st.text(min_size=1, max_size=12))
def test_an_unknown_code_is_refused_or_kept_as_written(column, raw):
    known = {
        unicodedata.normalize("NFKC", s).casefold().replace(" ", "_")
        for s, _code in spellings(column)
    }
    folded = text(raw)
    assume(folded is not None)
    assume(folded.casefold() not in known and folded.casefold().replace(" ", "_") not in known)
    with pytest.raises(BadValue, match="unknown value") as e:
        code_parser(column)(raw)
    assert e.value.code == "unknown_code" and e.value.params["field"] == column.name
    assert code_parser(column, keep_unknown=True)(raw) == folded
