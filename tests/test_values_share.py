from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.values import share
from kg.values.errors import ValueProblem


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0.51", 0.51),
        ("51%", 0.51),
        ("51", 0.51),
        ("51.5 %", 0.515),
        ("５１％", 0.51),
        ("１００％", 1.0),
        (0.51, 0.51),
        (51, 0.51),
        (51.0, 0.51),
        (Decimal("0.51"), 0.51),
        ("1", 1.0),  # a number above 1 is a percent; 1 itself is 100%
        (1, 1.0),
        ("1%", 0.01),
        ("1.5", 0.015),
        ("0", 0.0),
        ("0%", 0.0),
        ("100", 1.0),
        ("100%", 1.0),
        ("17.44%", 0.1744),
        ("42.66", 0.4266),
        ("57.99", 0.5799),
        ("0.5e-2", 0.005),
        (" 20 ％ ", 0.2),
        ("-0", 0.0),
    ],
)
def test_parse(raw, value):
    assert share.parse(raw) == value


def test_exact_error_text():
    with pytest.raises(ValueProblem) as e:
        share.parse("130%")
    assert str(e.value) == (
        "value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51"
    )


@pytest.mark.parametrize("raw", ["130%", "100.01", "-1", "-0.5", "-5%", 101, -0.1, "1000"])
def test_out_of_range(raw):
    with pytest.raises(ValueProblem, match="a share between 0 and 100%"):
        share.parse(raw)


@pytest.mark.parametrize(
    "raw", ["abc", "", "  ", None, "51%%", "%", "5 1", "51,5%", float("nan"), float("inf"), True]
)
def test_unreadable(raw):
    with pytest.raises(ValueProblem) as e:
        share.parse(raw)
    assert e.value.expected == "0.51, 51% or 51"


unit = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(unit)
def test_percent_round_trip(x):
    assert share.parse(f"{x * 100}%") == pytest.approx(x, rel=1e-12, abs=1e-15)


@given(unit)
def test_fraction_text_and_float_exact(x):
    assert share.parse(str(x)) == x
    assert share.parse(x) == x


@given(st.floats(min_value=1, max_value=100, exclude_min=True, allow_nan=False))
def test_numbers_above_one_are_percent(x):
    assert share.parse(x) == pytest.approx(x / 100)
    assert 0 <= share.parse(x) <= 1
