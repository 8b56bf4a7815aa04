"""Column types a loader mapping may name, each a parser from cleaned text to a value.

A parser takes the cleaned cell text and the mapping (for vocabularies) and returns the value
or raises ValueProblem. Parsers run once per distinct value of a column, not once per row.

>>> COLUMN_TYPES["share"]("51%", None)
0.51
>>> COLUMN_TYPES["instrument"]("贷款", load_mapping())
'loan'
>>> COLUMN_TYPES["amount"]("数千万人民币", None)
Amount(value=None, currency='CNY', bound=None, minimum=10000000.0, maximum=100000000.0)
"""

from __future__ import annotations

from collections.abc import Callable

from kg import reference
from kg.loaders.mapping import ColumnSpec, Mapping, load_mapping, vocab_key  # noqa: F401  (load_mapping: doctest)
from kg.values import amount, boolean, dates, lei, number, share, ticker, uscc
from kg.values.errors import ValueProblem


def vocabulary(name: str, expected: str | None = None) -> Callable[[str, Mapping], str]:
    """A parser of the values of the mapping's vocabulary ``name`` (aliases -> canonical value)."""
    def parse(v: str, mapping: Mapping) -> str:
        table = mapping.vocabularies.get(name, {})
        hit = table.get(vocab_key(v))
        if hit is None:
            accepted = expected or ", ".join(sorted(set(table.values())))
            raise ValueProblem(v, f"a known {name.replace('_', ' ')}", accepted)
        return hit

    return parse


def _text(v: str, mapping: Mapping) -> str:
    return v


def _programme(v: str, mapping: Mapping) -> str:
    code = reference.programme_code(v)
    if code is None:
        raise ValueProblem(v, "a known programme", ", ".join(reference.codes("Programme")) + ' (or 创新型中小企业, 专精特新中小企业, 专精特新"小巨人", 制造业单项冠军)')
    return code


def _exchange(v: str, mapping: Mapping) -> str:
    code = reference.exchange_code(v)
    if code is None:
        raise ValueProblem(v, "a known exchange", ", ".join(reference.codes("Exchange")) + " (or their MIC, or 上交所/深交所/北交所)")
    return code


def _year(v: str, mapping: Mapping) -> int:
    try:
        y = number.parse_int(v.removesuffix("年").removesuffix("年度"))
    except ValueProblem:
        raise ValueProblem(v, "a year", "a four-digit year such as 2021") from None
    if not 1800 <= y <= 2200:
        raise ValueProblem(v, "a plausible year", "a four-digit year between 1800 and 2200")
    return y


def _integer(v: str, mapping: Mapping) -> int:
    n = number.parse_int(v)
    if n < 0:
        raise ValueProblem(v, "a count", "a whole number of at least 0")
    return n


def _money(v: str, mapping: Mapping) -> float:
    a = amount.parse(v)
    if a.currency not in (None, "CNY"):
        raise ValueProblem(v, "an amount in yuan", "yuan amounts such as 12000000, 1.2亿元 or 1200万元")
    return a.value


def _signed_money(v: str, mapping: Mapping) -> float:
    a = amount.parse(v, allow_negative=True)
    if a.currency not in (None, "CNY"):
        raise ValueProblem(v, "an amount in yuan", "yuan amounts such as -3500000, -350万元")
    return a.value


def _rate(v: str, mapping: Mapping) -> float:
    try:
        return share.parse(v)
    except ValueProblem:
        raise ValueProblem(v, "an interest rate", "0.0435, 4.35% or 4.35") from None


COLUMN_TYPES: dict[str, Callable] = {
    "string": _text,
    "source": _text,
    "ref": _text,
    "entity_type": vocabulary("entity_type"),
    "instrument": vocabulary("instrument"),
    "board": vocabulary("board"),
    "currency": vocabulary("currency"),
    "programme": _programme,
    "exchange": _exchange,
    "uscc": lambda v, m: uscc.parse(v),
    "lei": lambda v, m: lei.parse(v),
    "ticker": lambda v, m: ticker.parse(v),
    "share": lambda v, m: share.parse(v),
    "rate": _rate,
    "amount": lambda v, m: amount.parse_range(v),  # exact, bounded, vague (a range) or undisclosed (None)
    "money": _money,
    "signed_money": _signed_money,
    "integer": _integer,
    "year": _year,
    "date": lambda v, m: dates.parse(v),
    "boolean": lambda v, m: boolean.parse(v),
    "vocabulary": None,  # the column's own vocabulary (key `vocabulary`): see parser_for
}


def parser_for(column: ColumnSpec) -> Callable:
    """The parser of a mapping column (its type's, or its own vocabulary's).

    >>> parser_for(ColumnSpec("x", "share"))("51%", None)
    0.51
    """
    if column.type == "vocabulary":
        return vocabulary(column.options["vocabulary"])
    return COLUMN_TYPES[column.type]
