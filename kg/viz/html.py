"""Self-contained interactive HTML view of an ownership subgraph.

``render_html(graph, title=...)`` returns one HTML document with cytoscape.js, dagre and
cytoscape-dagre inlined from kg/viz/assets/ (pinned npm packages, see VERSIONS.txt there and
scripts/vendor-viz-assets) and the graph embedded as JSON. The page makes no network requests:
no CDN, no web fonts, no map tiles. The page template is kg/viz/template.html.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import json
import math
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from kg.viz import model

__all__ = ["render_html", "build_view", "json_for_script", "ASSET_SCRIPTS"]

# Inlined in this order (dependencies first).
ASSET_SCRIPTS = [
    ("cytoscape.min.js", "cytoscape.LICENSE"),
    ("dagre.min.js", "dagre.LICENSE"),
    ("cytoscape-dagre.js", "cytoscape-dagre.LICENSE"),
]
# dagre.min.js bundles these; their licences travel with it.
_BUNDLED_LICENCES = {"dagre.min.js": ["graphlib.LICENSE", "lodash.LICENSE"]}

_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


def _read_text(name: str) -> str:
    return resources.files("kg.viz").joinpath(name).read_text(encoding="utf-8")


@cache
def _versions() -> dict[str, str]:
    """asset file name -> "package version licence" from assets/VERSIONS.txt."""
    out: dict[str, str] = {}
    for line in _read_text("assets/VERSIONS.txt").splitlines():
        if line and not line.startswith("#"):
            name, version, licence, file, *_ = line.split("\t")
            out[file] = f"{name} {version} ({licence})"
    return out


@cache
def _vendor_scripts() -> str:
    parts = []
    versions = _versions()
    for js_name, licence_name in ASSET_SCRIPTS:
        js = _read_text(f"assets/{js_name}")
        lowered = js.lower()
        if "</script" in lowered or "<!--" in lowered:
            # Would end the inline <script> early; refuse rather than emit a broken page.
            raise ValueError(f"kg/viz/assets/{js_name} contains '</script' or '<!--'")
        licences = [licence_name, *_BUNDLED_LICENCES.get(js_name, [])]
        notice = "\n\n".join(
            f"{versions.get(lic, lic)}:\n{_read_text('assets/' + lic).strip()}" for lic in licences
        ).replace("*/", "* /")
        parts.append(
            f"<script>/*! {versions.get(js_name, js_name)}, inlined from kg/viz/assets/{js_name}\n"
            f"{notice}\n*/\n{js}\n</script>"
        )
    return "\n".join(parts)


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN/inf -> None, dates -> ISO text, numpy scalars -> Python."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    item = getattr(value, "item", None)  # numpy / pandas scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)


def json_for_script(value: Any) -> str:
    """JSON text safe inside ``<script type="application/json">``: ``<``, ``>``, ``&``,
    U+2028 and U+2029 are written as ``\\uXXXX`` escapes, so no value can close the element.

    >>> json_for_script({"name": "</script><script>alert(1)</script>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(_jsonable(value), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _money(value: Any, currency: Any = None) -> str | None:
    text = model.format_amount(value, currency)
    if not text:
        return None
    return f"{text} ({float(value):,.0f})" if abs(float(value)) >= 1e4 else text


def _node_facts(n: Mapping[str, Any], nid: str) -> list[list]:
    """[label, text, monospace?] rows for the details panel (empty values are dropped there)."""
    sc = n.get("state_controlled")
    return [
        ["IRI", nid, True],
        ["USCC", n.get("uscc"), True],
        ["Ticker", n.get("ticker"), False],
        ["Types", ", ".join(str(t) for t in n.get("types") or []), False],
        ["State-controlled", None if sc is None else ("yes" if sc else "no"), False],
        ["State share", model.format_share(n.get("state_share")), False],
        ["Revenue", _money(n.get("revenue")), False],
        ["Capital", _money(n.get("capital")), False],
    ]


def _edge_facts(e: Mapping[str, Any], etype: str) -> list[list]:
    start = model.norm_date(e.get("start"))
    end = model.norm_date(e.get("end"), end=True)
    return [
        ["Type", etype, False],
        ["Share", model.format_share(e.get("share")), False],
        ["Amount", _money(e.get("amount"), e.get("currency")), False],
        ["Instrument", e.get("instrument"), False],
        ["Valid from", start or "open", False],
        ["Valid to", end or "open", False],
        ["Derived", "yes" if e.get("derived") else "no", False],
        ["IRI", e.get("id"), True],
    ]


def build_view(graph: Mapping[str, Any], *, title: str, as_of: str | None = None) -> dict:
    """The data the page script draws: nodes and links with colours, sizes, labels, badges,
    plus the legend, date range and header information. The original node/link dicts are
    kept under "raw" for the details panel.

    >>> v = build_view({"nodes": [{"id": "a", "label": "A", "types": ["Firm"]}], "edges": []},
    ...                title="t")
    >>> v["nodes"][0]["colour"], v["counts"]
    ('#4e79a7', {'nodes': 1, 'edges': 0})
    """
    meta = dict(graph.get("meta") or {})
    warnings: list[str] = []
    raw_nodes = [n for n in graph.get("nodes") or [] if isinstance(n, Mapping)]
    nodes_by_id: dict[str, Mapping[str, Any]] = {}
    for n in raw_nodes:
        nid = str(n.get("id", ""))
        if not nid:
            warnings.append("a node without id was skipped")
        elif nid in nodes_by_id:
            warnings.append(f"duplicate node id skipped: {nid}")
        else:
            nodes_by_id[nid] = n

    raw_edges = []
    for e in graph.get("edges") or []:
        if not isinstance(e, Mapping):
            continue
        if str(e.get("source")) not in nodes_by_id or str(e.get("target")) not in nodes_by_id:
            warnings.append(f"link {e.get('id') or '?'} skipped: an end is not in the graph")
            continue
        raw_edges.append(e)

    focus = model.focus_id(graph)
    if focus not in nodes_by_id:
        focus = None
    sizes = model.node_sizes(nodes_by_id.values())

    nodes = []
    type_counts: dict[str, int] = {}
    for nid, n in nodes_by_id.items():
        ptype = model.primary_type(n.get("types"))
        type_counts[ptype] = type_counts.get(ptype, 0) + 1
        style = model.TYPE_STYLES[ptype]
        share = n.get("state_share")
        state = "controlled" if n.get("state_controlled") else (
            "minority" if isinstance(share, (int, float)) and not isinstance(share, bool)
            and math.isfinite(share) and share > 0 else None)
        name = model.display_name(n)
        name_zh = str(n.get("name_zh") or "")
        search = " ".join(str(x) for x in (name, name_zh, nid, n.get("uscc") or "",
                                           n.get("ticker") or "") if x).lower()
        nodes.append({
            "id": nid, "name": name, "name_zh": name_zh if name_zh != name else "",
            "ptype": ptype, "types": [str(t) for t in n.get("types") or []],
            "colour": style["colour"], "shape": style["shape"], "size": sizes[nid],
            "state": state, "focus": nid == focus,
            "badges": model.node_badges(n, raw_edges, nodes_by_id),
            "search": search, "facts": _node_facts(n, nid), "raw": n,
        })

    edges = []
    edge_counts: dict[str, int] = {}
    for i, e in enumerate(raw_edges):
        etype = str(e.get("type") or "OTHER")
        key = etype if etype in model.EDGE_STYLES else "OTHER"
        edge_counts[key] = edge_counts.get(key, 0) + 1
        style = model.EDGE_STYLES[key]
        derived = bool(e.get("derived"))
        edges.append({
            "cid": f"__link_{i}", "id": str(e.get("id") or f"link-{i}"),
            "source": str(e["source"]), "target": str(e["target"]), "etype": etype,
            "label": model.edge_label(e), "colour": style["colour"],
            "line": "dotted" if derived and style["line"] == "solid" else style["line"],
            "weight": style["weight"], "derived": derived,
            "width": 1.5 + 3.5 * min(max(float(e.get("share") or 0), 0.0), 1.0)
            if etype == "OWNS" and isinstance(e.get("share"), (int, float)) else 1.6,
            "start": model.norm_date(e.get("start")),
            "end": model.norm_date(e.get("end"), end=True),
            "facts": _edge_facts(e, etype),
            "raw": e,
        })

    lo, hi = model.date_bounds({"nodes": list(nodes_by_id.values()), "edges": raw_edges})
    default_date = model.norm_date(as_of) or model.norm_date(meta.get("as_of"))
    legend_types = [
        {"type": t, "label": s["legend"], "colour": s["colour"], "shape": s["shape"],
         "count": type_counts[t]}
        for t, s in model.TYPE_STYLES.items() if t in type_counts
    ]
    legend_edges = [
        {"type": t, "label": s["legend"], "colour": s["colour"], "line": s["line"],
         "count": edge_counts[t]}
        for t, s in model.EDGE_STYLES.items() if t in edge_counts
    ]
    badge_legend = {}
    for n in nodes:
        for b in n["badges"]:
            badge_legend.setdefault(b["code"], b["name"])
    return {
        "title": title,
        "meta": meta,
        "focus": focus,
        "focus_name": model.display_name(nodes_by_id[focus]) if focus else None,
        "date": {"min": lo, "max": hi, "default": default_date},
        "nodes": nodes,
        "edges": edges,
        "counts": {"nodes": len(nodes), "edges": len(edges)},
        "legend": {
            "types": legend_types, "edges": legend_edges,
            "badges": [{"code": k, "label": v} for k, v in sorted(badge_legend.items())],
            "state": {"colour": model.STATE_COLOUR,
                      "controlled": any(n["state"] == "controlled" for n in nodes),
                      "minority": any(n["state"] == "minority" for n in nodes)},
            "focus": model.FOCUS_COLOUR,
        },
        "warnings": warnings,
    }


def render_html(graph: Mapping[str, Any], *, title: str, as_of: str | None = None) -> str:
    """One self-contained HTML page (scripts and styles inlined, no network) for a subgraph.

    ``as_of`` (ISO date) sets the date slider's starting value; default ``meta.as_of``,
    else the viewer's today. Links not valid at the slider's date are hidden.

    >>> page = render_html({"nodes": [{"id": "a", "label": "A", "types": ["Firm"]}],
    ...                     "edges": [], "meta": {"focus": "a"}}, title="A")
    >>> page.startswith("<!DOCTYPE html>") and "cytoscape" in page
    True
    """
    view = build_view(graph, title=title, as_of=as_of)
    values = {
        "TITLE": _html.escape(title, quote=True),
        "VENDOR_SCRIPTS": _vendor_scripts(),
        "GRAPH_JSON": json_for_script(view),
    }
    # One pass, so text substituted in (the graph data) is never scanned for placeholders.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _read_text("template.html"))
