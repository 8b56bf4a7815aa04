"""GEXF 1.3 export (``--format gexf``): a dynamic graph for Gephi's timeline.

Written directly (networkx writes GEXF 1.2draft): ``xmlns="http://gexf.net/1.3"``, a
``<graph mode="dynamic" timeformat="date" timerepresentation="interval">``, typed attribute
declarations, nodes with ``label`` and ``viz:color`` (the colours of the HTML view), and edges
with the link IRI as ``id``, the relationship type as ``label`` and ``kind`` (GEXF 1.3's way to
keep parallel links of different types), the share as ``weight`` and the link's validity as
inclusive ``start``/``end`` dates: ownership start/end, funding date, certification
valid_from/valid_to, listing listed/delisted. A link without a start has no lower bound, one
without an end no upper bound, so Gephi's timeline shows each link only while it holds.

>>> import io, tempfile, pathlib, networkx as nx
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> from kg.subgraph import Selection, around
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> data = render(around(open_store(db), "sub", Selection(hops=1, links=("OWNS",))))
>>> g = nx.read_gexf(io.BytesIO(data), version="1.3")
>>> [(d["label"], d["start"]) for _, _, d in g.edges(data=True)]
[('OWNS', '2012-03-01')]
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

from kg.export.common import flat_edges, flat_nodes, xml_safe
from kg.subgraph import Subgraph

NS = "http://gexf.net/1.3"
NS_VIZ = "http://gexf.net/1.3/viz"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd"

_NODE_SKIP = ("iri", "label")
_EDGE_SKIP = ("id", "source", "target", "label", "weight", "start", "end")


def _attr_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return "boolean"
    if kinds <= {int} and kinds:
        return "long"
    if kinds <= {int, float} and kinds:
        return "double"
    return "string"


def _text(v: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "double":
        return repr(float(v))
    return xml_safe(str(v))


def _declare(graph: ET.Element, cls: str, records: list[dict[str, Any]], skip: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Declare the attributes of a class; returns column -> (attribute id, type)."""
    cols: dict[str, list[Any]] = {}
    for r in records:
        for k, v in r.items():
            if k not in skip:
                cols.setdefault(k, []).append(v)
    out: dict[str, tuple[str, str]] = {}
    if not cols:
        return out
    el = ET.SubElement(graph, f"{{{NS}}}attributes", {"class": cls})
    for i, (col, values) in enumerate(cols.items()):
        kind = _attr_type(values)
        aid = f"{cls[0]}{i}"
        ET.SubElement(el, f"{{{NS}}}attribute", {"id": aid, "title": col, "type": kind})
        out[col] = (aid, kind)
    return out


def _attvalues(parent: ET.Element, record: dict[str, Any], decl: dict[str, tuple[str, str]]) -> None:
    items = [(decl[k], v) for k, v in record.items() if k in decl]
    if not items:
        return
    av = ET.SubElement(parent, f"{{{NS}}}attvalues")
    for (aid, kind), v in items:
        ET.SubElement(av, f"{{{NS}}}attvalue", {"for": aid, "value": _text(v, kind)})


def _colour(node_type: str) -> tuple[int, int, int] | None:
    try:
        from kg.viz.model import TYPE_STYLES, primary_type
    except ImportError:  # the views are optional for an export
        return None
    style = TYPE_STYLES.get(primary_type([node_type]))
    if not style:
        return None
    c = style["colour"].lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def to_element(sub: Subgraph, *, generated: dt.date | None = None) -> ET.Element:
    """The GEXF document as an ElementTree element.

    >>> root = to_element(Subgraph.example())
    >>> [e.get("start") for e in root.iter(f"{{{NS}}}edge")]
    ['2019-01-01']
    """
    ET.register_namespace("", NS)
    ET.register_namespace("viz", NS_VIZ)
    ET.register_namespace("xsi", NS_XSI)
    root = ET.Element(f"{{{NS}}}gexf", {"version": "1.3", f"{{{NS_XSI}}}schemaLocation": SCHEMA_LOCATION})
    meta = ET.SubElement(root, f"{{{NS}}}meta",
                         {"lastmodifieddate": (generated or dt.date.today()).isoformat()})
    ET.SubElement(meta, f"{{{NS}}}creator").text = "accelerator-kg"
    m = sub.meta()
    focus = ", ".join(sub.display_name(f) for f in sub.focus)
    desc = (f"Subgraph around {focus}: {m['hops']} hop(s), direction {m['direction']}, links "
            f"{', '.join(m['links'])}" + (f", as of {m['as_of']}" if m["as_of"] else "")
            + (f", min share {m['min_share']}" if m["min_share"] is not None else "")
            + (f". {m['truncated']}" if m["truncated"] else ""))
    ET.SubElement(meta, f"{{{NS}}}description").text = xml_safe(desc)
    graph = ET.SubElement(root, f"{{{NS}}}graph", {"mode": "dynamic", "defaultedgetype": "directed",
                                                   "timeformat": "date", "timerepresentation": "interval"})
    nodes = flat_nodes(sub)
    edges = flat_edges(sub)
    ndecl = _declare(graph, "node", nodes, _NODE_SKIP)
    edecl = _declare(graph, "edge", edges, _EDGE_SKIP)
    nel = ET.SubElement(graph, f"{{{NS}}}nodes")
    for n in nodes:
        node = ET.SubElement(nel, f"{{{NS}}}node", {"id": n["iri"], "label": " ".join(xml_safe(n["label"]).split())})
        _attvalues(node, n, ndecl)
        rgb = _colour(n["type"])
        if rgb:
            ET.SubElement(node, f"{{{NS_VIZ}}}color", {"r": str(rgb[0]), "g": str(rgb[1]), "b": str(rgb[2])})
    eel = ET.SubElement(graph, f"{{{NS}}}edges")
    for e in edges:
        attrs = {"id": e["id"], "source": e["source"], "target": e["target"], "label": e["label"],
                 "kind": e["type"], "weight": repr(float(e["weight"]))}
        if e.get("start"):
            attrs["start"] = e["start"]
        if e.get("end"):
            attrs["end"] = e["end"]
        edge = ET.SubElement(eel, f"{{{NS}}}edge", attrs)
        _attvalues(edge, e, edecl)
    return root


def render(sub: Subgraph) -> bytes:
    """GEXF 1.3 bytes (UTF-8, indented).

    >>> b'xmlns="http://gexf.net/1.3"' in render(Subgraph.example())
    True
    """
    root = to_element(sub)
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
