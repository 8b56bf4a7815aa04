"""Static SVG/PNG diagrams of an ownership subgraph, drawn by Graphviz ``dot``, for reports.

Same conventions as the HTML view: owners above what they own, colours by type, red border for
state-controlled entities, share labels on ownership links, amounts on funding links and
certification badges in node labels. Needs the ``dot`` binary (Debian package graphviz).
"""

from __future__ import annotations

import html as _html
import math
import re
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any, Literal

from kg.viz import model

__all__ = ["render_static", "to_dot", "GraphvizNotFound"]

FONT = "Noto Sans CJK SC,WenQuanYi Micro Hei,DejaVu Sans,Arial,sans-serif"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class GraphvizNotFound(RuntimeError):
    """Raised when the Graphviz ``dot`` program is not installed.

    >>> str(GraphvizNotFound())
    "graphviz 'dot' not found; install Debian package graphviz"
    """

    def __init__(self, message: str = "graphviz 'dot' not found; install Debian package graphviz"):
        super().__init__(message)


def _h(value: Any) -> str:
    """Text for a Graphviz HTML-like label: XML-escaped, backslashes doubled (dot expands
    \\N, \\G... even inside HTML-like labels), line breaks as <BR/>."""
    text = _html.escape(_CONTROL.sub("", str(value)), quote=True).replace("\\", "\\\\")
    return re.sub(r"\r\n|\r|\n", "<BR/>", text)


def _q(value: Any) -> str:
    """A double-quoted DOT string; backslashes doubled so \\N, \\G... are not expanded."""
    s = _CONTROL.sub("", str(value)).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n") + '"'


def _tint(colour: str, amount: float = 0.55) -> str:
    """Mix a #rrggbb colour with white (amount 0 = unchanged, 1 = white)."""
    c = colour.lstrip("#")
    rgb = [int(c[i:i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(v + (255 - v) * amount):02x}" for v in rgb)


def _badge_text(badges: list[dict[str, Any]]) -> str:
    parts = []
    for b in badges:
        text = b["code"] + (f" {b['year']}" if b.get("year") else "")
        if text not in parts:
            parts.append(text)
    return " · ".join(parts)


def to_dot(graph: Mapping[str, Any], *, title: str, as_of: str | None = None,
           legend: bool = True) -> str:
    """The Graphviz DOT source for a subgraph (what ``render_static`` feeds to ``dot``).

    Links not valid at ``as_of`` (default ``meta.as_of``; no date = all valid) are drawn
    grey and dashed, with their end or start date in the label.

    >>> dot = to_dot({"nodes": [{"id": "a", "label": "A", "types": ["Firm"]},
    ...                         {"id": "b", "label": "B", "types": ["Firm"]}],
    ...               "edges": [{"source": "a", "target": "b", "type": "OWNS", "share": 0.6}]},
    ...              title="t")
    >>> "n0 -> n1" in dot and "60%" in dot
    True
    """
    meta = graph.get("meta") or {}
    date = model.norm_date(as_of) or model.norm_date(meta.get("as_of"))
    nodes: dict[str, Mapping[str, Any]] = {}
    for n in graph.get("nodes") or []:
        if isinstance(n, Mapping) and n.get("id") not in (None, "") and str(n["id"]) not in nodes:
            nodes[str(n["id"])] = n
    edges = [e for e in graph.get("edges") or []
             if isinstance(e, Mapping) and str(e.get("source")) in nodes
             and str(e.get("target")) in nodes]
    focus = model.focus_id(graph)
    sizes = model.node_sizes(nodes.values())
    ids = {nid: f"n{i}" for i, nid in enumerate(nodes)}

    head = [f"<B>{_h(title)}</B>"]
    sub = []
    if focus in nodes:
        sub.append("focus: " + _h(model.display_name(nodes[focus])))
    if date:
        sub.append("as of " + _h(date))
    if meta.get("truncated"):
        sub.append("truncated: " + _h(meta["truncated"]))
    if sub:
        head.append(f'<FONT POINT-SIZE="10" COLOR="#616e7c">{" · ".join(sub)}</FONT>')

    out = [
        "digraph kg {",
        f'  graph [rankdir=TB, charset="UTF-8", fontname={_q(FONT)}, fontsize=16, '
        f'label=<{"<BR/>".join(head)}>, labelloc=t, labeljust=l, nodesep=0.3, ranksep=0.55, '
        'bgcolor="white", pad=0.25, newrank=true];',
        f'  node [fontname={_q(FONT)}, fontsize=11, style="filled", penwidth=1.2, margin="0.12,0.05"];',
        f'  edge [fontname={_q(FONT)}, fontsize=10, arrowsize=0.7];',
    ]

    present_types: list[str] = []
    state_kinds: set[str] = set()
    all_badges: dict[str, str] = {}
    for nid, n in nodes.items():
        ptype = model.primary_type(n.get("types"))
        if ptype not in present_types:
            present_types.append(ptype)
        style = model.TYPE_STYLES[ptype]
        name = model.display_name(n)
        name_zh = str(n.get("name_zh") or "")
        lines = [f"<B>{_h(name)}</B>" if nid == focus else _h(name)]
        if name_zh and name_zh != name:
            lines.append(_h(name_zh))
        badges = model.node_badges(n, edges, nodes)
        for b in badges:
            all_badges.setdefault(b["code"], b["name"])
        if badges:
            lines.append(f'<FONT POINT-SIZE="9" COLOR="#7a5200">★ {_h(_badge_text(badges))}</FONT>')
        attrs = {
            "label": f"<{'<BR/>'.join(lines)}>",
            "shape": style["dot"],
            "fillcolor": _q(_tint(style["colour"])),
            "color": _q(style["colour"]),
            "tooltip": _q(nid),
            "width": f"{max(0.75, sizes[nid] / 50):.2f}",
        }
        if style["dot"] == "box":
            attrs["style"] = '"rounded,filled"' if ptype != "Bank" else '"filled"'
        share = n.get("state_share")
        if n.get("state_controlled"):
            attrs["color"] = _q(model.STATE_COLOUR)
            attrs["penwidth"] = "3.2"
            state_kinds.add("controlled")
        elif isinstance(share, (int, float)) and not isinstance(share, bool) \
                and math.isfinite(share) and share > 0:
            attrs["color"] = _q(model.STATE_COLOUR)
            attrs["penwidth"] = "2"
            attrs["style"] = '"dashed,filled' + (',rounded"' if style["dot"] == "box" else '"')
            state_kinds.add("minority")
        if nid == focus:
            attrs["peripheries"] = "2"
            attrs["fillcolor"] = _q("#fff3a0")
        out.append(f"  {ids[nid]} [" + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];")

    present_edges: list[str] = []
    for e in edges:
        etype = str(e.get("type") or "OTHER")
        key = etype if etype in model.EDGE_STYLES else "OTHER"
        if key not in present_edges:
            present_edges.append(key)
        style = model.EDGE_STYLES[key]
        label = model.edge_label(e)
        start = model.norm_date(e.get("start"))
        end = model.norm_date(e.get("end"), end=True)
        colour = style["colour"]
        line = "dotted" if e.get("derived") and style["line"] == "solid" else style["line"]
        if not model.is_valid_at(start, end, date):
            colour, line = "#b0b0b0", "dashed"
            label = (label + " " if label else "") + (f"(ended {end})" if end and date and end < date
                                                      else f"(from {start})")
        attrs = {
            "color": _q(colour), "fontcolor": _q(colour), "style": line,
            "weight": str(max(int(style["weight"]), 0)),
            "tooltip": _q(f"{etype} {e.get('id') or ''}".strip()),
        }
        if label:
            attrs["label"] = f"<{_h(label)}>"
        if etype == "OWNS" and isinstance(e.get("share"), (int, float)):
            attrs["penwidth"] = f"{1 + 2.5 * min(max(float(e['share']), 0.0), 1.0):.2f}"
        if style["weight"] == 0:
            attrs["constraint"] = "false" if etype == "ULTIMATELY_OWNS" else "true"
        out.append(f"  {ids[str(e['source'])]} -> {ids[str(e['target'])]} ["
                   + ", ".join(f"{k}={v}" for k, v in attrs.items()) + "];")

    if legend and nodes:
        left: list[str] = []   # node kinds: pairs of <TD> cells
        right: list[str] = []  # badges and link kinds
        for t in present_types:
            s = model.TYPE_STYLES[t]
            left.append(f'<TD BGCOLOR="{_tint(s["colour"])}" BORDER="1" COLOR="{s["colour"]}" '
                        f'WIDTH="16"> </TD><TD ALIGN="LEFT">{_h(s["legend"])}</TD>')
        if "controlled" in state_kinds:
            left.append(f'<TD BORDER="3" COLOR="{model.STATE_COLOUR}"> </TD>'
                        '<TD ALIGN="LEFT">state-controlled</TD>')
        if "minority" in state_kinds:
            left.append(f'<TD BORDER="1" COLOR="{model.STATE_COLOUR}"> </TD>'
                        '<TD ALIGN="LEFT">state minority share (dashed)</TD>')
        if focus in nodes:
            left.append('<TD BGCOLOR="#fff3a0" BORDER="1"> </TD><TD ALIGN="LEFT">focus</TD>')
        for code, desc in sorted(all_badges.items()):
            right.append(f'<TD><FONT COLOR="#7a5200">★ {_h(code)}</FONT></TD>'
                         f'<TD ALIGN="LEFT">{_h(desc)}</TD>')
        for k in present_edges:
            s = model.EDGE_STYLES[k]
            dash = {"solid": "───", "dashed": "- - -", "dotted": "·····"}[s["line"]]
            right.append(f'<TD><FONT COLOR="{s["colour"]}">{dash}</FONT></TD>'
                         f'<TD ALIGN="LEFT"><FONT COLOR="{s["colour"]}">{_h(s["legend"])}</FONT></TD>')
        blank = "<TD> </TD><TD> </TD>"
        rows = ['<TR><TD COLSPAN="5" ALIGN="LEFT"><B>Legend</B></TD></TR>']
        for i in range(max(len(left), len(right))):
            rows.append("<TR>" + (left[i] if i < len(left) else blank) + '<TD WIDTH="12"> </TD>'
                        + (right[i] if i < len(right) else blank) + "</TR>")
        out.append('  legend [shape=plain, style="", fontsize=9, label=<<TABLE BORDER="1" '
                   'COLOR="#d9dee4" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
                   + "".join(rows) + "</TABLE>>];")
        # Invisible links from the bottom nodes keep the legend under the diagram.
        has_out = {str(e["source"]) for e in edges}
        for nid in nodes:
            if nid not in has_out:
                out.append(f"  {ids[nid]} -> legend [style=invis, weight=0];")
    out.append("}")
    return "\n".join(out) + "\n"


def render_static(graph: Mapping[str, Any], fmt: Literal["svg", "png"], *, title: str,
                  as_of: str | None = None, dot_binary: str | None = None) -> bytes:
    """A static diagram of the subgraph as SVG or PNG bytes, laid out by Graphviz ``dot``.

    Raises GraphvizNotFound when ``dot`` is not installed.

    >>> g = {"nodes": [{"id": "a", "label": "A", "types": ["Firm"]}], "edges": []}
    >>> render_static(g, "svg", title="A").startswith(b"<?xml")
    True
    """
    if fmt not in ("svg", "png"):
        raise ValueError(f"format must be 'svg' or 'png', not {fmt!r}")
    dot = dot_binary or shutil.which("dot")
    if not dot:
        raise GraphvizNotFound()
    args = [dot, "-Tsvg"] if fmt == "svg" else [dot, "-Tpng", "-Gdpi=144"]
    try:
        proc = subprocess.run(args, input=to_dot(graph, title=title, as_of=as_of).encode("utf-8"),
                              capture_output=True, timeout=300, check=False)
    except FileNotFoundError as exc:
        raise GraphvizNotFound() from exc
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError("graphviz dot failed: "
                           + proc.stderr.decode("utf-8", "replace").strip()[:2000])
    return proc.stdout
