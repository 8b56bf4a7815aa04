"""Display model shared by the HTML view (kg.viz.html) and static diagrams (kg.viz.static).

Takes the graph dict produced by the subgraph selection (``{"nodes": [...], "edges": [...],
"meta": {...}}``, see kg/viz/__init__.py) and works out what to draw: primary type and colour,
node size, certification badges, state-control marks and edge labels ("60%", "5000万 CNY").
Both renderers use these functions so the interactive page and the report diagram agree.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "TYPE_STYLES",
    "TYPE_PRIORITY",
    "EDGE_STYLES",
    "STATE_COLOUR",
    "FOCUS_COLOUR",
    "primary_type",
    "format_share",
    "format_amount",
    "edge_label",
    "node_badges",
    "badge_for",
    "node_sizes",
    "norm_date",
    "is_valid_at",
    "date_bounds",
    "focus_id",
    "display_name",
]

# type -> colour, cytoscape shape, graphviz shape, legend text
TYPE_STYLES: dict[str, dict[str, str]] = {
    "Firm": {"colour": "#4e79a7", "shape": "ellipse", "dot": "box", "legend": "Firm"},
    "Bank": {"colour": "#f28e2b", "shape": "round-rectangle", "dot": "box", "legend": "Bank"},
    "Fund": {"colour": "#59a14f", "shape": "diamond", "dot": "octagon", "legend": "Fund"},
    "GuidanceFund": {"colour": "#76b7b2", "shape": "round-diamond", "dot": "octagon",
                     "legend": "Guidance fund"},
    "GovernmentBody": {"colour": "#b07aa1", "shape": "round-hexagon", "dot": "hexagon",
                       "legend": "Government body"},
    "Person": {"colour": "#edc948", "shape": "ellipse", "dot": "ellipse", "legend": "Person"},
    "Exchange": {"colour": "#9c755f", "shape": "round-rectangle", "dot": "cylinder",
                 "legend": "Exchange"},
    "Programme": {"colour": "#bab0ac", "shape": "star", "dot": "note", "legend": "Programme"},
    "Other": {"colour": "#d0d0d0", "shape": "ellipse", "dot": "box", "legend": "Other"},
}

# When a node has several types, the first of these it has is its primary type
# (a guidance fund is also a fund; a bank is also a firm).
TYPE_PRIORITY = ["GuidanceFund", "Fund", "Bank", "Exchange", "GovernmentBody", "Programme",
                 "Person", "Firm"]

# edge type -> colour, line style, whether it constrains the layered layout, legend text
EDGE_STYLES: dict[str, dict[str, Any]] = {
    "OWNS": {"colour": "#4a4a4a", "line": "solid", "weight": 4, "legend": "owns (share)"},
    "FUNDED": {"colour": "#2e8b57", "line": "dashed", "weight": 1,
               "legend": "funded (amount)"},
    "CONTROLS": {"colour": "#7b3294", "line": "solid", "weight": 2, "legend": "controls"},
    "ULTIMATELY_OWNS": {"colour": "#9a9a9a", "line": "dotted", "weight": 0,
                        "legend": "ultimately owns (derived)"},
    "CERTIFIED_AS": {"colour": "#b8860b", "line": "dotted", "weight": 0,
                     "legend": "certified as"},
    "LISTED_ON": {"colour": "#9c755f", "line": "dotted", "weight": 0, "legend": "listed on"},
    "OTHER": {"colour": "#888888", "line": "solid", "weight": 1, "legend": "other link"},
}

STATE_COLOUR = "#d62728"
FOCUS_COLOUR = "#ffd400"

# programme key -> (badge, description); matched loosely by badge_for()
BADGES: dict[str, tuple[str, str]] = {
    "little_giant": ("LG", "Little Giant (专精特新“小巨人”)"),
    "manufacturing_champion": ("MC", "Manufacturing single champion (制造业单项冠军)"),
    "specialized": ("SS", "Specialized & sophisticated SME (专精特新中小企业)"),
    "innovative": ("IS", "Innovative SME (创新型中小企业)"),
}


def _local(t: Any) -> str:
    s = str(t)
    return re.split(r"[#/:]", s)[-1] or s


def primary_type(types: Iterable[Any] | None) -> str:
    """The type a node is coloured by: the most specific known type, else "Other".

    >>> primary_type(["Firm", "GuidanceFund", "Fund"])
    'GuidanceFund'
    >>> primary_type(["https://w3id.org/accelerator-kg/ontology#Bank"])
    'Bank'
    """
    local = {_local(t) for t in (types or [])}
    for t in TYPE_PRIORITY:
        if t in local:
            return t
    return "Other"


def _trim(x: float, digits: int = 2) -> str:
    s = f"{x:.{digits}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def format_share(share: Any) -> str:
    """A share as a percentage label; fractions 0..1 (values above 1 are taken as percent).

    >>> format_share(0.6), format_share(0.1234), format_share(None)
    ('60%', '12.34%', '')
    """
    f = _num(share)
    if f is None:
        return ""
    pct = f * 100 if abs(f) <= 1 else f
    return _trim(pct) + "%"


def format_amount(amount: Any, currency: Any = None) -> str:
    """A money amount with Chinese magnitude units (万 = 1e4, 亿 = 1e8, 万亿 = 1e12).

    >>> format_amount(50_000_000, "CNY"), format_amount(1.5e8, "CNY"), format_amount(8000, None)
    ('5000万 CNY', '1.5亿 CNY', '8000')
    """
    f = _num(amount)
    if f is None:
        return ""
    a = abs(f)
    if a >= 1e12:
        s = _trim(f / 1e12) + "万亿"
    elif a >= 1e8:
        s = _trim(f / 1e8) + "亿"
    elif a >= 1e4:
        s = _trim(f / 1e4) + "万"
    else:
        s = _trim(f)
    return f"{s} {currency}" if currency else s


def edge_label(edge: Mapping[str, Any]) -> str:
    """The short text drawn on a link: share for ownership, amount for funding.

    >>> edge_label({"type": "OWNS", "share": 0.6})
    '60%'
    >>> edge_label({"type": "FUNDED", "amount": 5e7, "currency": "CNY"})
    '5000万 CNY'
    """
    etype = str(edge.get("type") or "")
    share = format_share(edge.get("share"))
    amount = format_amount(edge.get("amount"), edge.get("currency"))
    props = edge.get("props") or {}
    if etype == "FUNDED":
        return " · ".join(x for x in (amount, share) if x)
    if etype in ("OWNS", "ULTIMATELY_OWNS", "CONTROLS"):
        return share or amount
    if etype == "CERTIFIED_AS":
        year = props.get("year") or (norm_date(edge.get("start")) or "")[:4]
        batch = props.get("batch")
        return ", ".join(x for x in (str(year) if year else "", f"batch {batch}" if batch else "")
                         if x)
    if etype == "LISTED_ON":
        return str(props.get("ticker") or "")
    return share or amount


def badge_for(programme: Any) -> tuple[str, str]:
    """Badge code and description for a certification programme key or name.

    >>> badge_for("little_giant")[0], badge_for("制造业单项冠军")[0], badge_for("innovative_sme")[0]
    ('LG', 'MC', 'IS')
    """
    raw = str(programme or "")
    key = _local(raw).strip().lower().replace("-", "_").replace(" ", "_")
    if key in BADGES:
        return BADGES[key]
    if "little" in key or "giant" in key or "小巨人" in raw:
        return BADGES["little_giant"]
    if "champion" in key or "冠军" in raw:
        return BADGES["manufacturing_champion"]
    if "innovat" in key or "创新型" in raw:
        return BADGES["innovative"]
    if "special" in key or "专精特新" in raw:
        return BADGES["specialized"]
    words = [w for w in re.split(r"[_\W]+", key) if w]
    code = "".join(w[0] for w in words[:3]).upper() or "C"
    return code, raw or "certification"


def norm_date(value: Any, *, end: bool = False) -> str | None:
    """ISO date (YYYY-MM-DD) from a date, datetime or partial ISO string; None if unusable.

    Partial dates are widened: a start "2019" is 2019-01-01, an end "2019" is 2019-12-31.

    >>> norm_date("2019"), norm_date("2019", end=True), norm_date("2021-06-30T00:00:00Z")
    ('2019-01-01', '2019-12-31', '2021-06-30')
    """
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    s = str(value).strip()
    m = re.match(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", s)
    if not m:
        return None
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    if mo is None:
        return f"{y:04d}-12-31" if end else f"{y:04d}-01-01"
    mo_i = min(max(int(mo), 1), 12)
    if d is None:
        if end:
            nxt = _dt.date(y + (mo_i == 12), mo_i % 12 + 1, 1)
            return (nxt - _dt.timedelta(days=1)).isoformat()
        return f"{y:04d}-{mo_i:02d}-01"
    try:
        return _dt.date(y, mo_i, int(d)).isoformat()
    except ValueError:
        return None


def is_valid_at(start: str | None, end: str | None, date: str | None) -> bool:
    """Whether a link valid from `start` to `end` (inclusive, None = open) holds on `date`.

    >>> is_valid_at("2019-01-01", "2021-12-31", "2022-06-30"), is_valid_at(None, None, "2022-01-01")
    (False, True)
    """
    if date is None:
        return True
    return (start is None or start <= date) and (end is None or date <= end)


def display_name(node: Mapping[str, Any]) -> str:
    """The name to show for a node: label, else Chinese name, else the end of its IRI.

    >>> display_name({"id": "https://w3id.org/accelerator-kg/id/uscc/9132", "label": None})
    '9132'
    """
    for key in ("label", "name_zh"):
        v = node.get(key)
        if v not in (None, ""):
            return str(v)
    return _local(node.get("id", "")) or str(node.get("id", ""))


def node_badges(node: Mapping[str, Any], edges: Iterable[Mapping[str, Any]] = (),
                nodes_by_id: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Certification badges of a node, from its ``certifications`` and its CERTIFIED_AS links.

    >>> [b["code"] for b in node_badges({"id": "f", "certifications": [{"programme": "little_giant"}]})]
    ['LG']
    """
    out: list[dict[str, Any]] = []
    seen: set[tuple] = set()

    def add(programme, year, batch, valid_from, valid_to, via):
        code, desc = badge_for(programme)
        vf, vt = norm_date(valid_from), norm_date(valid_to, end=True)
        key = (code, vf, vt, year, batch)
        if key in seen:
            return
        seen.add(key)
        out.append({"code": code, "name": desc, "programme": str(programme or ""),
                    "year": year, "batch": batch, "from": vf, "to": vt, "via": via})

    for c in node.get("certifications") or []:
        if isinstance(c, Mapping):
            add(c.get("programme"), c.get("year"), c.get("batch"), c.get("valid_from"),
                c.get("valid_to"), "certifications")
    nodes_by_id = nodes_by_id or {}
    for e in edges:
        if e.get("type") != "CERTIFIED_AS" or e.get("source") != node.get("id"):
            continue
        props = e.get("props") or {}
        target = nodes_by_id.get(e.get("target")) or {}
        tprops = target.get("props") or {}
        programme = (props.get("programme") or tprops.get("programme")
                     or target.get("label") or target.get("name_zh") or e.get("target"))
        year = props.get("year") or (norm_date(e.get("start")) or "")[:4] or None
        add(programme, year, props.get("batch"), e.get("start"), e.get("end"), "CERTIFIED_AS")
    return out


def node_sizes(nodes: Iterable[Mapping[str, Any]], *, smallest: float = 34.0,
               largest: float = 80.0, unmeasured: float = 30.0) -> dict[str, float]:
    """Node diameters: log scale of revenue (else registered capital) between two sizes.

    >>> node_sizes([{"id": "a", "revenue": 1e6}, {"id": "b", "revenue": 1e9}, {"id": "c"}])
    {'a': 34.0, 'b': 80.0, 'c': 30.0}
    """
    nodes = list(nodes)
    logs: dict[str, float] = {}
    for n in nodes:
        v = _num(n.get("revenue"))
        if v is None or v <= 0:
            v = _num(n.get("capital"))
        if v is not None and v > 0:
            logs[str(n.get("id"))] = math.log10(v)
    lo = min(logs.values(), default=0.0)
    hi = max(logs.values(), default=0.0)
    out: dict[str, float] = {}
    for n in nodes:
        nid = str(n.get("id"))
        if nid not in logs:
            out[nid] = unmeasured
        elif hi - lo < 1e-9:
            out[nid] = round((smallest + largest) / 2, 1)
        else:
            out[nid] = round(smallest + (largest - smallest) * (logs[nid] - lo) / (hi - lo), 1)
    return out


def date_bounds(graph: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Earliest and latest date mentioned by links (start/end) and certifications.

    >>> date_bounds({"nodes": [], "edges": [{"start": "2019-01-01", "end": "2021"}]})
    ('2019-01-01', '2021-12-31')
    """
    dates: list[str] = []
    for e in graph.get("edges") or []:
        for key, end in (("start", False), ("end", True)):
            d = norm_date(e.get(key), end=end)
            if d:
                dates.append(d)
    for n in graph.get("nodes") or []:
        for c in n.get("certifications") or []:
            if isinstance(c, Mapping):
                for key, end in (("valid_from", False), ("valid_to", True)):
                    d = norm_date(c.get(key), end=end)
                    if d:
                        dates.append(d)
    if not dates:
        return None, None
    return min(dates), max(dates)


def focus_id(graph: Mapping[str, Any]) -> str | None:
    """The id of the focus node: meta.focus, else the first node flagged ``focus``.

    >>> focus_id({"nodes": [{"id": "a"}, {"id": "b", "focus": True}], "meta": {}})
    'b'
    """
    meta = graph.get("meta") or {}
    if meta.get("focus"):
        return str(meta["focus"])
    for n in graph.get("nodes") or []:
        if n.get("focus"):
            return str(n.get("id"))
    return None
