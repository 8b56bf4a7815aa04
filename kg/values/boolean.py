"""Yes/no values: 是/否, true/false, yes/no, y/n, 1/0, t/f (case-insensitive, full-width too).

>>> parse("是"), parse("否"), parse("ＹＥＳ"), parse(0)
(True, False, True, False)
"""

from __future__ import annotations

import numbers
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.text import clean

__all__ = ["parse", "TRUE_WORDS", "FALSE_WORDS"]

EXPECTED = "是/否, yes/no, true/false, y/n, t/f or 1/0"
TRUE_WORDS = frozenset({"是", "是的", "对", "true", "yes", "y", "1", "t", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"否", "不是", "不", "false", "no", "n", "0", "f", "×", "✗", "✘"})
_WORDS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}


def parse(s: Any) -> bool:
    """Read a yes/no value.

    >>> parse(" True "), parse("N"), parse("是的"), parse(1.0)
    (True, False, True, True)
    >>> parse("maybe")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value 'maybe' is not a yes/no value; expected 是/否, yes/no, true/false, y/n, t/f or 1/0
    """
    if isinstance(s, bool):
        return s
    if isinstance(s, numbers.Real) and not isinstance(s, str):
        if s == 1:
            return True
        if s == 0:
            return False
        raise ValueProblem(s, "a yes/no value", EXPECTED)
    text = clean(s) if isinstance(s, str) else (None if s is None else clean(str(s)))
    if text is None:
        raise ValueProblem(s, "a yes/no value (it is empty)", EXPECTED)
    value = _WORDS.get(text.casefold())
    if value is None:
        raise ValueProblem(s, "a yes/no value", EXPECTED)
    return value
