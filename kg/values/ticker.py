"""Stock codes on the Shanghai, Shenzhen, Beijing and Hong Kong exchanges and NEEQ.

Accepted forms: ``688017``, ``688017.SH``, ``688017.sh``, ``sh688017``, ``SH.688017``,
``688017.XSHG``, `` ６８８０１７ ``, ``0700.HK``, ``00700.HK``, ``HK0700``, and ints from
spreadsheets. The exchange follows from the code range (table :data:`CODE_RANGES`); a suffix,
prefix or `exchange_hint` that contradicts the range is an error.

Decisions:

- Canonical form is ``CODE.SUFFIX`` with suffixes SH, SZ, BJ, HK, NQ (NEEQ). ``.SS`` (Yahoo)
  and ``.OC`` (the pre-2021 NEEQ suffix) are read too.
- Hong Kong codes are kept zero-padded to 4 digits: ``700``, ``0700`` and ``00700`` are all
  ``0700.HK``; 5-digit codes above 9999 keep 5 digits. HK board is always ``hkex_main`` (GEM
  is not told apart).
- Codes starting 43, 83, 87, 88 are BSE codes unless NEEQ is named (hint or suffix).
- A bare code of fewer than 6 digits is ambiguous (a Hong Kong code, or an A-share code whose
  leading zeros a spreadsheet dropped) and is an error unless an exchange is named; with an
  A-share exchange named it is zero-padded to 6 digits.
- MIC of NEEQ is taken to be ``NEEQ`` and of the BSE ``BJSE`` (as used by public exchange
  tables; not checked against the ISO 10383 registry).

>>> parse("688017").canonical
'688017.SH'
>>> parse("sz300024")
Ticker(code='300024', exchange='SZSE', mic='XSHE', board='chinext')
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.text import clean

__all__ = ["Ticker", "parse", "EXCHANGES", "EXCHANGE_ALIASES", "CODE_RANGES", "NEEQ_PREFIXES"]

EXPECTED = "a stock code such as 688017, 688017.SH, sh688017, 300024.SZ or 0700.HK"

# exchange -> (MIC, canonical suffix). Source: DOMAIN.md "Stock codes"; MICs XSHG/XSHE/XHKG are
# ISO 10383; BJSE and NEEQ as noted in the module docstring.
EXCHANGES: dict[str, tuple[str, str]] = {
    "SSE": ("XSHG", "SH"),
    "SZSE": ("XSHE", "SZ"),
    "BSE": ("BJSE", "BJ"),
    "HKEX": ("XHKG", "HK"),
    "NEEQ": ("NEEQ", "NQ"),
}

# Everything that names an exchange: suffixes/prefixes, codes, MICs, Chinese short names.
EXCHANGE_ALIASES: dict[str, str] = {
    "SH": "SSE", "SS": "SSE", "SSE": "SSE", "XSHG": "SSE", "SHA": "SSE",
    "上交所": "SSE", "上海证券交易所": "SSE",
    "SZ": "SZSE", "SZSE": "SZSE", "XSHE": "SZSE", "SHE": "SZSE",
    "深交所": "SZSE", "深圳证券交易所": "SZSE",
    "BJ": "BSE", "BSE": "BSE", "BJSE": "BSE", "北交所": "BSE", "北京证券交易所": "BSE",
    "HK": "HKEX", "HKEX": "HKEX", "XHKG": "HKEX", "SEHK": "HKEX", "HKG": "HKEX",
    "港交所": "HKEX", "香港交易所": "HKEX", "香港联交所": "HKEX",
    "NQ": "NEEQ", "OC": "NEEQ", "NEEQ": "NEEQ", "新三板": "NEEQ", "全国股转系统": "NEEQ",
    "全国中小企业股份转让系统": "NEEQ",
}  # fmt: skip

# 6-digit code prefix -> (exchange, board). Source: DOMAIN.md "Stock codes". Looked up longest
# prefix first, so 920 (BSE) wins over nothing else and 900 (SSE B-share) is its own entry.
CODE_RANGES: dict[str, tuple[str, str]] = {
    "920": ("BSE", "bse"),
    "600": ("SSE", "main"), "601": ("SSE", "main"), "603": ("SSE", "main"),
    "605": ("SSE", "main"),
    "688": ("SSE", "star"), "689": ("SSE", "star"),
    "900": ("SSE", "b_share"),
    "000": ("SZSE", "main"), "001": ("SZSE", "main"), "002": ("SZSE", "main"),
    "003": ("SZSE", "main"),
    "300": ("SZSE", "chinext"), "301": ("SZSE", "chinext"),
    "200": ("SZSE", "b_share"),
    "43": ("BSE", "bse"), "83": ("BSE", "bse"), "87": ("BSE", "bse"), "88": ("BSE", "bse"),
}  # fmt: skip
# Ranges the BSE shares with NEEQ (firms kept their NEEQ codes when moving up); NEEQ only when
# named. Unverified beyond DOMAIN.md.
NEEQ_PREFIXES: tuple[str, ...] = ("43", "83", "87", "88")

_ARTICLE = {"SSE": "an SSE", "SZSE": "an SZSE", "BSE": "a BSE"}
_TICKER = re.compile(
    r"(?:(?P<pre>[A-Z]+)[.:_\-]?)?(?P<code>[0-9]{1,6})(?:[.:_\-]?(?P<suf>[A-Z]+))?"
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Ticker:
    """A listed security's code on one exchange.

    >>> t = Ticker("688017", "SSE", "XSHG", "star")
    >>> t.canonical, str(t)
    ('688017.SH', '688017.SH')
    """

    code: str  # '688017'; Hong Kong '0700'
    exchange: str  # 'SSE' | 'SZSE' | 'BSE' | 'HKEX' | 'NEEQ'
    mic: str  # 'XSHG' | 'XSHE' | 'BJSE' | 'XHKG' | 'NEEQ'
    board: str  # 'main' | 'star' | 'chinext' | 'b_share' | 'bse' | 'hkex_main' | 'neeq'

    @property
    def canonical(self) -> str:
        return f"{self.code}.{EXCHANGES[self.exchange][1]}"

    def __str__(self) -> str:
        return self.canonical


def _problem(s: Any, why: str | None = None) -> ValueProblem:
    return ValueProblem(s, f"a valid ticker ({why})" if why else "a ticker", EXPECTED)


def _exchange_of(name: str, s: Any) -> str:
    exchange = EXCHANGE_ALIASES.get(name.upper()) or EXCHANGE_ALIASES.get(name)
    if exchange is None:
        raise _problem(s, f"unknown exchange {name!r}")
    return exchange


def _range_of(code: str) -> tuple[str, str] | None:
    return CODE_RANGES.get(code[:3]) or CODE_RANGES.get(code[:2])


def parse(s: Any, exchange_hint: str | None = None) -> Ticker:
    """Read a stock code; `exchange_hint` (SSE, SZSE, BSE, HKEX, NEEQ, a MIC or a Chinese short
    name) resolves bare codes and must agree with any suffix/prefix and the code's range.

    >>> parse("688017.sh"), parse(" ６８８０１７ ").canonical, parse("00700.HK").canonical
    (Ticker(code='688017', exchange='SSE', mic='XSHG', board='star'), '688017.SH', '0700.HK')
    >>> parse("430047", exchange_hint="NEEQ").canonical, parse("430047").canonical
    ('430047.NQ', '430047.BJ')
    >>> parse("688017.SZ")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '688017.SZ' is not a valid ticker (688017 is an SSE code, not SZSE); expected a stock code such as 688017, 688017.SH, sh688017, 300024.SZ or 0700.HK
    """
    if isinstance(s, bool):
        raise _problem(s)
    if isinstance(s, numbers.Integral):
        text: str | None = str(int(s))
    elif isinstance(s, float) and s.is_integer():
        text = str(int(s))
    elif isinstance(s, str):
        text = clean(s)
    else:
        raise _problem(s)
    if text is None:
        raise _problem(s, "it is empty")
    m = _TICKER.fullmatch(_SPACES.sub("", text).upper())
    if m is None:
        raise _problem(s)
    code, pre, suf = m["code"], m["pre"], m["suf"]

    named: dict[str, None] = {}  # ordered set of the exchanges the input names
    for part in (pre, suf):
        if part:
            named[_exchange_of(part, s)] = None
    hint = clean(exchange_hint) if exchange_hint is not None else None
    if hint is not None:
        hinted = EXCHANGE_ALIASES.get(hint.upper()) or EXCHANGE_ALIASES.get(hint)
        if hinted is None:
            raise ValueProblem(
                exchange_hint, "a known exchange", "SSE, SZSE, BSE, HKEX, NEEQ or their MIC"
            )
        named[hinted] = None
    if len(named) > 1:
        raise _problem(s, f"it names more than one exchange: {', '.join(named)}")
    exchange = next(iter(named), None)

    if exchange == "HKEX":
        if len(code) > 5 or int(code) == 0:
            raise _problem(s, "a Hong Kong code has 1 to 5 digits")
        return Ticker(f"{int(code):04d}", "HKEX", EXCHANGES["HKEX"][0], "hkex_main")

    if len(code) < 6:
        if exchange is None:
            raise _problem(
                s,
                f"a bare {len(code)}-digit code is ambiguous; give all 6 digits of an A-share"
                " code or add .HK for Hong Kong",
            )
        code = code.zfill(6)
    found = _range_of(code)
    if found is None:
        raise _problem(s, f"{code} is not in a known stock code range")
    range_exchange, board = found
    if exchange is None or exchange == range_exchange:
        exchange = range_exchange
    elif exchange == "NEEQ" and code.startswith(NEEQ_PREFIXES):
        board = "neeq"
    else:
        owner = "a BSE or NEEQ" if code.startswith(NEEQ_PREFIXES) else _ARTICLE[range_exchange]
        raise _problem(s, f"{code} is {owner} code, not {exchange}")
    return Ticker(code, exchange, EXCHANGES[exchange][0], board)
