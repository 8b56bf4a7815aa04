"""What a list's title row or sheet name says: programme, batch and year.

MIIT publishes its lists under titles such as "第三批专精特新“小巨人”企业名单" or
"2021年第三批专精特新'小巨人'企业公示名单"; a workbook's sheet may be named the same way.
Mappings read these as the fallback of a column's ``param`` (docs/mapping.md).

>>> read_title("第三批专精特新“小巨人”企业名单")
{'programme': 'little_giant', 'batch': 3}
>>> read_title("2023年度制造业单项冠军企业（第八批）")
{'programme': 'manufacturing_champion', 'batch': 8, 'year': 2023}
>>> chinese_number("十二"), chinese_number("七"), chinese_number("3")
(12, 7, 3)
"""

from __future__ import annotations

import re
from functools import cache

from rdflib import SKOS

from kg import reference
from kg.loaders.mapping import vocab_key

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_BATCH = re.compile(r"第\s*([0-9]+|[零〇一二两三四五六七八九十百]+)\s*批")
_YEAR = re.compile(r"((?:18|19|20|21)[0-9]{2})\s*年")


def chinese_number(text: str) -> int | None:
    """A whole number written in Arabic digits or Chinese numerals up to 999 (一, 十二, 一百零五)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


@cache
def _programme_labels() -> list[tuple[str, str]]:
    """(label key, programme code), longest label first (专精特新小巨人 before 专精特新)."""
    g = reference.graph()
    k = reference._K  # the kg: namespace as rdflib terms
    out = []
    for s in g.subjects(predicate=k.tier):
        code = str(g.value(s, k.code))
        for p in (k.name, k.nameZh, SKOS.altLabel):
            for o in g.objects(s, p):
                out.append((vocab_key(str(o)), code))
    return sorted(set(out), key=lambda x: -len(x[0]))


def read_title(text: str | None) -> dict:
    """Programme code, batch and year a title names (only those it names)."""
    out: dict = {}
    if not text:
        return out
    key = vocab_key(text)
    for label, code in _programme_labels():
        if label and label in key:
            out["programme"] = code
            break
    m = _BATCH.search(text)
    if m and chinese_number(m.group(1)):
        out["batch"] = chinese_number(m.group(1))
    m = _YEAR.search(text)
    if m:
        out["year"] = int(m.group(1))
    return out

