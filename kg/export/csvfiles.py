"""CSV export (``--format csv -o DIR``; not named csv.py, which would shadow the standard module): ``nodes.csv`` and ``edges.csv`` in a folder.

UTF-8, comma separated, one header row, ready for Gephi's spreadsheet import (nodes: ``id``,
``label``; edges: ``id``, ``source``, ``target``, ``label``, ``weight``), pandas or a
spreadsheet. The columns are fixed by the ontology (every node column, every column of the
selected link kinds), so two exports of different subgraphs line up.

* ``nodes.csv``: ``id`` (the IRI), ``label`` (display name), ``type`` (most specific label),
  ``labels`` (``;``-joined), the node columns (the sources' own id as ``local_id``), ``hop``,
  ``focus``, ``revenue``/``revenue_year`` (latest reported year), ``certifications`` and
  ``sources`` (dataset, file and row of every source row describing the node);
* ``edges.csv``: ``id`` (the link IRI), ``source``, ``target``, ``rel_type`` (OWNS, ...;
  not ``type``, which Gephi reads as directed/undirected), ``label``, ``weight`` (share, else
  1), ``start``/``end`` (validity), the link columns, ``derived``, and provenance as
  ``dataset``, ``source_file``, ``source_row``, ``graph``.

>>> import tempfile, pathlib, csv as _csv
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> from kg.subgraph import Selection, around
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], tmp / "db", derive=False)
>>> write_dir(around(open_store(tmp / "db"), "sub", Selection(hops=1, links=("OWNS",))), tmp / "out")
{'nodes.csv': 2, 'edges.csv': 1}
>>> [r["rel_type"] for r in _csv.DictReader(open(tmp / "out" / "edges.csv", encoding="utf-8"))]
['OWNS']
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from kg.export.common import flat_edges, flat_nodes
from kg.ontology import model
from kg.subgraph import Subgraph, reference_classes

NODE_HEAD = ["id", "label", "type", "labels"]
NODE_TAIL = ["hop", "focus", "revenue", "revenue_year", "certifications", "sources"]
EDGE_HEAD = ["id", "source", "target", "rel_type", "label", "weight", "start", "end"]
EDGE_TAIL = ["derived", "dataset", "source_file", "source_row", "graph"]


def node_columns() -> list[str]:
    """The columns of nodes.csv, from the ontology.

    >>> cols = node_columns()
    >>> cols[:4], "state_share" in cols, "local_id" in cols
    (['id', 'label', 'type', 'labels'], True, True)
    """
    m = model()
    cols: list[str] = []
    for cls in ("Entity", *sorted(reference_classes())):
        for p in m.props_on(cls):
            c = "local_id" if p.column == "id" else p.column
            if c not in cols:
                cols.append(c)
    return NODE_HEAD + cols + NODE_TAIL


def edge_columns(rels: list[str] | tuple[str, ...]) -> list[str]:
    """The columns of edges.csv for the given link kinds.

    >>> edge_columns(["OWNS"])[8:]
    ['end_precision', 'share', 'start_precision', 'derived', 'dataset', 'source_file', 'source_row', 'graph']
    """
    cols: list[str] = []
    for rel in rels:
        for p in model().link(rel).properties:
            if p.column not in cols and p.column not in EDGE_HEAD and p.column not in EDGE_TAIL:
                cols.append(p.column)
    return EDGE_HEAD + cols + EDGE_TAIL


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v)) if abs(v) >= 1 else repr(v)
    return str(v)


def _write(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_text(r.get(c)) for c in columns])
    return len(rows)


def write_dir(sub: Subgraph, out_dir: Path | str) -> dict[str, int]:
    """Write nodes.csv and edges.csv into ``out_dir`` (created); return the row counts.

    >>> import tempfile
    >>> write_dir(Subgraph.example(), Path(tempfile.mkdtemp()) / "out")
    {'nodes.csv': 2, 'edges.csv': 1}
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nodes = [{("id" if k == "iri" else k): v for k, v in n.items()} for n in flat_nodes(sub)]
    edges = [{("rel_type" if k == "type" else k): v for k, v in e.items()} for e in flat_edges(sub)]
    return {"nodes.csv": _write(out / "nodes.csv", node_columns(), nodes),
            "edges.csv": _write(out / "edges.csv", edge_columns(sub.selection.links), edges)}
