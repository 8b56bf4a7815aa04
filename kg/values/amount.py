"""Money amounts with Chinese and English magnitude units, currency markers and bounds.

"1.5亿元" -> 150,000,000 CNY; "8000万元以上" -> 80,000,000 CNY, a lower bound; "US$5m" ->
5,000,000 USD. Without a currency marker the currency is None (the caller defaults to CNY).
Arithmetic is done in Decimal, so "66.13万元" is exactly 661300.0.

>>> parse("116,500 万元人民币")
Amount(value=1165000000.0, currency='CNY', bound=None)
>>> parse("8000万元以上")
Amount(value=80000000.0, currency='CNY', bound='lower')

Vague amounts of investment news ("数千万人民币", "近亿元") are ranges, never a point value
(:func:`parse_range`; the words and their bounds are the cited table
``kg/domain/vague_amounts.csv``); "未披露" (undisclosed) is no amount at all.
"""

from __future__ import annotations

import csv
import math
import numbers
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.number import NUMBER_PATTERN, parse_decimal
from kg.values.text import clean

__all__ = ["Amount", "parse", "parse_range", "as_text", "UNITS", "CURRENCY_MARKERS", "EXPECTED", "EXPECTED_RANGE"]

EXPECTED = "an amount such as 1500000, 1,500,000, 1.5亿元, 5000万元 or 116,500 万元人民币"
EXPECTED_RANGE = EXPECTED + ", a vague amount such as 数千万人民币, 近亿元 or 超过1亿元, or 未披露"
VAGUE_WORDS_PATH = Path(__file__).parent.parent / "domain" / "vague_amounts.csv"


@dataclass(frozen=True)
class Amount:
    """An amount of money.

    `currency` is an ISO 4217 code or None when the text carried no marker. `bound` is None for
    an exact (or approximate: 约, 左右) figure, 'lower' for "at least / more than" (以上, 不低于,
    逾, 超过, 余/多) and 'upper' for "at most / less than" (以下, 不超过, 以内). `minimum` and
    `maximum` bound the amount where the source gave a bound or a range; a vague amount
    ("数千万") has bounds and no `value`.

    >>> Amount(5e7, "CNY", None).value
    50000000.0
    """

    value: float | None
    currency: str | None
    bound: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __repr__(self) -> str:  # bounds only when there are some (most amounts are exact)
        extra = "" if self.minimum is None and self.maximum is None else f", minimum={self.minimum!r}, maximum={self.maximum!r}"
        return f"Amount(value={self.value!r}, currency={self.currency!r}, bound={self.bound!r}{extra})"


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


@dataclass(frozen=True)
class VagueWord:
    word: str
    position: str  # before_unit | after_unit | undisclosed
    min_factor: Decimal | None
    max_factor: Decimal | None


@cache
def vague_words() -> dict[str, VagueWord]:
    """The vague-amount words of ``kg/domain/vague_amounts.csv`` (cited there), by word.

    >>> vague_words()["数"].max_factor, vague_words()["未披露"].position
    (Decimal('10'), 'undisclosed')
    """
    out = {}
    with VAGUE_WORDS_PATH.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            out[r["word"].casefold()] = VagueWord(
                r["word"], r["position"],
                Decimal(r["min_factor"]) if r["min_factor"] else None,
                Decimal(r["max_factor"]) if r["max_factor"] else None,
            )
    return out


@cache
def _bare_unit() -> re.Pattern:
    after = _alternation(w.word for w in vague_words().values() if w.position == "after_unit")
    return re.compile(
        rf"(?P<pre_cur>{_CUR})?\s*(?P<unit>{_alternation(UNITS)})\s*(?P<after>{after})?\s*"
        rf"(?P<cur>{_CUR})?\s*(?P<cur2>{_CUR})?\s*(?P<post_bound>{_alternation(_POST_BOUNDS)})?\s*(?P<cur3>{_CUR})?",
        re.IGNORECASE,
    )


def _scaled(base: Decimal, factor: Decimal | None) -> float | None:
    return None if factor is None else float(base * factor)


def parse_range(s: Any) -> Amount | None:
    """Read an amount that may be vague: exact and bounded amounts as :func:`parse` reads them,
    vague ones ("数千万人民币", "近亿元", "千万级") as a range with no point value, and
    undisclosed ones ("未披露") as None. The words come from ``kg/domain/vague_amounts.csv``.

    >>> parse_range("数千万人民币")
    Amount(value=None, currency='CNY', bound=None, minimum=10000000.0, maximum=100000000.0)
    >>> parse_range("近亿元")
    Amount(value=None, currency='CNY', bound=None, minimum=50000000.0, maximum=100000000.0)
    >>> parse_range("超过1亿元")
    Amount(value=100000000.0, currency='CNY', bound='lower', minimum=100000000.0, maximum=None)
    >>> parse_range("未披露") is None
    True
    """
    text = clean(s) if isinstance(s, str) else s
    if text is None:
        return None
    if not isinstance(text, str):
        return with_bounds(parse(text))
    words = vague_words()
    hit = words.get(text.casefold())
    if hit is not None and hit.position == "undisclosed":
        return None
    before = [w for w in words.values() if w.position == "before_unit" and text.startswith(w.word)]
    word = max(before, key=lambda w: len(w.word)) if before else None
    rest = text[len(word.word):].strip() if word else text
    m = _bare_unit().fullmatch(rest)
    if m is not None:
        g = m.groupdict()
        if word is None and not g["after"] and not g["post_bound"]:
            raise ValueProblem(s, "an amount (a unit without a number or a vague word)", EXPECTED_RANGE)
        currencies = {CURRENCY_MARKERS[g[k].lower()] for k in ("pre_cur", "cur", "cur2", "cur3") if g[k]}
        if len(currencies) > 1:
            raise ValueProblem(s, f"an amount (its currency markers disagree: {' and '.join(sorted(currencies))})", EXPECTED_RANGE)
        unit = UNITS[g["unit"].lower()]
        lo, hi = Decimal(1), Decimal(1)
        for w in (word, words.get(g["after"].casefold()) if g["after"] else None):
            if w is not None:
                lo, hi = w.min_factor, w.max_factor
        bound = _POST_BOUNDS[g["post_bound"]] if g["post_bound"] else None
        if bound == "lower":
            hi = None
        elif bound == "upper":
            lo = None
        return Amount(None, currencies.pop() if currencies else None, None, _scaled(unit, lo), _scaled(unit, hi))
    if word is not None:
        try:
            a = parse(rest)
        except ValueProblem:
            a = None
        if a is not None and a.bound is None:
            if word.max_factor is None:  # "at least": a bound, as parse reads 超过/逾
                return Amount(a.value, a.currency, "lower", _scaled(Decimal(repr(a.value)), word.min_factor), None)
            base = Decimal(repr(a.value))
            return Amount(None, a.currency, None, _scaled(base, word.min_factor), _scaled(base, word.max_factor))
    try:
        return with_bounds(parse(text))
    except ValueProblem as e:
        raise ValueProblem(s, e.reason, EXPECTED_RANGE) from None


def with_bounds(a: Amount) -> Amount:
    """The same amount with `minimum`/`maximum` set from its bound (for amounts built by hand).

    >>> with_bounds(Amount(5.0, None, "upper")).maximum
    5.0
    """
    return replace(a, minimum=a.value if a.bound == "lower" else a.minimum,
                   maximum=a.value if a.bound == "upper" else a.maximum)


_YI, _WAN = 100_000_000, 10_000


def as_text(x: float, currency: str | None = "CNY", *, cn_units: bool = False) -> str:
    """An amount written for people: thousands separators and the currency (whole units when the
    amount is whole, else two decimals); with ``cn_units`` in 亿 (10^8) or 万 (10^4) with two
    decimals, and 元 for yuan. ``currency`` None leaves the currency out (a column's header
    names it).

    >>> as_text(66400000), as_text(1234.5, "USD"), as_text(-2500000, None)
    ('66,400,000 CNY', '1,234.50 USD', '-2,500,000')
    >>> as_text(1386010000, cn_units=True), as_text(66400000, None, cn_units=True), as_text(9500, cn_units=True)
    ('13.86亿元', '6,640.00万', '9,500元')
    >>> as_text(120000000, "USD", cn_units=True)
    '1.20亿 USD'
    """
    number = f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"
    if cn_units:
        for size, name in ((_YI, "亿"), (_WAN, "万")):
            if abs(x) >= size:
                number = f"{x / size:,.2f}{name}"
                break
        return number + ("" if currency is None else "元" if currency == "CNY" else f" {currency}")
    return number + ("" if currency is None else f" {currency}")
