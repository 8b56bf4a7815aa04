"""RDF exports of a subgraph (``--format ttl|nt|nq|jsonld``), taken from the store as stored.

The quads are those of the selected nodes (types, properties, derived properties, the row of
each source file that describes them: ``kg:sourceRow``), of the selected links (the qualified
node, e.g. a ``kg:Ownership`` with ``kg:owner``, ``kg:owned``, its properties and its row) and
of the financial years the subgraph holds (every year of the focus entity, the latest of each
other firm, up to the as-of year, with the firm's ``kg:reported``), and the description of each
source file's graph they are in (``kg:source``, ``kg:sourceFile``) and of how each kind of
derived fact among them was computed (``kg:method`` on its class). Links the selection left out
(other neighbours, links not valid as of the date) are not written, so the file describes the
same nodes and links as every other export of the selection.

* ``nq``: N-Quads with each quad in its named graph (``id/graph/source/<dataset>/<file>``,
  ``id/graph/derived``, ``id/graph/reference``), so the provenance of every statement stays;
* ``nt``: N-Triples (the union of the graphs), ``ttl``: Turtle with prefixes and a header
  comment naming the selection;
* ``jsonld``: JSON-LD 1.1 with an inline ``@context`` made from the ontology: one term per
  class (``Firm``) and property (``share`` typed ``xsd:decimal``, ``owns`` an ``@id``), so a
  node reads ``{"@id": ..., "@type": "Firm", "name": ..., "owns": ...}``.

>>> import tempfile, pathlib, pyoxigraph as ox
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> from kg.subgraph import Selection, around
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> sub = around(open_store(db), "sub", Selection(hops=1, links=("OWNS",)))
>>> triples = list(ox.parse(render(sub, "ttl"), format=ox.RdfFormat.TURTLE))
>>> sum(1 for t in triples if t.predicate.value.endswith("#owner"))
1
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

import pyoxigraph as ox

from kg.ontology import KG, RDF_TYPE, XSD, model
from kg.rdf.nquads import row_in_iri, row_iri
from kg.subgraph import Subgraph

FORMATS = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nq": ox.RdfFormat.N_QUADS}
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PREFIXES = {"kg": KG, "xsd": XSD, "rdf": RDF, "rdfs": RDFS}


def subgraph_quads(sub: Subgraph) -> list[ox.Quad]:
    """The quads describing the subgraph, in a stable order (see the module docstring).

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> from kg.subgraph import Selection, select
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
    >>> s = open_store(db)
    >>> sub = select(s, "https://w3id.org/accelerator-kg/id/entity/sasac", Selection(hops=0))
    >>> {q.predicate.value.rsplit("#", 1)[-1] for q in subgraph_quads(sub)} >= {"name", "sourceRow", "sourceFile"}
    True
    """
    m = model()
    store = sub.store
    quads = list(sub.quads)  # nodes, qualified link nodes, financial years, their graphs' descriptions
    if len(sub.financials):  # the REPORTED triples of the years the subgraph holds
        reported = ox.NamedNode(m.link("REPORTED").predicate)
        for firm, fy, row in zip(sub.financials["firm"], sub.financials["iri"], sub.financials["source_row"], strict=True):
            fy = row_iri(fy, row) if row_in_iri(KG + "FinancialYear") else fy  # the store's name of the year
            quads.extend(store.quads_for_pattern(ox.NamedNode(firm), reported, ox.NamedNode(fy), None))
    return list(dict.fromkeys(quads))


def _triples(quads: Iterable[ox.Quad]) -> list[ox.Triple]:
    seen = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object) for q in quads)
    return list(seen)


def render(sub: Subgraph, fmt: str) -> bytes:
    """The subgraph's RDF as ``ttl``, ``nt``, ``nq`` or ``jsonld`` bytes.

    >>> render(Subgraph.example(), "nt")  # the example has no store behind it: no statements
    b''
    """
    quads = subgraph_quads(sub)
    if fmt == "nq":
        return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    if fmt == "nt":
        return ox.serialize(_triples(quads), format=ox.RdfFormat.N_TRIPLES)
    if fmt == "ttl":
        header = "".join(f"# {line}\n" for line in _header(sub))
        body = ox.serialize(_triples(quads), format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        return header.encode("utf-8") + body
    if fmt == "jsonld":
        return (json.dumps(jsonld(quads), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    raise ValueError(f"unknown RDF format {fmt!r}; expected ttl, nt, nq or jsonld")


def _header(sub: Subgraph) -> list[str]:
    m = sub.meta()
    focus = ", ".join(f"{sub.display_name(f)} <{f}>" for f in sub.focus)
    lines = [f"accelerator-kg subgraph around {focus}",
             f"hops {m['hops']}, direction {m['direction']}, links {', '.join(m['links'])}"
             + (f", as of {m['as_of']}" if m["as_of"] else "")
             + (f", min share {m['min_share']}" if m["min_share"] is not None else "")
             + f": {m['node_count']} nodes, {m['link_count']} links"]
    if m["truncated"]:
        lines.append(m["truncated"])
    return lines


@cache
def context() -> dict[str, Any]:
    """The JSON-LD ``@context``: prefixes, one term per ontology class and property.

    >>> c = context()
    >>> c["share"], c["owns"], c["Firm"]
    ({'@id': 'kg:share', '@type': 'xsd:decimal'}, {'@id': 'kg:owns', '@type': '@id'}, 'kg:Firm')
    """
    import rdflib
    from rdflib.namespace import OWL

    g = __import__("kg.ontology", fromlist=["graph"]).graph()
    ctx: dict[str, Any] = {"kg": KG, "xsd": XSD, "rdf": RDF, "rdfs": RDFS}
    for c in sorted(model().classes):
        ctx[c] = f"kg:{c}"
    for p in sorted(model().properties.values(), key=lambda p: p.local):
        term: dict[str, Any] = {"@id": f"kg:{p.local}"}
        if p.datatype == RDF + "langString":
            term["@language"] = "zh"
        elif p.datatype != XSD + "string":
            term["@type"] = p.datatype.replace(XSD, "xsd:")
        ctx[p.local] = term
    for s in sorted(g.subjects(rdflib.RDF.type, OWL.ObjectProperty), key=str):
        if str(s).startswith(KG):
            ctx[str(s).removeprefix(KG)] = {"@id": f"kg:{str(s).removeprefix(KG)}", "@type": "@id"}
    return ctx


def _term_for(pred: str, ctx: dict[str, Any]) -> str:
    local = pred.removeprefix(KG)
    if pred.startswith(KG) and local in ctx and isinstance(ctx[local], dict):
        return local
    return pred


def jsonld(quads: Iterable[ox.Quad]) -> dict[str, Any]:
    """A JSON-LD document (``@context`` + flat ``@graph``) of the quads' triples.

    >>> q = ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode(KG + "share"),
    ...             ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")), ox.DefaultGraph())
    >>> jsonld([q])["@graph"]
    [{'@id': 'http://e/a', 'share': '0.5'}]
    """
    ctx = context()
    nodes: dict[str, dict[str, Any]] = {}
    for t in _triples(quads):
        s = t.subject.value
        node = nodes.setdefault(s, {"@id": s})
        p = t.predicate.value
        if p == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            local = t.object.value.removeprefix(KG)
            val: Any = local if t.object.value.startswith(KG) and local in ctx else t.object.value
            node.setdefault("@type", []).append(val)
            continue
        key = _term_for(p, ctx)
        term = ctx.get(key) if key != p else None
        o = t.object
        if isinstance(o, ox.NamedNode):
            val = o.value if term and term.get("@type") == "@id" else {"@id": o.value}
        elif isinstance(o, ox.Literal):
            dt = o.datatype.value if o.datatype is not None else XSD + "string"
            if o.language:
                val = o.value if term and term.get("@language") == o.language else {"@value": o.value, "@language": o.language}
            elif term and term.get("@type", "").replace("xsd:", XSD) == dt:
                val = o.value
            elif dt == XSD + "string" and term and "@type" not in term and "@language" not in term:
                val = o.value
            else:
                val = {"@value": o.value, "@type": dt}
        else:  # blank nodes are not written by kg
            val = {"@id": str(o)}
        node.setdefault(key, []).append(val)
    graph = []
    for s in sorted(nodes):
        node = nodes[s]
        out = {"@id": node.pop("@id")}
        for k in sorted(node, key=lambda k: (k != "@type", k)):
            vals = node[k]
            out[k] = vals[0] if len(vals) == 1 else sorted(vals, key=lambda v: json.dumps(v, sort_keys=True))
        graph.append(out)
    return {"@context": ctx, "@graph": graph}
