"""One output-options decorator for every command that prints rows, and printing them.

Control characters never reach the terminal raw: in table, CSV and TSV output they are shown
as escapes (``\\x1b``; the table also shows tab and newline as ``\\t``, ``\\n``), JSON escapes
them as ``\\u001b`` (also DEL and C1, which the json module leaves raw).

>>> import io
>>> buf = io.StringIO()
>>> write_rows(["a", "b"], [[1, "x"], [2.5, None]], "csv", buf)
>>> buf.getvalue().splitlines()
['a,b', '1,x', '2.5,']
>>> buf = io.StringIO()
>>> write_rows(["name"], [["Evil\\x1b[2J\\x07 Co"]], "table", buf)
>>> print(buf.getvalue(), end="")
name
------------------
Evil\\x1b[2J\\x07 Co
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from collections.abc import Iterable, Sequence

import click

FORMATS = ("table", "csv", "tsv", "json", "jsonl")


def output_options(f):
    """Add ``--format table|csv|tsv|json|jsonl`` (default table) to a command."""
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="How to print the rows: an aligned table, CSV, TSV, a JSON list of objects, or JSON lines.",
    )(f)


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if not v.is_integer() or abs(v) >= 1e15 else str(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# C0 controls, DEL and C1 controls: a terminal acts on them (ESC starts escape sequences, BEL
# rings, CSI = ESC [, CR moves back over what was printed)
_CONTROLS = (*range(0x20), 0x7F, *range(0x80, 0xA0))
# bidirectional embeddings, overrides and isolates reorder what follows them on screen
# ("Trojan Source"): shown as escapes too
_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
_ESCAPES = {c: _NAMED.get(c, f"\\x{c:02x}") for c in _CONTROLS} | {c: f"\\u{c:04x}" for c in _BIDI}  # for the table
_ESCAPES_CSV = {c: e for c, e in _ESCAPES.items() if c not in (0x09, 0x0A)}  # quoted cells keep tab, newline
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in (0x7F, *range(0x80, 0xA0), *_BIDI)}  # json.dumps escapes only C0


def safe_text(s: str, *, keep_tab_newline: bool = False) -> str:
    """``s`` with control characters written as escapes, safe to print to a terminal.

    >>> safe_text("a\\x1b[31mb\\x07\\tc")
    'a\\\\x1b[31mb\\\\x07\\\\tc'
    >>> safe_text("a\\tb\\x9b", keep_tab_newline=True)
    'a\\tb\\\\x9b'
    """
    if s.isprintable():  # the common case, no copy (False also for tab and newline)
        return s
    return s.translate(_ESCAPES_CSV if keep_tab_newline else _ESCAPES)


def _safe_json(s: str) -> str:
    return s if s.isascii() else s.translate(_JSON_ESCAPES)


def write_json(obj, out=None) -> None:
    """``obj`` as indented JSON (UTF-8 text, every control character escaped) and a newline.

    >>> write_json({"name": "a\\x1b\\x9b"}, sys.stdout)
    {
      "name": "a\\u001b\\u009b"
    }
    """
    text = json.dumps(obj, ensure_ascii=False, indent=2, default=str)
    (out or sys.stdout).write(_safe_json(text) + "\n")


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int, right: bool) -> str:
    gap = " " * (w - _width(s))
    return gap + s if right else s + gap


def write_rows(columns: Sequence[str], rows: Iterable[Sequence], fmt: str, out=None) -> None:
    """Print rows in one of FORMATS; ``out`` defaults to stdout."""
    out = out or sys.stdout
    if fmt in ("csv", "tsv"):
        w = csv.writer(out, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow([safe_text(str(c), keep_tab_newline=True) for c in columns])
        for r in rows:
            w.writerow([safe_text(_text(v), keep_tab_newline=True) for v in r])
    elif fmt == "json":
        write_json([dict(zip(columns, r, strict=True)) for r in rows], out)
    elif fmt == "jsonl":
        for r in rows:
            out.write(_safe_json(json.dumps(dict(zip(columns, r, strict=True)), ensure_ascii=False, default=str)) + "\n")
    else:
        columns = [safe_text(str(c)) for c in columns]
        rows = [[safe_text(_text(v)) for v in r] for r in rows]
        numeric = [all(_is_num(r[i]) for r in rows if r[i] != "") and any(r[i] for r in rows) for i in range(len(columns))]
        widths = [max([_width(c)] + [_width(r[i]) for r in rows]) for i, c in enumerate(columns)]
        out.write("  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(columns)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        for r in rows:
            out.write("  ".join(_pad(v, widths[i], numeric[i]) for i, v in enumerate(r)).rstrip() + "\n")
        if not rows:
            out.write("(no rows)\n")


def _is_num(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
