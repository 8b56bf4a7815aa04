"""Money amounts with Chinese and English magnitude units, currency markers and bounds.

"1.5亿元" -> 150,000,000 CNY; "8000万元以上" -> 80,000,000 CNY, a lower bound; "US$5m" ->
5,000,000 USD. Without a currency marker the currency is None (the caller defaults to CNY).
Arithmetic is done in Decimal, so "66.13万元" is exactly 661300.0.

>>> parse("116,500 万元人民币")
Amount(value=1165000000.0, currency='CNY', bound=None)
>>> parse("8000万元以上")
Amount(value=80000000.0, currency='CNY', bound='lower')
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.number import NUMBER_PATTERN, parse_decimal
from kg.values.text import clean

__all__ = ["Amount", "parse", "UNITS", "CURRENCY_MARKERS", "EXPECTED"]

EXPECTED = "an amount such as 1500000, 1,500,000, 1.5亿元, 5000万元 or 116,500 万元人民币"


@dataclass(frozen=True)
class Amount:
    """An amount of money.

    `currency` is an ISO 4217 code or None when the text carried no marker. `bound` is None for
    an exact (or approximate: 约, 左右) figure, 'lower' for "at least / more than" (以上, 不低于,
    逾, 超过, 余/多) and 'upper' for "at most / less than" (以下, 不超过, 以内).

    >>> Amount(5e7, "CNY", None).value
    50000000.0
    """

    value: float
    currency: str | None
    bound: str | None = None


# Magnitude words (multipliers). English words are matched case-insensitively.
UNITS: dict[str, Decimal] = {
    "万亿": Decimal("1e12"),
    "千亿": Decimal("1e11"),
    "百亿": Decimal("1e10"),
    "十亿": Decimal("1e9"),
    "亿": Decimal("1e8"),
    "千万": Decimal("1e7"),
    "百万": Decimal("1e6"),
    "十万": Decimal("1e5"),
    "万": Decimal("1e4"),
    "千": Decimal("1e3"),
    "k": Decimal("1e3"),
    "thousand": Decimal("1e3"),
    "m": Decimal("1e6"),
    "mn": Decimal("1e6"),
    "mln": Decimal("1e6"),
    "million": Decimal("1e6"),
    "b": Decimal("1e9"),
    "bn": Decimal("1e9"),
    "billion": Decimal("1e9"),
    "tn": Decimal("1e12"),
    "trillion": Decimal("1e12"),
}

# Currency markers -> ISO 4217. "¥" is read as yuan (this is a China data set), "$" as USD.
CURRENCY_MARKERS: dict[str, str] = {
    "元": "CNY",
    "人民币": "CNY",
    "人民币元": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "cn¥": "CNY",
    "¥": "CNY",
    "\uffe5": "CNY",  # full-width ￥ (outside the block to_halfwidth maps)
    "美元": "USD",
    "美金": "USD",
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "港元": "HKD",
    "港币": "HKD",
    "hkd": "HKD",
    "hk$": "HKD",
    "欧元": "EUR",
    "eur": "EUR",
    "€": "EUR",
}

# Words before the number.
_PRE_BOUNDS: dict[str, str | None] = {
    "逾": "lower", "超过": "lower", "超": "lower", "不低于": "lower", "不少于": "lower",
    "至少": "lower", "高于": "lower", "多于": "lower", "大于": "lower",
    ">": "lower", ">=": "lower", "≥": "lower",
    "over": "lower", "more than": "lower", "at least": "lower", "above": "lower",
    "不超过": "upper", "不高于": "upper", "不多于": "upper", "至多": "upper", "最多": "upper",
    "低于": "upper", "少于": "upper", "小于": "upper", "<": "upper", "<=": "upper", "≤": "upper",
    "up to": "upper", "under": "upper", "below": "upper", "less than": "upper",
    "at most": "upper",
    "约": None, "大约": None, "近": None, "~": None, "≈": None, "about": None,
    "approx.": None, "approx": None, "approximately": None, "c.": None, "ca.": None,
}  # fmt: skip
# Words after the number (多/余 may also sit between the number and the unit: 8000余万元).
_POST_BOUNDS: dict[str, str | None] = {
    "以上": "lower", "及以上": "lower", "或以上": "lower", "多": "lower", "余": "lower",
    "以下": "upper", "及以下": "upper", "或以下": "upper", "以内": "upper", "之内": "upper",
    "左右": None, "上下": None,
}  # fmt: skip


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CUR = _alternation(CURRENCY_MARKERS)
_AMOUNT = re.compile(
    rf"(?P<pre_bound>{_alternation(_PRE_BOUNDS)})?\s*"
    rf"(?P<pre_cur>{_CUR})?\s*"
    rf"(?P<num>{NUMBER_PATTERN})\s*"
    r"(?P<more1>[多余])?\s*"
    rf"(?P<unit>{_alternation(UNITS)})?\s*"
    r"(?P<more2>[多余])?\s*"
    rf"(?P<cur>{_CUR})?\s*"
    rf"(?P<cur2>{_CUR})?\s*"
    rf"(?P<post_bound>{_alternation(_POST_BOUNDS)})?\s*"
    rf"(?P<cur3>{_CUR})?",
    re.IGNORECASE,
)


def parse(s: Any, allow_negative: bool = False) -> Amount:
    """Read an amount of money.

    >>> parse("1.5亿元")
    Amount(value=150000000.0, currency='CNY', bound=None)
    >>> parse("66.13万元").value, parse("78.0 亿元").value, parse("1,500,000").value
    (661300.0, 7800000000.0, 1500000.0)
    >>> parse("US$ 2.5 bn")
    Amount(value=2500000000.0, currency='USD', bound=None)
    >>> parse("abc")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value 'abc' is not an amount; expected an amount such as 1500000, 1,500,000, 1.5亿元, 5000万元 or 116,500 万元人民币
    """
    if not isinstance(s, str):
        if isinstance(s, bool) or not isinstance(s, numbers.Real | Decimal):
            raise ValueProblem(s, "an amount", EXPECTED)
        try:
            d = parse_decimal(s)
        except ValueProblem:
            raise ValueProblem(s, "an amount", EXPECTED) from None
        if d < 0 and not allow_negative:
            raise ValueProblem(s, "a non-negative amount", EXPECTED)
        return Amount(float(d), None, None)

    text = clean(s)
    if text is None:
        raise ValueProblem(s, "an amount (it is empty)", EXPECTED)
    m = _AMOUNT.fullmatch(text)
    if m is None:
        raise ValueProblem(s, "an amount", EXPECTED)
    g = m.groupdict()

    currencies = {
        CURRENCY_MARKERS[g[k].lower()] for k in ("pre_cur", "cur", "cur2", "cur3") if g[k]
    }
    if len(currencies) > 1:
        which = " and ".join(sorted(currencies))
        raise ValueProblem(s, f"an amount (its currency markers disagree: {which})", EXPECTED)

    bounds = set()
    if g["pre_bound"]:
        bounds.add(_PRE_BOUNDS[g["pre_bound"].lower()])
    for k in ("more1", "more2", "post_bound"):
        if g[k]:
            bounds.add(_POST_BOUNDS[g[k]])
    bounds.discard(None)
    if len(bounds) > 1:
        raise ValueProblem(s, "an amount (it has both a lower and an upper bound)", EXPECTED)

    d = parse_decimal(g["num"])
    if g["unit"]:
        d *= UNITS[g["unit"].lower()]
    if d < 0 and not allow_negative:
        raise ValueProblem(s, "a non-negative amount", EXPECTED)
    value = float(d)
    if not math.isfinite(value):
        raise ValueProblem(s, "an amount (it is too large)", EXPECTED)
    return Amount(
        value,
        currencies.pop() if currencies else None,
        bounds.pop() if bounds else None,
    )
