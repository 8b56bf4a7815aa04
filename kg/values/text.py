"""Text values: full-width to half-width, cleaning, and name keys for matching.

Functions:

- :func:`to_halfwidth` -- full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space
  (U+3000) to their ASCII forms; everything else (e.g. 。、《》) is kept.
- :func:`clean` -- None/NaN/empty/blank to None; else half-width, trimmed, inner whitespace
  collapsed to one space, invisible and control characters dropped.
- :func:`normalise_name` -- a key for *matching* names (never for display).

>>> clean("  深圳市　大族激光（Han）  ")
'深圳市 大族激光(Han)'
>>> normalise_name("深圳市大族激光科技股份有限公司") == normalise_name("深圳市大族激光科技")
True
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["to_halfwidth", "clean", "clean_many", "normalise_name", "normalise_names", "CONTROLS", "LEGAL_FORMS_ZH",
           "LEGAL_FORMS_EN"]

# U+FF01..U+FF5E are the full-width forms of U+0021..U+007E (offset 0xFEE0); U+3000 is the
# ideographic (full-width) space.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20
# clean() also drops invisible characters that creep in from web pages and Excel, and control
# characters (C0 but whitespace, DEL, C1: ESC, BEL, CSI, ...), which are never part of a name
# and would drive a terminal when printed; whitespace controls (tab, newline, ...) become spaces.
CONTROLS = frozenset(c for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if not chr(c).isspace())
_CLEAN = dict(_HALFWIDTH)
_CLEAN.update(dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None))
_CLEAN.update(dict.fromkeys(CONTROLS, None))

_WS = re.compile(r"\s+")
# A text clean() returns unchanged, as an RE2 pattern (pyarrow): words of characters that clean()
# neither drops, translates nor treats as whitespace (Python's \s: ASCII and C0 separators, NEL,
# NBSP, U+1680, U+2000..U+200A, U+2028/9, U+202F, U+205F, U+3000), one plain space between words.
# Checked against clean() for every code point in tests/test_values_text.py.
_KEPT = (r"[^\x00-\x20\x7f-\xa0\x{1680}\x{2000}-\x{200d}\x{2028}\x{2029}\x{202f}\x{205f}\x{2060}"
         r"\x{3000}\x{feff}\x{ff01}-\x{ff5e}]")
ALREADY_CLEAN = f"^{_KEPT}+(?: {_KEPT}+)*$"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# Characters removed outright (so "Co.,Ltd." -> "co,ltd" and "S.A." -> "sa", "Han's" -> "hans").
_JOIN = re.compile(r"[.'\u2019\u2018`]")
_SPLIT = re.compile(r"[\W_]+")

# Legal-form suffixes stripped from name keys. Chinese forms are matched on the key after
# brackets and punctuation are removed, so "（有限合伙）" appears here as "有限合伙". Longest first;
# stripping repeats, so "集团有限公司" keeps "集团" (part of the name) and only loses "有限公司".
LEGAL_FORMS_ZH: tuple[str, ...] = (
    "合伙企业有限合伙",  # 合伙企业（有限合伙）
    "合伙企业普通合伙",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "合伙企业",
    "有限合伙",  # （有限合伙）
    "普通合伙",  # （普通合伙）
    "公司",  # so "…集团公司" matches "…集团有限公司"
)
# English legal forms, matched as whole trailing words after dots were removed (so "co." is "co",
# "s.a." is "sa", "co.,ltd" is "co ltd", "co.ltd" is "coltd"). Stripping repeats.
LEGAL_FORMS_EN: frozenset[str] = frozenset(
    {
        "co", "ltd", "coltd", "company", "limited", "inc", "incorporated", "corp",
        "corporation", "llc", "plc", "lp", "llp", "gmbh", "sa", "ag", "pte",
    }
)  # fmt: skip

_converter: Any = None
_char_t2s: dict[str, str] = {}  # per-character cache: most names are already simplified


def _t2s(s: str) -> str:
    global _converter
    if _converter is None:  # built once, lazily: loading the dictionaries takes a moment
        import opencc

        _converter = opencc.OpenCC("t2s")
    for ch in s:
        simple = _char_t2s.get(ch)
        if simple is None:
            simple = _char_t2s[ch] = _converter.convert(ch)
        if simple != ch:  # something traditional: convert the whole string (phrase-aware)
            return _converter.convert(s)
    return s


def to_halfwidth(s: str) -> str:
    """Full-width ASCII variants (U+FF01..U+FF5E) and U+3000 to half-width; nothing else.

    >>> to_halfwidth("５１．５％（ＡＢＣ）　ｘ")
    '51.5%(ABC) x'
    >>> to_halfwidth("你好。")
    '你好。'
    """
    if s.isascii():
        return s
    return s.translate(_HALFWIDTH)


def _is_missing(s: Any) -> bool:
    if s is None:
        return True
    if isinstance(s, str):
        return False
    try:
        return bool(s != s)  # NaN, NaT
    except TypeError:  # pandas.NA refuses bool()
        return type(s).__name__ == "NAType"


def clean(s: Any) -> str | None:
    """Missing or blank -> None; else half-width, stripped, inner whitespace runs -> one space.

    Non-string values (numbers) are turned into strings. Zero-width characters, the BOM and
    control characters (:data:`CONTROLS`: ESC, BEL, NUL, DEL, C1, ...) are dropped; the source
    file and row of every value stay in its provenance, so the original can be looked up.

    >>> clean("  a\\t b\\n ") , clean("　") , clean(None), clean(float("nan"))
    ('a b', None, None, None)
    >>> clean("１２３")
    '123'
    >>> clean("\\x1b[31mEvil\\x07 Co\\x9b")
    '[31mEvil Co'
    """
    if not isinstance(s, str):
        if _is_missing(s):
            return None
        s = str(s)
    if not s.isascii() or not s.isprintable():  # isprintable: no control (or tab, newline) in it
        s = s.translate(_CLEAN)
    s = _WS.sub(" ", s).strip()
    return s or None


def clean_many(values: Any) -> Any:
    """:func:`clean` of each value, as an object array. Texts that are already clean (most
    cells) are recognised in bulk (:data:`ALREADY_CLEAN`) and kept as they are; only the rest
    go through :func:`clean` one by one.

    >>> clean_many(["a", " b ", None, "ｘ", float("nan"), 7]).tolist()
    ['a', 'b', None, 'x', None, '7']
    """
    import numpy as np  # here, not at the top: importing kg.values.text stays cheap
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    try:
        text = pa.array(arr, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text (numbers from a workbook): one by one
        kept = np.zeros(len(arr), dtype=bool)
    else:
        kept = pc.fill_null(pc.match_substring_regex(text, ALREADY_CLEAN), False).to_numpy(zero_copy_only=False)
    out = arr.copy()
    for i in np.flatnonzero(~kept):
        out[i] = clean(arr[i])
    return out


@lru_cache(maxsize=1 << 18)  # one build keys the same names in several steps
def normalise_name(s: Any) -> str:
    """A key for matching organisation names; never for display.

    Half-width, traditional -> simplified Chinese, casefolded; "&" is read as the word "and";
    legal-form suffixes (:data:`LEGAL_FORMS_ZH`, :data:`LEGAL_FORMS_EN`) stripped; then all
    whitespace and punctuation (ASCII and Chinese brackets, quotes, dots) removed. A key is never
    stripped to nothing. Missing/blank input gives "".

    >>> normalise_name("深圳市大族激光科技股份有限公司")
    '深圳市大族激光科技'
    >>> normalise_name("Siasun Robot & Automation Co., Ltd.")
    'siasunrobotandautomation'
    >>> normalise_name("SIASUN ROBOT AND AUTOMATION") == normalise_name("Siasun Robot & Automation")
    True
    >>> normalise_name("瀋陽新松機器人自動化股份有限公司")
    '沈阳新松机器人自动化'
    >>> normalise_name("某某创业投资合伙企业（有限合伙）")
    '某某创业投资'
    >>> normalise_name("大族激光科技产业集团有限公司")
    '大族激光科技产业集团'
    """
    c = clean(s)
    if c is None:
        return ""
    if not c.isascii() and _CJK.search(c):
        c = _t2s(c)
    c = c.casefold()
    if "&" in c:
        c = c.replace("&", " and ")
    c = _JOIN.sub("", c)
    words = [w for w in _SPLIT.split(c) if w]
    while len(words) > 1 and words[-1] in LEGAL_FORMS_EN:
        words.pop()
    return _strip_legal_zh("".join(words))


def _strip_legal_zh(key: str) -> str:
    """``key`` without its trailing Chinese legal forms (:data:`LEGAL_FORMS_ZH`), never to nothing."""
    stripped = True
    while stripped:
        stripped = False
        for form in LEGAL_FORMS_ZH:
            if key.endswith(form) and len(key) > len(form):
                key = key[: -len(form)]
                stripped = True
                break
    return key


def _strip_legal_zh_bulk(names, keys) -> None:
    """:func:`_strip_legal_zh` of each of ``names`` (an Arrow string array) into ``keys`` (an
    object array of the same names), a round at a time: each round strips from every name the
    first form of LEGAL_FORMS_ZH it ends with (the longest: the forms go longest first)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    at = np.flatnonzero(pc.match_substring_regex(names, _ZH_TAIL).to_numpy(zero_copy_only=False))
    sub = names.take(pa.array(at))
    while len(at):
        length = pc.utf8_length(sub)
        cut = np.zeros(len(sub), dtype=np.int64)
        for form in LEGAL_FORMS_ZH:
            m = pc.and_(pc.ends_with(sub, form), pc.greater(length, len(form))).to_numpy(zero_copy_only=False)
            cut[m & (cut == 0)] = len(form)
        hit = cut > 0
        if not hit.any():
            break
        for n in np.unique(cut[hit]).tolist():
            sub = pc.if_else(pa.array(cut == n), pc.utf8_slice_codeunits(sub, 0, -n), sub)
        sub = sub.filter(pa.array(hit))
        at = at[hit]
        keys[at] = sub.to_numpy(zero_copy_only=False)


# Names :func:`normalise_names` keys in bulk (in Arrow), each a case whose key is plain to
# compute: printable ASCII, and CJK ideographs only (no space, punctuation or bracket).
_PLAIN_ASCII = r"^[\x21-\x7e]+(?: [\x21-\x7e]+)*$"  # already clean (clean() keeps it as it is)
_PLAIN_CJK = r"^[\x{4e00}-\x{9fff}]+$"
# ASCII after casefolding and dropping _JOIN's characters: _SPLIT's separators are [^a-z0-9]
# (\W and _), then trailing English legal forms as whole words, keeping the first word
_EN_TAIL = r"^(.+?)(?: (?:" + "|".join(sorted(LEGAL_FORMS_EN)) + r"))+$"
_EN_LAST = r" (?:" + "|".join(sorted(LEGAL_FORMS_EN)) + r")$"
_ZH_TAIL = "(?:" + "|".join(LEGAL_FORMS_ZH) + ")$"


def normalise_names(values: Any) -> list[str]:
    """:func:`normalise_name` of each value (a list or object array), the same keys: plain
    ASCII names and plain Chinese names are keyed in bulk, the rest one by one.

    >>> normalise_names(["Siasun Robot & Automation Co., Ltd.", "深圳市大族激光科技股份有限公司", "瀋陽新松機器人", None, 7])
    ['siasunrobotandautomation', '深圳市大族激光科技', '沈阳新松机器人', '', '7']
    """
    import numpy as np  # here, not at the top: importing kg.values.text stays cheap
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values) if not isinstance(values, np.ndarray) else values
    out = np.empty(len(arr), dtype=object)
    rest = np.ones(len(arr), dtype=bool)
    try:
        text = pa.array(arr, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: one by one
        text = None
    if text is not None and len(text):
        plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_ASCII), False).to_numpy(zero_copy_only=False)
        if plain.any():
            k = pc.replace_substring(pc.ascii_lower(text.filter(plain)), "&", " and ")
            for ch in ".'`":
                k = pc.replace_substring(k, ch, "")
            k = pc.utf8_trim(pc.replace_substring_regex(k, "[^a-z0-9]+", " "), " ")
            last = pc.match_substring_regex(k, _EN_LAST)  # only these lose words
            k = pc.if_else(last, pc.replace_substring_regex(k, _EN_TAIL, r"\1"), k)
            out[plain] = pc.replace_substring(k, " ", "").to_numpy(zero_copy_only=False)
            rest &= ~plain
        cjk = pc.fill_null(pc.match_substring_regex(text, _PLAIN_CJK), False).to_numpy(zero_copy_only=False)
        if cjk.any():
            names = text.filter(cjk)
            # a name with a character that is traditional on its own goes through _t2s one by one
            traditional = [ch for ch in set("".join(names.to_pylist())) if _t2s(ch) != ch]
            simple = np.ones(len(names), dtype=bool)
            if traditional:
                simple = ~pc.match_substring_regex(names, "[" + "".join(traditional) + "]").to_numpy(zero_copy_only=False)
            names = names.filter(simple)
            keys = names.to_numpy(zero_copy_only=False)
            _strip_legal_zh_bulk(names, keys)
            at = np.flatnonzero(cjk)[simple]
            out[at] = keys
            rest[at] = False
    for i in np.flatnonzero(rest).tolist():
        out[i] = normalise_name(arr[i])
    return out.tolist()
