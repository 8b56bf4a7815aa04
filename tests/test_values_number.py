from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values.errors import ValueProblem
from kg.values.number import parse_decimal, parse_int, parse_number


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1500000", 1500000.0),
        ("1,500,000", 1500000.0),
        ("1 500 000", 1500000.0),
        ("1\u00a0500\u00a0000", 1500000.0),
        ("１，５００，０００", 1500000.0),
        ("-3.2", -3.2),
        ("−3.2", -3.2),
        ("+3.2", 3.2),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1,234.56", 1234.56),
        ("1.5e3", 1500.0),
        ("1E-3", 0.001),
        ("0700", 700.0),
        (" 42 ", 42.0),
        (42, 42.0),
        (4.25, 4.25),
        (Decimal("1.25"), 1.25),
        ("-0", 0.0),
    ],
)
def test_parse_number(raw, value):
    assert parse_number(raw) == value


@pytest.mark.parametrize(
    "raw",
    ["", "  ", None, "abc", "1,5", "1,50", "12,3456", "1.2.3", "--1", "1-", "nan", "inf",
     "Infinity", "1_000", "1e", "e5", "½", float("nan"), float("inf"), True, [1], "1e999"],
)  # fmt: skip
def test_parse_number_rejects(raw):
    with pytest.raises(ValueProblem):
        parse_number(raw)


def test_parse_number_message():
    with pytest.raises(ValueProblem) as e:
        parse_number("1,5")
    assert str(e.value) == (
        "value '1,5' is not a number; expected a number such as 1200, 1,200, 1 200 or -3.5"
    )


def test_negative_refused_when_asked():
    with pytest.raises(ValueProblem, match="a non-negative number"):
        parse_number("-1", allow_negative=False)
    assert parse_number("0", allow_negative=False) == 0.0


def test_parse_decimal_is_exact():
    assert parse_decimal("66.13") == Decimal("66.13")
    assert parse_decimal(0.1) == Decimal("0.1")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1,200", 1200),
        ("1200人", 1200),
        ("1200 人", 1200),
        ("１２００", 1200),
        ("１，２００名", 1200),
        ("1200.0", 1200),
        (1200, 1200),
        (1200.0, 1200),
        ("1.2e3", 1200),
        ("0", 0),
    ],
)
def test_parse_int(raw, value):
    result = parse_int(raw)
    assert result == value and type(result) is int


@pytest.mark.parametrize("raw", ["12.5", 12.5, "abc", "", None, "-5", "1200元", "人", True])
def test_parse_int_rejects(raw):
    with pytest.raises(ValueProblem):
        parse_int(raw)


def test_parse_int_messages():
    with pytest.raises(ValueProblem) as e:
        parse_int("12.5")
    assert str(e.value) == (
        "value '12.5' is not a whole number; expected a whole number such as 1200, 1,200 or 1200人"
    )
    with pytest.raises(ValueProblem, match="a non-negative whole number"):
        parse_int("-5")
    assert parse_int("-5", allow_negative=True) == -5


@given(st.integers(-(10**15), 10**15))
def test_int_formats_round_trip(n):
    assert parse_number(str(n)) == n
    assert parse_number(f"{n:,}") == n
    assert parse_number(f"{n:,}".replace(",", " ")) == n
    assert parse_int(f"{n:,}", allow_negative=True) == n


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_repr_round_trip(x):
    assert parse_number(repr(x)) == x
    assert parse_number(x) == x
