"""Dates that keep their precision: a year, a month or a day.

Accepted: ``datetime.date``/``datetime`` and pandas ``Timestamp`` (from xlsx), ints such as
2021 or 20210701, and text: ``2021-07-01``, ``2021-07``, ``2021``, ``2021/7/1``, ``2021.7.1``,
``2026.1.05``, ``2021年7月``, ``2020年6月22日``, ``2021年``, ``20210701``, ``202107``,
``2021-07-01T00:00:00``, ``2021-07-01 00:00:00`` (time ignored), full-width digits.
Day-first forms such as 01/07/2021 are refused as ambiguous. Years must be in 1800..2200.

>>> parse("2021年7月")
PartialDate(year=2021, month=7, day=None)
>>> parse("2026.1.05").iso()
'2026-01-05'
"""

from __future__ import annotations

import datetime as _dt
import numbers
import re
from dataclasses import dataclass
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.text import clean

__all__ = ["PartialDate", "parse", "add_years", "MIN_YEAR", "MAX_YEAR", "EXPECTED"]

EXPECTED = "YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月"
MIN_YEAR, MAX_YEAR = 1800, 2200
_PRECISIONS = ("year", "month", "day")

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s?(?:Z|[+\-]\d{2}:?\d{2})?)?"
_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2})" + _TIME + ")?",  # ISO, 2021-7
        r"(?P<y>\d{1,5})",  # a year; 1-3 or 5 digits only to say the year is out of range
        r"(?P<y>\d{4}) ?年(?: ?(?P<m>\d{1,2}) ?月(?: ?(?P<d>\d{1,2}) ?[日号])?)?",
        r"(?P<y>\d{4})(?P<sep>[/.])(?P<m>\d{1,2})(?:(?P=sep)(?P<d>\d{1,2})" + _TIME + ")?",
        r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})?",  # 20210701, 202107
    )
)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (_dt.date(year, month + 1, 1) - _dt.date(year, month, 1)).days


def _check(value: Any, year: int, month: int | None, day: int | None) -> None:
    for part in (year, month, day):
        if part is not None and (type(part) is not int):
            raise ValueProblem(
                value, "a valid date (year, month and day must be whole numbers)", EXPECTED
            )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueProblem(
            value, f"a valid date (year {year} is outside {MIN_YEAR}..{MAX_YEAR})", EXPECTED
        )
    if month is None:
        if day is not None:
            raise ValueProblem(value, "a valid date (a day without a month)", EXPECTED)
        return
    if not 1 <= month <= 12:
        raise ValueProblem(value, f"a valid date (month {month} is out of range)", EXPECTED)
    if day is not None and not 1 <= day <= _days_in_month(year, month):
        raise ValueProblem(
            value, f"a valid date (day {day} is out of range for {year}-{month:02d})", EXPECTED
        )


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, the month or the day.

    Ordered chronologically by (year, month, day) with a missing part sorting first, so
    2021 < 2021-01 < 2021-01-01 < 2021-02. (Ordering is written out rather than left to
    ``order=True``, which would fail comparing None with an int.)

    >>> d = PartialDate(2021, 7)
    >>> d.precision, d.first_day(), d.last_day(), str(d)
    ('month', datetime.date(2021, 7, 1), datetime.date(2021, 7, 31), '2021-07')
    >>> sorted([PartialDate(2021, 2), PartialDate(2021), PartialDate(2021, 1, 31)])
    [PartialDate(year=2021, month=None, day=None), PartialDate(year=2021, month=1, day=31), PartialDate(year=2021, month=2, day=None)]
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        _check((self.year, self.month, self.day), self.year, self.month, self.day)

    @property
    def precision(self) -> str:
        """'year', 'month' or 'day'."""
        return "year" if self.month is None else "month" if self.day is None else "day"

    def first_day(self) -> _dt.date:
        """The first day the date covers.

        >>> PartialDate(2021).first_day()
        datetime.date(2021, 1, 1)
        """
        return _dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> _dt.date:
        """The last day the date covers.

        >>> PartialDate(2024, 2).last_day(), PartialDate(2021).last_day()
        (datetime.date(2024, 2, 29), datetime.date(2021, 12, 31))
        """
        if self.month is None:
            return _dt.date(self.year, 12, 31)
        if self.day is None:
            return _dt.date(self.year, self.month, _days_in_month(self.year, self.month))
        return _dt.date(self.year, self.month, self.day)

    def iso(self) -> str:
        """ISO 8601 text at the date's own precision: '2021', '2021-07' or '2021-07-01'."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.iso()

    def _key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self._key() >= other._key()


def _make(value: Any, year: int, month: int | None = None, day: int | None = None) -> PartialDate:
    try:
        return PartialDate(year, month, day)
    except ValueProblem as e:  # report the value as given, not the parts
        raise ValueProblem(value, e.reason, e.expected) from None


def parse(s: Any) -> PartialDate:
    """Read a date at whatever precision it is given.

    >>> parse("2020年6月22日"), parse(2021).precision, parse("20210701").iso()
    (PartialDate(year=2020, month=6, day=22), 'year', '2021-07-01')
    >>> parse("2021-13-01")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '2021-13-01' is not a valid date (month 13 is out of range); expected YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月
    """
    if isinstance(s, PartialDate):
        return s
    if s is None:
        raise ValueProblem(s, "a date (it is empty)", EXPECTED)
    if isinstance(s, _dt.datetime | _dt.date):  # datetime and pandas Timestamp included
        if s != s:  # pandas NaT
            raise ValueProblem(s, "a date (it is empty)", EXPECTED)
        return _make(s, s.year, s.month, s.day)
    if isinstance(s, bool):
        raise ValueProblem(s, "a date", EXPECTED)
    if isinstance(s, numbers.Real) and not isinstance(s, numbers.Integral):
        if s != s:
            raise ValueProblem(s, "a date (it is empty)", EXPECTED)
        if not float(s).is_integer():
            raise ValueProblem(s, "a date", EXPECTED)
        s_text: str | None = str(int(s))
    elif isinstance(s, numbers.Integral):
        s_text = str(int(s))
    elif isinstance(s, str):
        s_text = clean(s)
    elif type(s).__name__ == "datetime64":  # numpy; str() keeps its unit: '2021-07', 'NaT'
        s_text = None if str(s) == "NaT" else str(s)
    else:
        raise ValueProblem(s, "a date", EXPECTED)
    if s_text is None:
        raise ValueProblem(s, "a date (it is empty)", EXPECTED)
    for pattern in _PATTERNS:
        m = pattern.fullmatch(s_text)
        if m is not None:
            g = m.groupdict()
            month = int(g["m"]) if g.get("m") else None
            day = int(g["d"]) if g.get("d") else None
            return _make(s, int(g["y"]), month, day)
    raise ValueProblem(s, "a date", EXPECTED)


def add_years(d: _dt.date, n: int) -> _dt.date:
    """The same day `n` years later (or earlier); 29 February becomes 28 February.

    >>> add_years(_dt.date(2024, 2, 29), 3), add_years(_dt.date(2021, 7, 1), 3)
    (datetime.date(2027, 2, 28), datetime.date(2024, 7, 1))
    """
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)
