"""Exports of a subgraph, one module per format (like followthemoney's ``export/``).

``render(sub, "graphml")`` returns the bytes of a one-file format; ``export_subgraph(sub,
"csv", DIR)`` writes a folder format; ``export_whole(db, "neo4j-import", DIR)`` writes the
whole graph of a database folder from its graph tables (kg.neo4j.bulk_csv). :data:`FORMATS` lists them all, which is what ``kg export
--format`` offers.

>>> sorted(FORMATS)[:4]
['bods', 'csv', 'cypher', 'ftm']
>>> FORMATS["csv"].folder, FORMATS["neo4j-import"].whole
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from kg.subgraph import Subgraph


@dataclass(frozen=True)
class Format:
    """An export format: its module, whether it writes a folder or the whole graph."""

    name: str
    module: str
    description: str
    suffix: str = ""
    folder: bool = False
    whole: bool = False


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("graphml", "kg.export.graphml", "GraphML, typed attributes (Gephi, yEd, networkx, igraph)", ".graphml"),
    Format("gexf", "kg.export.gexf", "GEXF 1.3, dynamic: links carry start/end for Gephi's timeline", ".gexf"),
    Format("ttl", "kg.export.rdf", "Turtle: the stored RDF of the nodes and links", ".ttl"),
    Format("nt", "kg.export.rdf", "N-Triples", ".nt"),
    Format("nq", "kg.export.rdf", "N-Quads, each statement in its source's named graph", ".nq"),
    Format("jsonld", "kg.export.rdf", "JSON-LD with an inline @context from the ontology", ".jsonld"),
    Format("json", "kg.export.graph", "the graph dict kg viz draws (nodes, edges, meta)", ".json"),
    Format("csv", "kg.export.csvfiles", "nodes.csv + edges.csv in a folder", "", folder=True),
    Format("cypher", "kg.export.cypher", "Cypher script (MERGE, labels from the ontology)", ".cypher"),
    Format("bods", "kg.export.bods", "Beneficial Ownership Data Standard 0.4 statements (JSON)", ".json"),
    Format("ftm", "kg.export.ftm", "FollowTheMoney entities (JSON lines)", ".ftm.json"),
    Format("neo4j-import", "kg.neo4j.bulk_csv", "the whole graph as neo4j-admin import CSVs", "", folder=True, whole=True),
)}


def render(sub: Subgraph, fmt: str) -> bytes:
    """The bytes of a subgraph in a one-file format.

    >>> from kg.subgraph import Subgraph
    >>> render(Subgraph.example(), "ftm").count(b"\\n")
    3
    """
    spec = FORMATS[fmt]
    if spec.folder:
        raise ValueError(f"{fmt} writes a folder; use export_subgraph")
    mod = import_module(spec.module)
    if spec.module == "kg.export.rdf":
        return mod.render(sub, fmt)
    if fmt == "json":
        import json

        return (json.dumps(mod.graph_dict(sub), ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return mod.render(sub)


def export_subgraph(sub: Subgraph, fmt: str, out: Path) -> dict[str, int]:
    """Write a subgraph in a folder format (csv); return what was written (file -> rows).

    >>> import tempfile
    >>> from kg.subgraph import Subgraph
    >>> export_subgraph(Subgraph.example(), "csv", Path(tempfile.mkdtemp()))
    {'nodes.csv': 2, 'edges.csv': 1}
    """
    spec = FORMATS[fmt]
    if not spec.folder or spec.whole:
        raise ValueError(f"{fmt} is not a folder format for a subgraph")
    return import_module(spec.module).write_dir(sub, out)


def export_whole(db: Path, fmt: str, out: Path | str) -> dict:
    """Write the whole live graph of the database folder ``db`` in a format that takes no
    selection (neo4j-import), read from its graph tables (kg.tables).

    >>> import tempfile
    >>> from kg.build import build
    >>> from kg.resources import resource_path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = build([resource_path("tests", "fixtures", "mini")], tmp / "db", derive=False)
    >>> export_whole(tmp / "db", "neo4j-import", tmp / "out")["nodes"]
    20
    """
    spec = FORMATS[fmt]
    if not spec.whole:
        raise ValueError(f"{fmt} exports a subgraph")
    try:
        mod = import_module(spec.module)
    except ImportError as e:  # pragma: no cover - shipped with kg
        from kg.errors import KgError

        raise KgError(f"{fmt} export not available ({e})") from None
    return mod.write_import_dir(db, Path(out))
