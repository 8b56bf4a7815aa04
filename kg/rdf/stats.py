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
        rows.append(["type", name, counts.get(name, 0)])
    for rel, link in m.links.items():
        if link.qualified_class:
            n = counts.get(link.qualified_class, 0)
        else:
            n = int(next(iter(store.query(
                f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{link.predicate}> ?b }}", use_default_graph_as_union=True
            )))["n"].value)
        rows.append(["link", rel, n])
    for s in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"):
        rows.append(["graph", s["g"].value, int(s["n"].value)])
    rows.append(["total", "quads", len(store)])
    return rows
