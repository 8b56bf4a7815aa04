"""Plain numbers: thousands separators, full-width digits, exponents; no units.

- :func:`parse_decimal` -- the exact :class:`~decimal.Decimal` (shared by :mod:`kg.values.amount`
  and :mod:`kg.values.share`, so "66.13" stays 66.13 and not 66.129999...).
- :func:`parse_number` -- the same as a float.
- :func:`parse_int` -- a whole number, e.g. employees: "1,200", "1200人", "１２００".

Thousands separators are "," or a space, in groups of three ("1,500,000", "1 500 000"); a
comma anywhere else ("51,5") is an error rather than a silent 515.

>>> parse_number("1,500,000")
1500000.0
>>> parse_int("１，２００人")
1200
"""

from __future__ import annotations

import math
import numbers
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.text import clean

__all__ = ["parse_decimal", "parse_number", "parse_int", "NUMBER_PATTERN", "EXPECTED_NUMBER"]

EXPECTED_NUMBER = "a number such as 1200, 1,200, 1 200 or -3.5"
EXPECTED_INT = "a whole number such as 1200, 1,200 or 1200人"

# One number as it appears in text; no groups, so other modules can embed it in larger patterns.
NUMBER_PATTERN = (
    r"[+\-\u2212]?"  # sign (U+2212 is the typographic minus)
    r"(?:[0-9]{1,3}(?:[, \u00a0\u202f][0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE][+\-]?[0-9]{1,3})?"
)
_NUMBER = re.compile(NUMBER_PATTERN)
_SEPARATORS = str.maketrans({",": None, " ": None, "\u00a0": None, "\u202f": None, "\u2212": "-"})
# Counting words that may follow a head count: 1200人, 35名, 12家.
_COUNT_SUFFIX = re.compile(r"\s*[人名个位家户]$")


def parse_decimal(s: Any, allow_negative: bool = True) -> Decimal:
    """Read one number exactly, as a Decimal.

    Accepts int, float (via its shortest repr, so 0.1 gives Decimal('0.1')), Decimal and text.
    NaN, infinities and booleans are refused.

    >>> parse_decimal("66.13")
    Decimal('66.13')
    >>> parse_decimal(" －３.２ ")
    Decimal('-3.2')
    >>> parse_decimal("-1", allow_negative=False)
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '-1' is not a non-negative number; expected a number such as 1200, 1,200, 1 200 or -3.5
    """
    if isinstance(s, str):
        text = clean(s)
        if text is None:
            raise ValueProblem(s, "a number (it is empty)", EXPECTED_NUMBER)
        if not _NUMBER.fullmatch(text):
            raise ValueProblem(s, "a number", EXPECTED_NUMBER)
        d = Decimal(text.translate(_SEPARATORS))
    elif isinstance(s, bool) or s is None:
        raise ValueProblem(s, "a number", EXPECTED_NUMBER)
    elif isinstance(s, numbers.Integral):
        d = Decimal(int(s))
    elif isinstance(s, Decimal):
        d = s
    elif isinstance(s, numbers.Real):
        f = float(s)
        if not math.isfinite(f):
            raise ValueProblem(s, "a number (it is not finite)", EXPECTED_NUMBER)
        d = Decimal(repr(f))
    else:
        raise ValueProblem(s, "a number", EXPECTED_NUMBER)
    if not d.is_finite():
        raise ValueProblem(s, "a number (it is not finite)", EXPECTED_NUMBER)
    if d < 0 and not allow_negative:
        raise ValueProblem(s, "a non-negative number", EXPECTED_NUMBER)
    if d == 0:
        d = Decimal(0)  # no negative zero
    return d


def parse_number(s: Any, allow_negative: bool = True) -> float:
    """Read one plain number as a float.

    >>> parse_number("1 500 000"), parse_number("-3.2"), parse_number("1.5e3"), parse_number(7)
    (1500000.0, -3.2, 1500.0, 7.0)
    >>> parse_number("51,5")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '51,5' is not a number; expected a number such as 1200, 1,200, 1 200 or -3.5
    """
    d = parse_decimal(s, allow_negative)
    f = float(d)
    if not math.isfinite(f):
        raise ValueProblem(s, "a number (it is too large)", EXPECTED_NUMBER)
    return f


def parse_int(s: Any, allow_negative: bool = False) -> int:
    """Read a whole number (a count such as employees); "1200.0" is fine, "12.5" is not.

    A trailing counting word (人, 名, 个, 位, 家, 户) is allowed. Negative counts are refused
    unless `allow_negative`.

    >>> parse_int("1,200"), parse_int("1200人"), parse_int("１２００"), parse_int(1200.0)
    (1200, 1200, 1200, 1200)
    >>> parse_int("12.5")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '12.5' is not a whole number; expected a whole number such as 1200, 1,200 or 1200人
    """
    value = s
    if isinstance(s, str):
        text = clean(s)
        if text is None:
            raise ValueProblem(s, "a whole number (it is empty)", EXPECTED_INT)
        value = _COUNT_SUFFIX.sub("", text)
    try:
        d = parse_decimal(value, allow_negative=True)
    except ValueProblem:
        raise ValueProblem(s, "a whole number", EXPECTED_INT) from None
    if d < 0 and not allow_negative:
        raise ValueProblem(s, "a non-negative whole number", EXPECTED_INT)
    try:
        integral = d == d.to_integral_value()
    except InvalidOperation:  # absurd exponents
        integral = False
    if not integral or abs(d.adjusted()) > 30:
        raise ValueProblem(s, "a whole number", EXPECTED_INT)
    return int(d)
