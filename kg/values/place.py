"""Places for matching: one key per province-level division however a source writes it.

"江苏省", "江苏" and "Jiangsu" are the same province (GB/T 2260 code 32); MIIT lists name the
cities with separate plans (宁波, 深圳 ...) where a province is expected, so those give their
province. The table is ``kg/domain/provinces.csv`` (cited there). Keys are for matching only;
the value a source wrote is kept for display. Cities are compared without 市/地区/盟 suffixes.

>>> province_key("江苏省") == province_key("Jiangsu") == province_key("江苏") == "32"
True
>>> province_key("宁波市"), province_key("Atlantis")
('33', 'atlantis')
>>> city_key("苏州市") == city_key("苏州")
True
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

from kg.values.text import clean, to_halfwidth

__all__ = ["province_key", "city_key"]

PROVINCES_PATH = Path(__file__).parent.parent / "domain" / "provinces.csv"


def _key(s: str) -> str:
    return "".join(to_halfwidth(s).casefold().split())


@cache
def _provinces() -> dict[str, str]:
    out: dict[str, str] = {}
    with PROVINCES_PATH.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            for name in (r["name"], r["short"], r["pinyin"], *r["aliases"].split("|")):
                if name:
                    out[_key(name)] = r["code"]
    return out


def province_key(s: Any) -> str | None:
    """The GB/T 2260 code of a province-level division, else the cleaned, case-folded text;
    None for a missing value."""
    c = clean(s)
    if c is None:
        return None
    k = _key(c)
    table = _provinces()
    if k in table:
        return table[k]
    for suffix in ("省", "市", "自治区"):
        if k.endswith(suffix) and k[: -len(suffix)] in table:
            return table[k[: -len(suffix)]]
    return k


def city_key(s: Any) -> str | None:
    """A city for matching: case-folded, without a 市/地区/盟 suffix; None for a missing value."""
    c = clean(s)
    if c is None:
        return None
    k = _key(c)
    for suffix in ("市", "地区", "盟"):
        if k.endswith(suffix) and len(k) > len(suffix):
            return k[: -len(suffix)]
    return k
