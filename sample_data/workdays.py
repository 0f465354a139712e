"""The sample's fixed calendar: its reference date, public holidays and office hours.

Nothing here reads the clock: the sample is always generated "as of" SAMPLE_AS_OF.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

SAMPLE_AS_OF = date(2026, 11, 20)
# Handovers cover the 18 months before SAMPLE_AS_OF.
WINDOW_START = date(2025, 5, 20)
# Every timestamp of the sample lies before this moment (the export was taken that morning).
CUTOFF = datetime.combine(SAMPLE_AS_OF, time.min)
# Resignations peak in the weeks after the Spring Festival (年后离职潮), once year-end
# bonuses are paid. Only the 2026 festival lies inside the window.
SPRING_FESTIVALS = (date(2025, 1, 29), date(2026, 2, 17))

_HOLIDAY_RANGES = (
    (date(2025, 5, 31), date(2025, 6, 2)),  # 端午节
    (date(2025, 10, 1), date(2025, 10, 8)),  # 国庆节、中秋节
    (date(2026, 1, 1), date(2026, 1, 3)),  # 元旦
    (date(2026, 2, 15), date(2026, 2, 23)),  # 春节
    (date(2026, 4, 4), date(2026, 4, 6)),  # 清明节
    (date(2026, 5, 1), date(2026, 5, 5)),  # 劳动节
    (date(2026, 6, 19), date(2026, 6, 21)),  # 端午节
    (date(2026, 9, 25), date(2026, 9, 27)),  # 中秋节
    (date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
)
HOLIDAYS = frozenset(
    first + timedelta(days=i)
    for first, last in _HOLIDAY_RANGES
    for i in range((last - first).days + 1)
)
OPEN_MINUTE = 9 * 60  # 09:00
CLOSE_MINUTE = 18 * 60  # 18:00
_DAY = timedelta(days=1)


def is_workday(d: date) -> bool:
    return d.weekday() < 5 and d not in HOLIDAYS


def next_workday(d: date) -> date:
    """d itself when it is a workday, else the first workday after it."""
    while not is_workday(d):
        d += _DAY
    return d


def previous_workday(d: date) -> date:
    while not is_workday(d):
        d -= _DAY
    return d


def add_workdays(d: date, n: int) -> date:
    """The n-th workday after d (n >= 0; n == 0 gives next_workday(d))."""
    d = next_workday(d)
    for _ in range(n):
        d = next_workday(d + _DAY)
    return d


def at_minute(d: date, minute: int) -> datetime:
    return datetime(d.year, d.month, d.day, minute // 60, minute % 60)


def office_time(
    rng: random.Random, d: date, first: int = OPEN_MINUTE, last: int = CLOSE_MINUTE
) -> datetime:
    """A minute of day d between first and last (minutes after midnight)."""
    return at_minute(d, rng.randint(first, last))


# Office time as one counter: seconds of office hours (09:00-18:00 on workdays) since
# _FIRST_DAY. It turns "a random office moment between a and b" into one uniform draw.
_FIRST_DAY = date(2024, 1, 1)
_LAST_DAY = date(2028, 12, 31)
_OFFICE_SECONDS = (CLOSE_MINUTE - OPEN_MINUTE) * 60
_ALL_DAYS = [_FIRST_DAY + timedelta(days=i) for i in range((_LAST_DAY - _FIRST_DAY).days + 1)]
_WORKDAY_LIST = [d for d in _ALL_DAYS if is_workday(d)]
_WORKDAYS_BEFORE = [0] * len(_ALL_DAYS)  # by day since _FIRST_DAY: workdays before that day
for _i in range(1, len(_ALL_DAYS)):
    _WORKDAYS_BEFORE[_i] = _WORKDAYS_BEFORE[_i - 1] + is_workday(_ALL_DAYS[_i - 1])
_BASE = _FIRST_DAY.toordinal()
_MIDNIGHTS = [datetime.combine(d, time.min) for d in _WORKDAY_LIST]
SHARE_OUT_OF_HOURS = 0.02  # evenings and weekends before a filing deadline


def _office_index(t: datetime) -> int:
    day = t.toordinal() - _BASE
    within = t.hour * 3600 + t.minute * 60 + t.second - OPEN_MINUTE * 60
    if within < 0 or not is_workday(t.date()):
        within = 0
    elif within > _OFFICE_SECONDS:
        within = _OFFICE_SECONDS
    return _WORKDAYS_BEFORE[day] * _OFFICE_SECONDS + within


def time_between(rng: random.Random, a: datetime, b: datetime) -> datetime:
    """A moment in [a, b], to the second, in office hours on a workday when [a, b] holds any
    (a small share falls outside them, as in real logs)."""
    a = a.replace(microsecond=0)
    b = b.replace(microsecond=0)
    if b <= a:
        return a
    lo, hi = _office_index(a), _office_index(b)
    if hi <= lo or rng.random() < SHARE_OUT_OF_HOURS:
        return a + timedelta(seconds=int(rng.random() * (b - a).total_seconds()))
    k, rest = divmod(lo + int(rng.random() * (hi - lo)), _OFFICE_SECONDS)
    t = _MIDNIGHTS[k] + timedelta(seconds=OPEN_MINUTE * 60 + rest)
    return b if t > b else a if t < a else t
