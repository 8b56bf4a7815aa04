"""Ownership shares as a fraction in [0, 1].

Accepted: 0.51, "0.51", "51%", "51 %", "５１％", "51" and 51 -- a number above 1 is read as a
percent, so "1" is 100% and "1%" is 1%. Outside 0..100% is an error.

>>> parse("51%"), parse("0.51"), parse("51"), parse(0.51), parse("１００％")
(0.51, 0.51, 0.51, 0.51, 1.0)
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.number import parse_decimal
from kg.values.text import clean

__all__ = ["parse", "as_percent", "EXPECTED"]

EXPECTED = "0.51, 51% or 51"
_HUNDRED = Decimal(100)
_PERCENT_SIGNS = ("%", "\ufe6a")  # ASCII (and half-width-converted ％) and small ﹪


def parse(s: Any) -> float:
    """Read a share and return a float in [0, 1].

    >>> parse("51.5 %"), parse("1"), parse("1%"), parse(100)
    (0.515, 1.0, 0.01, 1.0)
    >>> parse("130%")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51
    """
    percent = False
    value: Any = s
    if isinstance(s, str):
        text = clean(s)
        if text is None:
            raise ValueProblem(s, "a share (it is empty)", EXPECTED)
        if text.endswith(_PERCENT_SIGNS):
            percent = True
            text = text[:-1].rstrip()
        value = text
    try:
        d = parse_decimal(value)
    except ValueProblem:
        raise ValueProblem(s, "a share", EXPECTED) from None
    if percent or d > 1:
        d = d / _HUNDRED
    if d < 0 or d > 1:
        raise ValueProblem(s, "a share between 0 and 100%", EXPECTED)
    return float(d)


def as_percent(x: float) -> str:
    """A fraction written for people as a percentage: three significant digits and at least one
    decimal, so one column never mixes precisions (66.5% beside 1.45%, not 1.454%).

    >>> [as_percent(x) for x in (0.665, 0.01454, 1.0, 0.7, 0.0479073, 0.000123, 0.09996, 0)]
    ['66.5%', '1.45%', '100.0%', '70.0%', '4.79%', '0.0123%', '10.0%', '0.0%']
    """
    p = float(f"{x * 100:.3g}")  # rounded first, so 9.996 becomes 10.0, not 10.00
    if p == 0:
        return "0.0%"
    decimals = max(1, 2 - math.floor(math.log10(abs(p))))
    return f"{p:.{decimals}f}%"
