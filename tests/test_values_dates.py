import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values.dates import PartialDate, add_years, parse
from kg.values.errors import ValueProblem

EXPECTED = "YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-07-01", PartialDate(2021, 7, 1)),
        ("2021-07", PartialDate(2021, 7)),
        ("2021", PartialDate(2021)),
        ("2021-7-1", PartialDate(2021, 7, 1)),
        ("2021/7/1", PartialDate(2021, 7, 1)),
        ("2021/07", PartialDate(2021, 7)),
        ("2021.7.1", PartialDate(2021, 7, 1)),
        ("2026.1.05", PartialDate(2026, 1, 5)),
        ("2021年7月", PartialDate(2021, 7)),
        ("2020年6月22日", PartialDate(2020, 6, 22)),
        ("2020年6月22号", PartialDate(2020, 6, 22)),
        ("2021 年 7 月 1 日", PartialDate(2021, 7, 1)),
        ("2021年", PartialDate(2021)),
        ("20210701", PartialDate(2021, 7, 1)),
        ("202107", PartialDate(2021, 7)),
        ("２０２１年７月", PartialDate(2021, 7)),
        ("２０２１－０７－０１", PartialDate(2021, 7, 1)),
        ("2021-07-01T00:00:00", PartialDate(2021, 7, 1)),
        ("2021-07-01 00:00:00", PartialDate(2021, 7, 1)),
        ("2021-07-01T12:30:15.123Z", PartialDate(2021, 7, 1)),
        ("2021-07-01T12:30+08:00", PartialDate(2021, 7, 1)),
        (" 2021-07-01 ", PartialDate(2021, 7, 1)),
        (2021, PartialDate(2021)),
        (2021.0, PartialDate(2021)),
        (np.int64(2021), PartialDate(2021)),
        (20210701, PartialDate(2021, 7, 1)),
        (dt.date(2021, 7, 1), PartialDate(2021, 7, 1)),
        (dt.datetime(2021, 7, 1, 15, 30), PartialDate(2021, 7, 1)),
        (pd.Timestamp("2021-07-01 08:00"), PartialDate(2021, 7, 1)),
        (np.datetime64("2021-07-01"), PartialDate(2021, 7, 1)),
        (np.datetime64("2021-07"), PartialDate(2021, 7)),
        (PartialDate(2021, 7), PartialDate(2021, 7)),
        ("2020-02-29", PartialDate(2020, 2, 29)),
        ("1800", PartialDate(1800)),
        ("2200-12-31", PartialDate(2200, 12, 31)),
    ],
)
def test_parse(raw, expected):
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2021-13-01", "a valid date (month 13 is out of range)"),
        ("2021-00", "a valid date (month 0 is out of range)"),
        ("2021-02-30", "a valid date (day 30 is out of range for 2021-02)"),
        ("2021-02-29", "a valid date (day 29 is out of range for 2021-02)"),
        ("2021-04-31", "a valid date (day 31 is out of range for 2021-04)"),
        ("2021年7月0日", "a valid date (day 0 is out of range for 2021-07)"),
        ("1799", "a valid date (year 1799 is outside 1800..2200)"),
        ("2201-01-01", "a valid date (year 2201 is outside 1800..2200)"),
        (44378, "a valid date (year 44378 is outside 1800..2200)"),
        ("01/07/2021", "a date"),
        ("7/1/2021", "a date"),
        ("2021/7.1", "a date"),
        ("July 2021", "a date"),
        ("二〇二一年", "a date"),
        ("", "a date (it is empty)"),
        (None, "a date (it is empty)"),
        (float("nan"), "a date (it is empty)"),
        (pd.NaT, "a date (it is empty)"),
        (2021.5, "a date"),
        (True, "a date"),
    ],
)
def test_errors(raw, reason):
    with pytest.raises(ValueProblem) as e:
        parse(raw)
    assert e.value.reason == reason
    assert e.value.expected == EXPECTED


def test_exact_error_text():
    with pytest.raises(ValueProblem) as e:
        parse("2021-13-01")
    assert str(e.value) == (
        "value '2021-13-01' is not a valid date (month 13 is out of range);"
        " expected YYYY-MM-DD, YYYY-MM, YYYY, 2021年7月"
    )


def test_partial_date_api():
    d = PartialDate(2021, 7)
    assert d.precision == "month"
    assert d.first_day() == dt.date(2021, 7, 1)
    assert d.last_day() == dt.date(2021, 7, 31)
    assert d.iso() == str(d) == "2021-07"
    assert PartialDate(2021).precision == "year"
    assert PartialDate(2021).iso() == "2021"
    assert PartialDate(2021).last_day() == dt.date(2021, 12, 31)
    assert PartialDate(2021, 7, 1).precision == "day"
    assert PartialDate(2021, 7, 1).iso() == "2021-07-01"
    assert PartialDate(2024, 2).last_day() == dt.date(2024, 2, 29)
    assert PartialDate(2023, 12).last_day() == dt.date(2023, 12, 31)
    assert hash(PartialDate(2021, 7)) == hash(PartialDate(2021, 7))


@pytest.mark.parametrize(
    "args", [(2021, 13), (2021, 2, 30), (1700,), (2021, None, 5), ("2021",), (2021.0,), (True,)]
)
def test_partial_date_validates(args):
    with pytest.raises(ValueProblem):
        PartialDate(*args)


def test_partial_date_is_frozen():
    d = PartialDate(2021)
    with pytest.raises(AttributeError):
        d.year = 2022  # type: ignore[misc]


def test_ordering():
    dates = [PartialDate(2021, 2), PartialDate(2021), PartialDate(2021, 1, 31), PartialDate(2020)]
    assert sorted(dates) == [
        PartialDate(2020),
        PartialDate(2021),
        PartialDate(2021, 1, 31),
        PartialDate(2021, 2),
    ]
    assert PartialDate(2021) < PartialDate(2021, 1) < PartialDate(2021, 1, 1)
    assert PartialDate(2021, 7) <= PartialDate(2021, 7)
    assert PartialDate(2022) > PartialDate(2021, 12, 31)
    assert PartialDate(2022) >= PartialDate(2022)
    with pytest.raises(TypeError):
        _ = PartialDate(2021) < dt.date(2021, 1, 1)


def test_add_years():
    assert add_years(dt.date(2021, 7, 1), 3) == dt.date(2024, 7, 1)
    assert add_years(dt.date(2024, 2, 29), 3) == dt.date(2027, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2024, 2, 29), -1) == dt.date(2023, 2, 28)
    assert add_years(dt.date(2021, 12, 31), 0) == dt.date(2021, 12, 31)


days = st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31))
precisions = st.sampled_from(["year", "month", "day"])


def _partial(d: dt.date, precision: str) -> PartialDate:
    if precision == "year":
        return PartialDate(d.year)
    if precision == "month":
        return PartialDate(d.year, d.month)
    return PartialDate(d.year, d.month, d.day)


@given(days, precisions)
def test_iso_round_trip(d, precision):
    p = _partial(d, precision)
    assert parse(p.iso()) == p
    assert parse(str(p)).precision == precision
    assert p.first_day() <= d <= p.last_day()


@given(days)
def test_other_formats_round_trip(d):
    p = PartialDate(d.year, d.month, d.day)
    assert parse(d) == p
    assert parse(f"{d.year}年{d.month}月{d.day}日") == p
    assert parse(f"{d.year}/{d.month}/{d.day}") == p
    assert parse(f"{d.year}.{d.month}.{d.day:02d}") == p
    assert parse(d.strftime("%Y%m%d")) == p
    assert parse(dt.datetime.combine(d, dt.time(13, 5)).isoformat()) == p
    assert parse(f"{d.year}年{d.month}月") == PartialDate(d.year, d.month)


@given(days, precisions, days, precisions)
def test_ordering_follows_first_day(d1, p1, d2, p2):
    a, b = _partial(d1, p1), _partial(d2, p2)
    if a < b:
        assert a.first_day() <= b.first_day()
    assert (a < b) + (a == b) + (a > b) == 1


@given(days, st.integers(-50, 50))
def test_add_years_property(d, n):
    r = add_years(d, n)
    assert r.year == d.year + n
    assert r.month == d.month
    assert r.day == d.day or (d.month, d.day, r.day) == (2, 29, 28)
