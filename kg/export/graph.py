"""The subgraph as the plain graph dict that kg.viz renders (and ``--format json`` writes).

Nodes carry their labels, names, state control, certifications, latest revenue and source rows;
edges their type, share / amount, validity interval and provenance; ``meta`` the focus, the
selection's parameters and what the limit cut. The layout is documented in kg/viz/__init__.py.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> from kg.subgraph import Selection, around
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> g = graph_dict(around(open_store(db), "sub", Selection(hops=1, links=("OWNS", "FUNDED"))))
>>> sorted(e["type"] for e in g["edges"]), g["meta"]["hops"]
(['FUNDED', 'FUNDED', 'OWNS'], 1)
"""

from __future__ import annotations

from typing import Any

from kg.export.common import (
    certifications,
    display_name,
    interval,
    is_derived,
    jsonable,
    latest_financials,
    link_provenance,
    missing,
    node_sources,
)
from kg.subgraph import Subgraph

_NODE_TOP = ("iri", "labels", "name", "name_zh", "uscc", "ticker", "state_controlled", "state_share", "focus")
_EDGE_TOP = ("iri", "from", "to", "share", "amount", "currency", "instrument", "source", "source_file",
             "source_row", "graph")


def node_dicts(sub: Subgraph) -> list[dict[str, Any]]:
    """The nodes of a subgraph as graph-dict nodes (see the module docstring).

    >>> n = node_dicts(Subgraph.example())[0]
    >>> n["label"], n["types"], n["revenue"], n["focus"], n["sources"][0]["file"]
    ('A Co.', ['Firm'], 150000000.0, True, 'entities.csv')
    """
    certs = certifications(sub)
    fin = latest_financials(sub)
    sources = node_sources(sub)
    out = []
    for r in sub.node_rows():
        iri = r["iri"]
        f = fin.get(iri, {})
        props = {k: jsonable(v) for k, v in r.items() if k not in _NODE_TOP}
        if f:
            props.update({f"latest_{k}": jsonable(v) for k, v in f.items() if k not in ("iri", "source", "source_file", "source_row")})
        out.append({
            "id": iri,
            "label": display_name(r),
            "name_zh": r.get("name_zh"),
            "types": list(r.get("labels", ())),
            "state_controlled": r.get("state_controlled"),
            "state_share": jsonable(r.get("state_share")),
            "certifications": certs.get(iri, []),
            "revenue": jsonable(f.get("revenue")),
            "capital": None,
            "uscc": r.get("uscc"),
            "ticker": r.get("ticker"),
            "focus": bool(r.get("focus")),
            "props": props,
            "sources": sources.get(iri, []),
        })
    return out


def edge_dicts(sub: Subgraph) -> list[dict[str, Any]]:
    """The links of a subgraph as graph-dict edges.

    >>> e = edge_dicts(Subgraph.example())[0]
    >>> e["type"], e["share"], e["start"], e["end"], e["derived"]
    ('OWNS', 0.6, '2019-01-01', None, False)
    """
    out = []
    for rel, r in sub.edges():
        start, end = interval(rel, r)
        out.append({
            "id": r["iri"], "source": r["from"], "target": r["to"], "type": rel,
            "share": jsonable(r.get("share")), "amount": jsonable(r.get("amount")),
            "currency": r.get("currency"), "instrument": r.get("instrument"),
            "start": start, "end": end, "derived": is_derived(rel),
            "props": {k: jsonable(v) for k, v in r.items() if k not in _EDGE_TOP and not missing(v)},
            "sources": [link_provenance(r)] if link_provenance(r) else [],
        })
    return out


def graph_dict(sub: Subgraph, *, generated: str | None = None) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [...], "meta": {...}}`` for kg.viz and JSON export.

    >>> graph_dict(Subgraph.example(), generated="2024-01-01T00:00:00Z")["meta"]["generated"]
    '2024-01-01T00:00:00Z'
    """
    from kg.export.common import generated_at

    meta = sub.meta()
    meta["generated"] = generated or generated_at()
    meta["found"] = sub.found
    return {"nodes": node_dicts(sub), "edges": edge_dicts(sub), "meta": jsonable(meta)}
