"""What is in the graph: entities by node type, links by kind, quads per named graph.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.resources import resource_path
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([resource_path("data", "sample")], db)
>>> rows = graph_stats(open_store(db))
>>> [r for r in rows if r[:2] == ["type", "Exchange"]]
[['type', 'Exchange', 5]]
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.ontology import KG, model
from kg.rdf.nquads import type_stated


def _pointer(class_iri: str) -> str | None:
    """The link predicate whose rdfs:range is the class (kg:reported for kg:FinancialYear)."""
    import rdflib

    from kg.ontology import graph

    preds = {lk.predicate for lk in model().links.values()}
    return next((str(p) for p in graph().subjects(rdflib.RDFS.range, rdflib.URIRef(class_iri)) if str(p) in preds), None)


def _count(store: ox.Store, query: str) -> int:
    return int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)


def graph_stats(store: ox.Store) -> list[list]:
    """Rows (kind, name, count): kind is type, link, graph or total."""
    m = model()
    rows: list[list] = []
    counts = {
        s["t"].value.removeprefix(KG): int(s["n"].value)
        for s in store.query(
            "SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?t } GROUP BY ?t",
            use_default_graph_as_union=True,
        )
    }
    for name in m.node_types:
        if name not in counts and not type_stated(KG + name):  # counted by the property pointing at it
            pointer = _pointer(KG + name)
            counts[name] = _count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?a <{pointer}> ?s }}") if pointer else 0
        rows.append(["type", name, counts.get(name, 0)])
    for rel, link in m.links.items():
        if link.qualified_class and type_stated(KG + link.qualified_class):
            n = counts.get(link.qualified_class, 0)
        elif link.qualified_class:  # a link node without its type: the subjects of its source role
            n = _count(store, f"SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE {{ ?l <{KG}{link.source_role}> ?a }}")
        else:
            n = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{link.predicate}> ?b }}")
        rows.append(["link", rel, n])
    for s in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"):
        rows.append(["graph", s["g"].value, int(s["n"].value)])
    rows.append(["total", "quads", len(store)])
    return rows
