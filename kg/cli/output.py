"""One output-options decorator for every command that prints rows, and printing them.

``--format table`` has two forms. To a terminal (or with $KG_TERMINAL=1) it is for people,
rendered by kg.cli.readable with rich: entities by name and short reference, shares as
percentages, amounts with separators and currency (``--cn-units``: 万/亿), columns fitted to the
width, the first 100 rows (``--limit``) and a footer. Anywhere else (a pipe, a file) it stays
plain aligned text with every row and the values as stored, like csv, tsv, json and jsonl,
which never change with the terminal.

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
import itertools
import json
import os
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import click

FORMATS = ("table", "csv", "tsv", "json", "jsonl")

if TYPE_CHECKING:
    from kg.cli.labels import Labeller

#: "1": treat stdout and stderr as terminals (readable tables, progress bars); "0": as not;
#: unset: ask the stream. Lets tests (click's CliRunner is no terminal) and pagers choose.
TERMINAL_ENV = "KG_TERMINAL"

#: Rows a table on a terminal shows unless --limit says otherwise.
SHOWN_ROWS = 100


def is_terminal(stream) -> bool:
    """Whether ``stream`` is a terminal, unless $KG_TERMINAL says (1 = yes, 0 = no).

    >>> import io
    >>> is_terminal(io.StringIO())
    False
    """
    said = os.environ.get(TERMINAL_ENV)
    if said in ("0", "1"):
        return said == "1"
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed
        return False


def output_options(f):
    """Add ``--format table|csv|tsv|json|jsonl`` (default table), ``--limit N`` and
    ``--cn-units`` to a command. The last two reach :func:`write_rows` through the click
    context (``ctx.meta``), so commands do not pass them on."""
    f = click.option(
        "--cn-units", is_flag=True, expose_value=False, callback=_keep("cn_units"),
        help="In a table on a terminal, amounts in 万 (10^4) and 亿 (10^8) instead of whole units.",
    )(f)
    f = click.option(
        "--limit", type=click.IntRange(min=0), default=None, metavar="N", expose_value=False, callback=_keep("limit"),
        help=f"Print at most N rows (0: all). Default: all, but a table on a terminal shows the first {SHOWN_ROWS}.",
    )(f)
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
        help="How to print the rows: an aligned table (for people: names, percentages, amounts when on a terminal), "
             "CSV, TSV, a JSON list of objects, or JSON lines (IRIs and numbers as stored).",
    )(f)


_META = "kg.output"


def format_for_output(fmt: str | None, output: str, suffixes: dict[str, str], command: str, writes: str,
                      default: str = "html") -> str:
    """A file format: ``fmt`` if given, else from the suffix of ``output`` (``suffixes`` maps
    suffix -> format); without ``fmt`` a suffix the command does not write is refused rather
    than filled with ``default``, which is also the format of ``-``.

    >>> format_for_output(None, "a.SVG", {".svg": "svg"}, "kg viz", ".svg"), format_for_output(None, "-", {}, "kg viz", "")
    ('svg', 'html')
    """
    from pathlib import Path

    from kg.errors import InputError

    suffix = Path(output).suffix.lower() if output != "-" else ""
    by_suffix = suffixes.get(suffix)
    if fmt is None and suffix and by_suffix is None:
        raise InputError(f"-o {output}: {command} writes {writes}, not {suffix}; "
                         "name the file with one of those, or say --format")
    return fmt or by_suffix or default


def _keep(name: str):
    def remember(ctx: click.Context, param, value):
        ctx.meta.setdefault(_META, {})[name] = value
        return value

    return remember


def output_settings() -> dict:
    """The ``--limit`` and ``--cn-units`` of the running command ({} outside a command, or when
    it has no output options)."""
    ctx = click.get_current_context(silent=True)
    return dict(ctx.meta.get(_META, {})) if ctx is not None else {}


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
    """Terminal columns of printable text (East Asian wide and full-width characters take two).

    >>> _width("abc"), _width("中文a")
    (3, 5)
    """
    if s.isascii():  # the common case: one column a character
        return len(s)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int, right: bool, width: int | None = None) -> str:
    gap = " " * (w - (_width(s) if width is None else width))
    return gap + s if right else s + gap


def write_rows(columns: Sequence[str], rows: Iterable[Sequence], fmt: str, out=None, *,
               labeller: Labeller | None = None) -> None:
    """Print rows in one of FORMATS; ``out`` defaults to stdout.

    A table to a terminal is for people (:mod:`kg.cli.readable`): entities by name and short
    reference (names the rows lack come from ``labeller``, e.g. ``store_labeller(store)``),
    shares, amounts, fitted to the width, the first 100 rows unless ``--limit`` says. Anywhere
    else (a pipe, a file) the table is plain text with every row and the values as they are;
    csv, tsv, json and jsonl are always the values as they are. ``--limit N`` cuts any format.
    """
    out = out or sys.stdout
    settings = output_settings()
    limit = settings.get("limit")
    if fmt == "table" and is_terminal(out):
        from kg.cli.readable import console_for, print_table

        cap = SHOWN_ROWS if limit is None and "limit" in settings else limit or None
        rows = list(rows)
        hint = "all with --limit 0, or --format csv"
        print_table(columns, rows[:cap] if cap else rows, console_for(out), labeller=labeller,
                    cn_units=bool(settings.get("cn_units")), total=len(rows), hint=hint)
        return
    if limit:
        rows = itertools.islice(rows, limit)
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
        rows = [[v if type(v) is str and v.isprintable() else safe_text(_text(v)) for v in r] for r in rows]
        numeric = [all(_is_num(r[i]) for r in rows if r[i] != "") and any(r[i] for r in rows) for i in range(len(columns))]
        cell_widths = [[_width(v) for v in r] for r in rows]
        widths = [max([_width(c)] + [w[i] for w in cell_widths]) for i, c in enumerate(columns)]
        out.write("  ".join(_pad(c, widths[i], numeric[i]) for i, c in enumerate(columns)).rstrip() + "\n")
        out.write("  ".join("-" * w for w in widths) + "\n")
        out.write("".join("  ".join(_pad(v, widths[i], numeric[i], cw[i]) for i, v in enumerate(r)).rstrip() + "\n"
                          for r, cw in zip(rows, cell_widths, strict=True)))
        if not rows:
            out.write("(no rows)\n")


def _is_num(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
