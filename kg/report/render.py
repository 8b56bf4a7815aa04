"""Write a :class:`kg.report.cohort.Report` as one self-contained HTML page or as Markdown.

HTML: a Jinja2 template with autoescaping (entity names are untrusted text), CSS inline, charts
drawn by matplotlib's SVG backend and inlined (text as paths, so no font is fetched), and a
Content-Security-Policy that forbids every request: the page works offline and a name such as
``<script>`` shows as text. Each cell carries its raw value in ``data-value`` (JSON), so a
reader's tool (or a test) can compare the page with ``kg query run``'s rows. Markdown: the same
sections as tables, charts named but not drawn.

>>> fmt_value("share", 0.392156863), fmt_value("amount", 47058823.53), fmt_value("year", 2021)
('39.2%', '47,058,823.53', '2021')
>>> fmt_value("employees", 1460), fmt_value("revenue", None), fmt_value("controls", True)
('1,460', '', 'yes')
"""

from __future__ import annotations

import io
import json
import warnings
from functools import cache
from typing import Any

from kg.ontology import ID

__all__ = ["fmt_value", "render_html", "render_markdown", "chart_svg", "FORMATS", "SUFFIXES", "MAX_ROWS"]

FORMATS = ("html", "md")
SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
#: rows shown per table; the command line gives the rest
MAX_ROWS = 1000

_PERCENT = {"share", "intensity", "state_share", "min_share", "min_state_share", "benchmark_rate"}
_YEARS = {"year", "latest_year", "from_year", "to_year", "batch"}


def fmt_value(column: str, v: Any) -> str:
    """A value as the report shows it: shares as percentages, amounts with separators."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        if column in _PERCENT:
            return f"{float(v) * 100:.1f}%"
        if column in _YEARS and float(v).is_integer():
            return str(int(v))
        if float(v).is_integer():
            return f"{int(v):,}"
        return f"{float(v):,.2f}"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def short_ref(iri: Any) -> str:
    """An entity IRI's short reference (``uscc/9134...``, ``ticker/688017.SH``).

    >>> short_ref(ID + "ticker/688017.SH"), short_ref("x")
    ('ticker/688017.SH', 'x')
    """
    s = str(iri)
    return s[len(ID):] if s.startswith(ID) else s


def _cells(columns: list[str], rows: list[list], max_rows: int) -> tuple[list[str], list[list[dict]], int]:
    """Display columns and cells (``text``, ``ref``, ``col``, ``raw``): an IRI column with a
    ``_name`` column beside it shows the name with its short reference in one cell."""
    named = {c for c in columns if f"{c}_name" in columns}
    shown = [c for c in columns if not (c.endswith("_name") and c[:-5] in named)]
    out = []
    for r in rows[:max_rows]:
        rec = dict(zip(columns, r, strict=True))
        line = []
        for c in shown:
            v = rec[c]
            if c in named:
                line.append({"col": c, "raw": json.dumps(v, ensure_ascii=False), "text": rec[f"{c}_name"] or short_ref(v),
                             "ref": short_ref(v) if v is not None else "", "num": False})
            else:
                line.append({"col": c, "raw": json.dumps(v, ensure_ascii=False), "text": fmt_value(c, v), "ref": "",
                             "num": isinstance(v, (int, float)) and not isinstance(v, bool)})
        out.append(line)
    return shown, out, len(rows)


# --------------------------------------------------------------------------- charts


@cache
def _matplotlib():
    import matplotlib

    matplotlib.use("svg")
    from matplotlib import font_manager, pyplot

    have = {f.name for f in font_manager.fontManager.ttflist}
    family = ["DejaVu Sans"] + [f for f in ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP") if f in have]
    matplotlib.rcParams.update({
        "font.family": family, "svg.fonttype": "path", "svg.hashsalt": "kg-report", "font.size": 9,
        "axes.spines.top": False, "axes.spines.right": False,
    })
    return pyplot


_COLOURS = ["#3b6ea5", "#e0892b", "#5b9e52", "#b5443f", "#7d62a8"]


def chart_svg(chart) -> str:
    """One chart (kg.report.cohort.Chart) as an inline ``<svg>`` element: bars, stacked when it
    has several series."""
    from matplotlib.ticker import FuncFormatter

    plt = _matplotlib()
    cats = [str(c) for c in chart.categories]
    horizontal = max((len(c) for c in cats), default=0) > 10
    fig, ax = plt.subplots(figsize=(7.2, max(2.6, 0.32 * len(cats) + 1) if horizontal else 3.0))
    base = [0.0] * len(cats)
    for i, (name, values) in enumerate(chart.series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        if horizontal:
            ax.barh(cats, values, left=base, label=name, color=colour)
        else:
            ax.bar(cats, values, bottom=base, label=name, color=colour)
        base = [b + float(v or 0) for b, v in zip(base, values, strict=True)]

    def tick(v, _pos):
        if chart.percent:
            return f"{v * 100:.0f}%"
        for div, unit in ((1e8, "亿"), (1e4, "万")):
            if abs(v) >= div:
                return f"{v / div:g}{unit}"
        return f"{v:g}"

    (ax.xaxis if horizontal else ax.yaxis).set_major_formatter(FuncFormatter(tick))
    if horizontal:
        ax.invert_yaxis()
    if chart.ylabel and not horizontal:
        ax.set_ylabel(chart.ylabel)
    if len(chart.series) > 1:
        ax.legend(frameon=False, fontsize=8)
    ax.set_title(chart.title, fontsize=10, loc="left")
    fig.tight_layout()
    buf = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph missing from every font is drawn as a box
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    svg = buf.getvalue()
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


# --------------------------------------------------------------------------- documents


@cache
def _env(autoescape: bool):
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("kg.report", "templates"), autoescape=autoescape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["fmt"] = lambda v, kind="count": _fmt_figure(v, kind)
    env.filters["md"] = _md_cell
    return env


def _fmt_figure(v: Any, kind: str) -> str:
    if v is None:
        return "n/a"
    if kind == "share":
        return fmt_value("share", v)
    if kind == "amount":
        return fmt_value("amount", v)
    return fmt_value("count", v)


def _md_cell(v: Any) -> str:
    """Text for a Markdown table cell: HTML-significant characters as entities, pipes escaped,
    line breaks as spaces (so a name cannot break the table or inject markup)."""
    s = str(v if v is not None else "")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("|", "\\|").replace("\r", " ").replace("\n", " ").replace("`", "\\`")


def _context(report, max_rows: int, charts: bool) -> dict:
    sections = []
    for s in report.sections:
        tables = []
        for t in s.tables:
            cols, cells, n = _cells(t.columns, t.rows, max_rows)
            tables.append({"t": t, "columns": cols, "cells": cells, "total": n, "cut": n > max_rows})
        sections.append({"s": s, "tables": tables,
                         "svgs": [{"key": c.key, "title": c.title, "svg": chart_svg(c)} for c in s.charts] if charts else [],
                         "chart_titles": [c.title for c in s.charts]})
    build = report.build or {}
    return {"r": report, "sections": sections, "max_rows": max_rows,
            "params_text": ", ".join(f"{k}={v}" for k, v in report.params.items()),
            "built": build.get("built") or ""}


def render_html(report, max_rows: int = MAX_ROWS) -> str:
    """The report as one HTML page with no external resource."""
    from markupsafe import Markup

    ctx = _context(report, max_rows, charts=True)
    for sec in ctx["sections"]:
        for c in sec["svgs"]:
            c["svg"] = Markup(c["svg"])  # matplotlib's own SVG; names in it are drawn as paths
    return _env(True).get_template("cohort.html.j2").render(**ctx)


def render_markdown(report, max_rows: int = MAX_ROWS) -> str:
    """The report as Markdown: the same sections and tables, charts left out (named)."""
    return _env(False).get_template("cohort.md.j2").render(**_context(report, max_rows, charts=False))
