"""Legal Entity Identifiers (ISO 17442).

20 characters 0-9/A-Z; the last two are ISO 7064 MOD 97-10 check digits: with letters read as
A=10..Z=35, the whole code as an integer leaves remainder 1 when divided by 97.

>>> parse("5493 00 0IBP32UQZ0KL24")
'5493000IBP32UQZ0KL24'
>>> make("5493000IBP32UQZ0KL")
'5493000IBP32UQZ0KL24'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from kg.values.errors import ValueProblem
from kg.values.text import clean

__all__ = ["parse", "is_valid", "make", "valid_mask"]

EXPECTED = "20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24"
_STRIP = re.compile(r"[\s\-]+")
_LEI = re.compile(r"[0-9A-Z]{18}[0-9]{2}")
_STEM = re.compile(r"[0-9A-Z]{18}")


def _as_int(code: str) -> int:
    # int(c, 36) maps 0-9 to 0-9 and A-Z to 10-35, exactly ISO 7064's letter values.
    return int("".join(str(int(c, 36)) for c in code))


def parse(s: Any) -> str:
    """Clean (half-width, upper-case, no spaces/hyphens) and validate an LEI.

    >>> parse("5493000ibp32uqz0kl24")
    '5493000IBP32UQZ0KL24'
    >>> parse("5493000IBP32UQZ0KL25")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '5493000IBP32UQZ0KL25' is not a valid LEI (check digits should be '24', not '25'); expected 20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24
    """
    text = clean(s) if isinstance(s, str) else None
    if text is None:
        why = "it is empty" if isinstance(s, str) or s is None else "it is not text"
        raise ValueProblem(s, f"a valid LEI ({why})", EXPECTED)
    code = _STRIP.sub("", text).upper()
    if len(code) != 20:
        raise ValueProblem(s, f"a valid LEI (it has {len(code)} characters, not 20)", EXPECTED)
    if not _LEI.fullmatch(code):
        raise ValueProblem(
            s, "a valid LEI (only 0-9 and A-Z, and the last two must be digits)", EXPECTED
        )
    if _as_int(code) % 97 != 1:
        expected = make(code[:18])[18:]
        raise ValueProblem(
            s, f"a valid LEI (check digits should be {expected!r}, not {code[18:]!r})", EXPECTED
        )
    return code


def is_valid(s: Any) -> bool:
    """True if `s` reads as a valid LEI.

    >>> is_valid("5493000IBP32UQZ0KL24"), is_valid("5493000IBP32UQZ0KL42")
    (True, False)
    """
    try:
        parse(s)
    except ValueProblem:
        return False
    return True


def make(prefix18: str) -> str:
    """Append the two ISO 7064 MOD 97-10 check digits to an 18-character stem.

    >>> make("529900T8BM49AURSDO")
    '529900T8BM49AURSDO55'
    """
    stem = str(prefix18).upper()
    if not _STEM.fullmatch(stem):
        raise ValueProblem(prefix18, "an LEI stem", "18 characters 0-9/A-Z")
    return f"{stem}{98 - _as_int(stem + '00') % 97:02d}"


def valid_mask(codes: Sequence[Any]) -> np.ndarray:
    """True where a value is already a clean valid LEI (20 characters 0-9/A-Z, right check
    digits), computed for a whole column at once (millions of codes per second); run
    :func:`parse` on the rest for the cleaned code or the reason.

    >>> valid_mask(["5493000IBP32UQZ0KL24", "5493000IBP32UQZ0KL25", "5493000ibp32uqz0kl24", None]).tolist()
    [True, False, False, False]
    """
    # fixed-width UCS-4 codes 21 wide, so a longer value (or 'None', 'nan') cannot pass as 20
    objects = np.asarray(codes, dtype=object)
    chars = objects.astype("U21").view(np.uint32).reshape(-1, 21)
    ascii_ = (chars[:, :20] < 128).all(axis=1)
    b = np.ascontiguousarray(chars[:, :20].T).astype(np.uint8)  # one row per position
    digit = (b - 48) <= 9  # uint8 arithmetic wraps below '0', so one comparison per class
    ok = (chars[:, 20] == 0) & ascii_ & (digit | ((b - 65) <= 25)).all(axis=0) & digit[18:].all(axis=0)
    value = np.where(digit, b - 48, b - 55).astype(np.int16)  # ISO 7064 letter values: A=10 .. Z=35
    rem = np.zeros(b.shape[1], dtype=np.int16)
    for i in range(20):  # the code read as one decimal number (a letter gives two digits), mod 97
        rem = np.where(digit[i], rem * 10, rem * 100)
        rem += value[i]
        rem %= 97
    ok &= rem == 1
    passed = np.flatnonzero(ok)  # numpy drops trailing NULs: a code that passed must really be 20 long
    ok[passed] = np.fromiter(map(len, objects[passed]), dtype=np.int64, count=len(passed)) == 20
    return ok
