"""One output-options decorator for every command that prints rows.

>>> import io
>>> buf = io.StringIO()
>>> write_rows(["a", "b"], [[1, "x"], [2.5, None]], "csv", buf)
>>> buf.getvalue().splitlines()
['a,b', '1,x', '2.5,']
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
        w.writerow(columns)
        for r in rows:
            w.writerow([_text(v) for v in r])
    elif fmt == "json":
        json.dump([dict(zip(columns, r, strict=True)) for r in rows], out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
    elif fmt == "jsonl":
        for r in rows:
            out.write(json.dumps(dict(zip(columns, r, strict=True)), ensure_ascii=False, default=str) + "\n")
    else:
        rows = [[_text(v) for v in r] for r in rows]
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
