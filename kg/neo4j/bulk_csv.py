"""CSV files for ``neo4j-admin database import full`` (offline bulk import), plus the command.

``write_import_dir(db, out_dir)`` writes into ``out_dir``, from the live graph tables of the
database folder ``db`` (:func:`kg.tables.graph_frames`; the RDF store is not read):

* ``nodes-<Labels>.csv``, one per label set: ``iri:ID``, typed property columns
  (``founded:date``, ``state_owned:boolean``, ``tier:long``, ``revenue:double``, ...) and
  ``:LABEL`` (``KgNode;GuidanceFund;Fund``, ``;``-separated);
* ``relationships-<TYPE>.csv``, one per relationship type: ``:START_ID``, ``:END_ID``,
  ``:TYPE``, ``iri`` and typed property columns (``share:double``, ``start:date``, ...);
* ``import.sh``: the exact ``neo4j-admin database import full`` command (run it with the
  server stopped; ``NEO4J_ADMIN`` overrides the neo4j-admin command);
* ``schema.cypher``: the constraints and indexes ``kg push neo4j`` creates, to run once the
  server is up (``cypher-shell -f schema.cypher`` or ``kg push neo4j --schema-only``).

The graph is the same as a Bolt push writes (same labels, types, properties and values), so
the two routes give the same answers. Decimals are written as ``double`` (64-bit, as a push
sends them; neo4j-admin's ``float`` is 32-bit and would round 0.51 to 0.50999999).

>>> import tempfile, pathlib
>>> from kg.build import build
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], tmp / "db", derive=False)
>>> counts = write_import_dir(tmp / "db", tmp / "import")
>>> counts["files"]["relationships-OWNS.csv"]
5
>>> (tmp / "import" / "relationships-OWNS.csv").read_text().splitlines()[0]  # doctest: +ELLIPSIS
':START_ID,:END_ID,:TYPE,iri,end:date,end_precision,share:double,start:date,...,source_row:long'
"""

from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path

import pandas as pd

from kg.neo4j.schema import BOOL, DATE, FLOAT, INT, schema_statements
from kg.tables.view import FROM, TO, GraphFrames

ADMIN_TYPES = {FLOAT: "double", INT: "long", BOOL: "boolean", DATE: "date"}
ARRAY_DELIMITER = ";"


def header_name(column: str, kind: str) -> str:
    """The neo4j-admin header field of a property column.

    >>> header_name("share", "float"), header_name("name", "string"), header_name("start", "date")
    ('share:double', 'name', 'start:date')
    """
    t = ADMIN_TYPES.get(kind)
    return f"{column}:{t}" if t else column


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _text_frame(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([_text(v) for v in df[c].tolist()], dtype=object) for c in df.columns})


def _write_csv(df: pd.DataFrame, header: list[str], path: Path) -> None:
    _text_frame(df).to_csv(path, index=False, header=header, encoding="utf-8", lineterminator="\n")


def _file_part(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)


def write_frames(g: GraphFrames, out_dir: Path) -> dict:
    """Write typed frames as import CSVs, ``import.sh`` and ``schema.cypher``; return the counts.

    Returns ``{"nodes": N, "relationships": M, "files": {file name: rows}}``.

    >>> write_frames(graph_frames(db), Path("neo4j-import"))["nodes"]  # doctest: +SKIP
    468
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, int] = {}
    node_files, rel_files = [], []
    for labels, frame in g.nodes.items():
        if not len(frame):
            continue
        name = "nodes-" + "-".join(_file_part(x) for x in labels[1:]) + ".csv"
        cols = [c for c in frame.columns if c != "iri"]
        df = frame[["iri", *cols]].copy()
        df[":LABEL"] = ARRAY_DELIMITER.join(labels)
        header = ["iri:ID", *(header_name(c, g.kinds.get(c, "string")) for c in cols), ":LABEL"]
        _write_csv(df, header, out_dir / name)
        files[name] = len(frame)
        node_files.append(name)
    for rel, frame in g.links.items():
        if not len(frame):
            continue
        name = f"relationships-{_file_part(rel)}.csv"
        cols = [c for c in frame.columns if c not in (FROM, TO)]
        df = frame[[FROM, TO]].copy()
        df[":TYPE"] = rel
        for c in cols:
            df[c] = frame[c]
        header = [":START_ID", ":END_ID", ":TYPE", *(header_name(c, g.kinds.get(c, "string")) for c in cols)]
        _write_csv(df, header, out_dir / name)
        files[name] = len(frame)
        rel_files.append(name)
    write_import_script(out_dir, node_files, rel_files)
    (out_dir / "schema.cypher").write_text(";\n".join(schema_statements()) + ";\n", encoding="utf-8")
    return {"nodes": sum(files[f] for f in node_files), "relationships": sum(files[f] for f in rel_files),
            "files": files}


def import_command(node_files: list[str], rel_files: list[str], database: str = "neo4j") -> list[str]:
    """The neo4j-admin command line (run from the CSV folder).

    >>> " ".join(import_command(["nodes-Firm.csv"], ["relationships-OWNS.csv"]))  # doctest: +ELLIPSIS
    'neo4j-admin database import full neo4j --overwrite-destination=true ... --nodes=nodes-Firm.csv --relationships=relationships-OWNS.csv'
    """
    return ["neo4j-admin", "database", "import", "full", database, "--overwrite-destination=true",
            "--id-type=string", "--delimiter=,", f"--array-delimiter={ARRAY_DELIMITER}", "--quote=\"",
            "--multiline-fields=true", *(f"--nodes={f}" for f in node_files),
            *(f"--relationships={f}" for f in rel_files)]


def write_import_script(out_dir: Path, node_files: list[str], rel_files: list[str]) -> Path:
    """Write the executable ``import.sh`` that runs neo4j-admin on the CSVs next to it.

    >>> import tempfile
    >>> p = write_import_script(Path(tempfile.mkdtemp()), ["nodes-Firm.csv"], [])
    >>> os.access(p, os.X_OK), "--nodes=nodes-Firm.csv" in p.read_text()
    (True, True)
    """
    cmd = import_command(node_files, rel_files, "DATABASE")
    args = " \\\n  ".join(shlex.quote(a) for a in cmd[5:])
    text = f"""#!/bin/sh
# Bulk-import the CSV files next to this script into a Neo4j 5 database (written by kg).
# Run it with the Neo4j server stopped; it replaces the database (--overwrite-destination).
#   ./import.sh [DATABASE]          default: neo4j
# NEO4J_ADMIN overrides the neo4j-admin command (word-split), e.g.
#   NEO4J_ADMIN="/path/to/accelerator-kg/scripts/neo4j admin --data /path/to/data" ./import.sh
# Then start the server and create the indexes: cypher-shell -f schema.cypher
# (or: kg push neo4j --schema-only).
set -eu
cd "$(dirname "$0")"
DATABASE="${{1:-neo4j}}"
# (the database comes first: --nodes and --relationships would take it for one more file)
${{NEO4J_ADMIN:-neo4j-admin}} database import full "$DATABASE" \\
  {args}
"""
    path = Path(out_dir) / "import.sh"
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def write_import_dir(db: os.PathLike | str, out_dir: os.PathLike | str) -> dict:
    """Read the live graph tables of the database folder ``db`` and write the neo4j-admin
    import folder ``out_dir``.

    >>> write_import_dir("kg-data", "neo4j-import")["relationships"]  # doctest: +SKIP
    603
    """
    from kg.tables.read import graph_frames

    return write_frames(graph_frames(Path(db)), Path(out_dir))
