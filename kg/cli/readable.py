"""Tables for people: what ``--format table`` prints to a terminal, rendered with rich.

Rows keep their IRIs and raw numbers (what csv, tsv, json and jsonl print); here, on the way to
the screen only:

- an entity is shown as ``Name [ref]`` (kg.cli.labels): its ``X_name`` column, when the row has
  one, is folded into the ``X`` column;
- other IRIs of kg in a short form (``kg:Firm``, ``source/merics-2024``);
- shares (columns ``share``, ``*_share``, ``intensity``, ``*_rate``) as percentages with three
  significant digits and at least one decimal (kg.values.share.as_percent);
- amounts (``amount``, ``revenue``, ``financing``, ``subsidies``, ``equity``, ``debt``,
  ``net_profit``, ``rd_expense``, ``exports``, ``*_amount``, ``revenue_*``) with thousands
  separators and their currency: the row's ``currency`` column where the table has one, else
  CNY (kg stores amounts in units of their currency, yuan by default), named once in the
  column's header; or in 万/亿 with ``--cn-units`` (kg.values.amount.as_text);
- other whole numbers with thousands separators, years (``year``, ``*_year``) without;
- columns fitted to the console's width (long text wrapped, a word too long cut with an
  ellipsis) and a footer with the row count, or how many rows of how many are shown.

Every text passes kg.cli.output.safe_text first: control characters and bidi overrides stay
escapes, and cells are rich Text objects, so ``[bold]`` in a name is printed, not obeyed.

>>> from rich.console import Console
>>> con = Console(width=60, color_system=None)
>>> with con.capture() as cap:
...     print_table(["firm", "firm_name", "share", "amount"],
...                 [["https://w3id.org/accelerator-kg/id/uscc/91340100922300157C", "Hefei Qingyun Precision Reducer Co., Ltd.", 0.7, 59000000]],
...                 con)
>>> print("\\n".join(line.rstrip() for line in cap.get().splitlines()))
firm                                     share  amount (CNY)
────────────────────────────────────────────────────────────
Hefei Qingyun Precision Reducer Co.,     70.0%    59,000,000
Ltd. [91340100922300157C]
1 row
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from kg.cli.labels import Label, Labeller, iri_ref, is_entity_iri, labels_for, short_iri
from kg.cli.output import safe_text
from kg.values.amount import as_text
from kg.values.share import as_percent

__all__ = ["console_for", "print_table", "print_owner_tree", "fit_widths", "column_kind", "cell_text"]

_SHARES = {"share", "intensity"}
_AMOUNTS = {"amount", "financing", "subsidies", "equity", "debt", "revenue", "net_profit", "rd_expense", "exports"}


def console_for(stream) -> Console:
    """A rich Console writing to ``stream``: colours only on a real terminal (not when
    $KG_TERMINAL forces the layout onto a pipe); width from the terminal, else $COLUMNS, else 80."""
    return Console(file=stream, highlight=False, emoji=False, markup=False, soft_wrap=False)


def column_kind(name: str) -> str:
    """How a column's numbers are written: 'share', 'amount', 'year' or 'number'.

    >>> [column_kind(c) for c in ("state_share", "intensity", "interest_rate", "look_through_amount", "revenue_3y_before", "from_year", "hops")]
    ['share', 'share', 'share', 'amount', 'amount', 'year', 'number']
    """
    n = name.lower()
    if n in _SHARES or n.endswith(("_share", "_rate")):
        return "share"
    if n in _AMOUNTS or n.endswith("_amount") or n.startswith(("revenue_", "amount_")):
        return "amount"
    if n == "year" or n.endswith("_year"):
        return "year"
    return "number"


def cell_text(v, kind: str = "number", *, label: Label | None = None, currency: str | None = "CNY",
              cn_units: bool = False) -> Text:
    """One cell for people (``label`` for an entity IRI).

    >>> [cell_text(v, k).plain for v, k in ((0.665, "share"), (1234567, "number"), (2023, "year"), (None, "number"), (True, "number"))]
    ['66.5%', '1,234,567', '2023', '', 'true']
    >>> cell_text("https://w3id.org/accelerator-kg/id/entity/boc", label=Label("Bank of China", "boc")).plain
    'Bank of China [boc]'
    >>> cell_text("Evil\\x1b[2J [bold]Co").plain
    'Evil\\\\x1b[2J [bold]Co'
    """
    if v is None:
        return Text("")
    if isinstance(v, bool):
        return Text("true" if v else "false")
    if isinstance(v, (int, float)):
        return Text(_number(v, kind, currency, cn_units))
    s = str(v)
    if label is not None:
        if label.name is None:
            return Text(safe_text(label.ref or short_iri(s)))
        t = Text(safe_text(label.name))
        if label.ref:
            t.append(f" [{safe_text(label.ref)}]", style="dim")
        return t
    if s.startswith(("http://", "https://")) and " " not in s:
        return Text(safe_text(short_iri(s)))
    return Text(safe_text(s))


def _number(v: float, kind: str, currency: str | None, cn_units: bool) -> str:
    if kind == "share":
        return as_percent(v)
    if kind == "amount":
        return as_text(v, currency, cn_units=cn_units)
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}" if abs(v) >= 1e6 else f"{v:.6g}"
    if kind == "year":
        return str(int(v))
    return f"{int(v):,}"


def print_table(columns: Sequence[str], rows: Sequence[Sequence], console: Console, *,
                labeller: Labeller | None = None, cn_units: bool = False, total: int | None = None,
                hint: str | None = None) -> None:
    """Print ``rows`` as a table for people, then a footer: the row count, or, when ``total``
    says there were more than ``rows``, how many are shown and ``hint`` (how to see them all).

    Numbers and references are never cut: when the columns cannot fit the console's width even
    with every name wrapped, each row is printed as a block of ``column  value`` lines instead.
    """
    columns = [str(c) for c in columns]
    rows = [list(r) for r in rows]
    index = {c: i for i, c in enumerate(columns)}
    entity_cols = [i for i in range(len(columns)) if any(is_entity_iri(r[i]) for r in rows)]
    folded = {i: index[columns[i] + "_name"] for i in entity_cols if columns[i] + "_name" in index}
    names: dict[str, str] = {}
    for i, j in folded.items():
        for r in rows:
            if is_entity_iri(r[i]) and isinstance(r[j], str) and r[j]:
                names.setdefault(r[i], r[j])
    labels = labels_for((r[i] for i in entity_cols for r in rows if is_entity_iri(r[i])), names, labeller)
    shown = [i for i in range(len(columns)) if i not in folded.values()]
    kinds = [column_kind(c) for c in columns]
    numeric = {i for i in shown if any(r[i] is not None for r in rows)
               and all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in rows if r[i] is not None)}
    currency = index.get("currency")

    def cells(one_currency: bool) -> list[list[Text]]:
        out = []
        for r in rows:
            cur = None if one_currency else r[currency] if currency is not None and isinstance(r[currency], str) and r[currency] else "CNY"
            out.append([cell_text(r[i], kinds[i], currency=cur, cn_units=cn_units,
                                  label=labels.get(r[i]) if i in entity_cols and is_entity_iri(r[i]) else None)
                        for i in shown])
        return out

    grid = cells(one_currency=currency is None)
    headers, natural, least = [], [], []
    for k, i in enumerate(shown):
        header = safe_text(columns[i])
        if kinds[i] == "amount" and i in numeric and currency is None:  # one currency: named once, in the header
            header += " (元)" if cn_units else " (CNY)"
        widest = max((row[k].cell_len for row in grid), default=0)
        if i in numeric:  # numbers never wrap or shrink (their header may)
            low = widest
        elif i in entity_cols:  # a name may wrap, its reference stays whole
            low = min(widest, max([12] + [len(labels[r[i]].ref or "") + 3 for r in rows if r[i] in labels]))
        else:  # prose wraps; a word (an id, a date, a code) stays whole up to 30 characters
            longest = max((cell_len(w) for row in grid for w in row[k].plain.split()), default=0)
            low = min(widest, max(12, min(longest, 30)))
        words = [cell_len(w) for w in _header_parts(header)]  # a header wraps between words and after "_"
        headers.append(header)
        natural.append(max([widest, cell_len(header), 1]))
        least.append(max([low, 1] + words))
    widths = fit_widths(natural, least, console.width - 2 * (len(shown) - 1))  # two spaces between columns
    if rows and widths is None:
        console.print(_records([safe_text(columns[i]) for i in shown], cells(one_currency=False)))
    else:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, header_style="bold", padding=(0, 1, 0, 0), pad_edge=False)
        for k, i in enumerate(shown):
            table.add_column(_wrap_header(headers[k], widths[k]) if widths else headers[k], justify="right" if i in numeric else "left", overflow="ellipsis",
                             width=widths[k] if widths else None)
        for row in grid:
            table.add_row(*row)
        console.print(table)
    n = len(rows) if total is None else total
    if not rows:
        footer = "(no rows)"
    elif n > len(rows):
        footer = f"{len(rows):,} of {n:,} rows shown" + (f"; {hint}" if hint else "")
    else:
        footer = f"{n:,} row" + ("" if n == 1 else "s")
    console.print(Text(footer, style="dim"))


def _records(headers: list[str], grid: list[list[Text]]) -> Table:
    """Rows as blocks of ``column  value`` lines, a rule between them (for a narrow console)."""
    out = Table.grid(padding=(0, 2))
    out.add_column(style="bold", no_wrap=True)
    out.add_column(overflow="fold")
    for n, row in enumerate(grid):
        if n:
            out.add_row("", "")
        for h, cell in zip(headers, row, strict=True):
            out.add_row(h, cell)
    return out


def fit_widths(natural: list[int], least: list[int], room: int) -> list[int] | None:
    """Column widths that fit ``room``: the wide columns (over 20 cells) scaled down by one
    factor from their natural width (so wrapped columns take about as many lines each), none
    below its least, the narrow ones kept whole if they can be; None when even the least widths
    do not fit.

    >>> fit_widths([90, 30, 10], [12, 12, 10], 70)
    [42, 18, 10]
    >>> fit_widths([60, 60, 12], [20, 20, 5], 80)
    [34, 34, 12]
    >>> fit_widths([30, 10], [25, 10], 30) is None
    True
    """
    if sum(least) > room:
        return None
    natural = [max(min(n, room), lo) for n, lo in zip(natural, least, strict=True)]
    if sum(natural) <= room:
        return natural
    wide = [n > 20 for n in natural]
    if sum(lo if w else n for n, lo, w in zip(natural, least, wide, strict=True)) > room:
        wide = [True] * len(natural)  # the narrow ones must give too

    def widths(f: float) -> list[int]:
        return [max(lo, int(n * f)) if w else n for n, lo, w in zip(natural, least, wide, strict=True)]

    low, high = 0.0, 1.0  # the largest factor whose widths fit
    for _ in range(40):
        mid = (low + high) / 2
        low, high = (mid, high) if sum(widths(mid)) <= room else (low, mid)
    out = widths(low)
    for k in sorted(range(len(out)), key=lambda j: -natural[j]):  # what rounding left, to the widest
        if sum(out) < room and out[k] < natural[k] and wide[k]:
            out[k] += 1
    return out


def _header_parts(header: str) -> list[str]:
    """
    >>> _header_parts("look_through_amount (CNY)")
    ['look_', 'through_', 'amount', '(CNY)']
    """
    return [part for word in header.split() for part in re.findall(r"[^_]*_|[^_]+", word)]


def _wrap_header(header: str, width: int) -> str:
    """A header in lines of at most ``width`` cells, broken between words or after an underscore.

    >>> _wrap_header("look_through_amount (CNY)", 14)
    'look_through_\\namount (CNY)'
    """
    if cell_len(header) <= width:
        return header
    lines = [""]
    for word in header.split():
        for n, part in enumerate(re.findall(r"[^_]*_|[^_]+", word)):
            joined = lines[-1] + (" " if lines[-1] and n == 0 else "") + part
            if lines[-1] and cell_len(joined) > width:
                lines.append(part)
            else:
                lines[-1] = joined
    return "\n".join(lines)


def print_owner_tree(root, console: Console) -> None:
    """``kg owners`` on a terminal: the tree of kg.queries.owners.owner_tree with rich's guides,
    each owner as ``share  Name [ref]  marks`` (a long line wraps under its own branch).

    >>> from kg.queries.owners import OwnerNode
    >>> up = OwnerNode("https://w3id.org/accelerator-kg/id/entity/sasac", "SASAC", local_id="sasac", direct_share=0.95,
    ...                integrated_share=0.665, controls=True, state=True)
    >>> con = Console(width=60, color_system=None)
    >>> with con.capture() as cap:
    ...     print_owner_tree(OwnerNode("https://w3id.org/accelerator-kg/id/uscc/X", "Reducer Co.", owners=[up]), con)
    >>> print(cap.get(), end="")
    Reducer Co. [X]
    └── 95.0%  SASAC [sasac]  integrated 66.5%; controls; state
    """
    from rich.tree import Tree

    from kg.queries.owners import NO_OWNERS, marks

    def label(n, share: str | None, notes: list[str]) -> Text:
        t = Text()
        if share is not None:
            t.append(share + "  ", style="bold")
        t.append_text(cell_text(n.iri, label=Label(n.name, n.local_id or iri_ref(n.iri))))
        if notes:
            t.append("  " + safe_text("; ".join(notes)), style="dim")
        return t

    top = Tree(label(root, None, ["state"] if root.state else []))

    def walk(n, branch: Tree) -> None:
        for o in n.owners:
            walk(o, branch.add(label(o, as_percent(o.direct_share) if o.direct_share is not None else "", marks(o))))

    walk(root, top)
    console.print(top)
    if not root.owners:
        console.print(Text(NO_OWNERS, style="dim"))
