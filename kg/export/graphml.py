"""GraphML export (``--format graphml``): typed node and edge attributes for Gephi, yEd,
networkx and igraph.

Node ids are the entities' IRIs; every attribute has its ontology type (``double`` shares and
amounts, ``int`` years and batches, ``boolean`` flags, dates as ISO text); ``label`` is the
display name (Gephi's node label), ``type`` the most specific label. Edges carry the link IRI
as their GraphML id, ``type``/``label`` (OWNS, FUNDED, ...), ``weight`` (the share, else 1),
``start``/``end`` and provenance (``dataset``, ``source_file``, ``source_row``, ``graph``).
Parallel links (the same pair reported by two sources) stay separate edges.

>>> import io, tempfile, pathlib, networkx as nx
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> from kg.subgraph import Selection, around
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> g = nx.read_graphml(io.BytesIO(render(around(open_store(db), "sub", Selection(hops=2, links=("OWNS",))))))
>>> sorted(d["share"] for _, _, d in g.edges(data=True))
[0.7, 1.0]
"""

from __future__ import annotations

import io

import networkx as nx

from kg.export.common import flat_edges, flat_nodes, xml_safe
from kg.subgraph import Subgraph


def to_networkx(sub: Subgraph) -> nx.MultiDiGraph:
    """The subgraph as a networkx MultiDiGraph (nodes keyed by IRI, edges by link IRI).

    >>> g = to_networkx(Subgraph.example())
    >>> g.number_of_nodes(), [d["share"] for _, _, d in g.edges(data=True)]
    (2, [0.6])
    """
    g = nx.MultiDiGraph()
    meta = sub.meta()
    for k, v in meta.items():
        if v is not None:
            g.graph[k] = xml_safe(v if isinstance(v, (str, int, float, bool)) else ";".join(map(str, v))
                                  if isinstance(v, list) else str(v))
    for n in flat_nodes(sub):
        g.add_node(n["iri"], **{k: xml_safe(v) for k, v in n.items() if k != "iri"})
    for e in flat_edges(sub):
        g.add_edge(e["source"], e["target"], key=e["id"],
                   **{k: xml_safe(v) for k, v in e.items() if k not in ("source", "target", "id")})
    return g


def render(sub: Subgraph) -> bytes:
    """GraphML bytes (UTF-8).

    >>> render(Subgraph.example()).startswith(b"<?xml")
    True
    """
    buf = io.BytesIO()
    nx.write_graphml(to_networkx(sub), buf, encoding="utf-8")
    return buf.getvalue()
