"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015).

18 characters from :data:`ALPHABET`: 1 registration authority, 2 organisation type, 3-8
administrative division (GB/T 2260), 9-17 organisation code (GB 11714, whose 9th character is
its own check character), 18 check character. Source: GB 32100-2015 and GB 11714-1997 as
summarised in docs DOMAIN.md ("Identifiers").

>>> parse(" 9135 0200 7760 4965 3a ")
'91350200776049653A'
>>> is_valid("91350200776049653B")
False
>>> make("350200", "77604965")
'91350200776049653A'
"""

from __future__ import annotations

import re
from typing import Any

from kg.values.errors import ValueProblem
from kg.values.text import clean

__all__ = ["ALPHABET", "WEIGHTS", "parse", "is_valid", "canonical_many", "check_char", "org_code_check", "make"]

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, ...]
AUTHORITIES = "123456789ANY"  # position 1
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714

EXPECTED = "18 characters from 0-9 and A-Z except I, O, S, V, Z, e.g. 91350200776049653A"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# GB 11714 reads 0-9 as 0-9 and A..Z as 10..35 (all 26 letters).
_ORG_VALUE = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
_STRIP = re.compile(r"[\s\-\u2010-\u2015]+")
_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")


def check_char(first17: str) -> str:
    """The 18th (check) character for the first 17 characters of a code.

    >>> check_char("91350200776049653")
    'A'
    """
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueProblem(first17, "17 characters of a USCC", "17 characters from the alphabet")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check(first8: str) -> str:
    """The 9th (check) character of an organisation code (GB 11714) from its first 8.

    >>> org_code_check("77604965"), org_code_check("59498494"), org_code_check("MA4L41YT")
    ('3', 'X', '1')
    """
    if len(first8) != 8 or any(c not in _ORG_VALUE for c in first8):
        raise ValueProblem(
            first8, "the first 8 characters of an organisation code", "8 characters 0-9 or A-Z"
        )
    c = 11 - sum(_ORG_VALUE[ch] * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _problem(s: Any, why: str) -> ValueProblem:
    return ValueProblem(s, f"a valid USCC ({why})", EXPECTED)


def parse(s: Any, *, check_org_code: bool = True) -> str:
    """Clean and validate a USCC; return it in canonical form (18 upper-case characters).

    Spaces and hyphens are removed, full-width characters made half-width, letters upper-cased.
    Checked, in order: length, alphabet, registration authority (position 1), the check character
    (position 18), and -- unless `check_org_code` is False -- the check character of the
    embedded organisation code (position 17). The error says which rule failed.

    >>> parse("91430111MA4L41YT1U")
    '91430111MA4L41YT1U'
    >>> parse("91350200776049653B")
    Traceback (most recent call last):
    ...
    kg.values.errors.ValueProblem: value '91350200776049653B' is not a valid USCC (check character should be 'A', not 'B'); expected 18 characters from 0-9 and A-Z except I, O, S, V, Z, e.g. 91350200776049653A
    """
    if isinstance(s, bool):
        raise _problem(s, "it is not text")
    text = clean(s) if isinstance(s, str | int) else None
    if text is None:
        raise _problem(s, "it is empty" if isinstance(s, str) or s is None else "it is not text")
    code = _STRIP.sub("", text).upper()
    if len(code) != 18:
        raise _problem(s, f"it has {len(code)} characters, not 18")
    if not _CODE.fullmatch(code):
        for i, c in enumerate(code, 1):
            if c not in _VALUE:
                raise _problem(s, f"character {i} {c!r} is not allowed")
    if code[0] not in AUTHORITIES:
        raise _problem(s, f"registration authority (character 1) {code[0]!r} is not 1-9, A, N or Y")
    expected = check_char(code[:17])
    if code[17] != expected:
        raise _problem(s, f"check character should be {expected!r}, not {code[17]!r}")
    if check_org_code:
        expected = org_code_check(code[8:16])
        if code[16] != expected:
            raise _problem(
                s,
                f"organisation code check character (character 17) should be {expected!r},"
                f" not {code[16]!r}",
            )
    return code


def is_valid(s: Any) -> bool:
    """True if `s` reads as a valid USCC (see :func:`parse`).

    >>> is_valid("9135021359498494XQ"), is_valid("9135021359498494XR"), is_valid(None)
    (True, False, False)
    """
    try:
        parse(s)
    except ValueProblem:
        return False
    return True


_CANONICAL = r"^[1-9ANY][0-9A-HJ-NPQRTUWXY]{17}$"


def canonical_many(values: Any) -> Any:
    """For each value, True when it is already a valid USCC as :func:`parse` returns it (so
    ``parse(v) == v``), checked in bulk: alphabet, authority, both check characters. False for
    anything else (missing, spaces, lower case, a wrong check character: :func:`parse` says why).

    >>> canonical_many(["91350200776049653A", "91350200776049653B", "9135 0200 7760 4965 3A", None]).tolist()
    [True, False, False, False]
    """
    import numpy as np  # here: importing kg.values.uscc stays cheap
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(list(values) if not isinstance(values, np.ndarray) else values, type=pa.string(), from_pandas=True)
    shaped = pc.fill_null(pc.match_substring_regex(text, _CANONICAL), False)
    picked = pc.filter(text, shaped).to_numpy(zero_copy_only=False)
    ok = np.zeros(len(text), dtype=bool)
    if not len(picked):
        return ok
    # the regex allows ASCII only: 18 bytes a code
    chars = np.frombuffer("".join(picked).encode("ascii"), dtype=np.uint8).reshape(-1, 18).astype(np.int64)
    value = np.zeros(256, dtype=np.int64)
    value[[ord(c) for c in ALPHABET]] = range(len(ALPHABET))
    total = value[chars[:, :17]] @ np.array(WEIGHTS, dtype=np.int64)
    table = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
    good = table[(31 - total % 31) % 31] == chars[:, 17]
    org = np.zeros(256, dtype=np.int64)
    org[[ord(c) for c in _ORG_VALUE]] = list(_ORG_VALUE.values())
    c = 11 - (org[chars[:, 8:16]] @ np.array(ORG_CODE_WEIGHTS, dtype=np.int64)) % 11
    org_check = np.where(c == 10, ord("X"), np.where(c == 11, ord("0"), ord("0") + c))
    good &= org_check == chars[:, 16]
    ok[np.flatnonzero(shaped.to_numpy(zero_copy_only=False))] = good
    return ok


def make(division: str, org_code8: str, authority: str = "9", org_type: str = "1") -> str:
    """Build a valid USCC from its parts, computing both check characters.

    `division` is a 6-digit GB/T 2260 code, `org_code8` the first 8 characters of the
    organisation code (from :data:`ALPHABET`). Used by the synthetic generator and sample data.

    >>> make("430111", "MA4L41YT")
    '91430111MA4L41YT1U'
    """
    org = str(org_code8).upper()
    if not (len(division) == 6 and division.isascii() and division.isdigit()):
        raise ValueProblem(division, "an administrative division code", "6 digits, e.g. 350200")
    if len(org) != 8 or any(c not in _VALUE for c in org):
        raise ValueProblem(org_code8, "an organisation code stem", "8 characters from ALPHABET")
    if len(authority) != 1 or authority not in AUTHORITIES:
        raise ValueProblem(authority, "a registration authority", "one of 1-9, A, N, Y")
    if len(org_type) != 1 or org_type not in _VALUE:
        raise ValueProblem(org_type, "an organisation type", "one character from ALPHABET")
    first17 = authority + org_type + division + org + org_code_check(org)
    return first17 + check_char(first17)
