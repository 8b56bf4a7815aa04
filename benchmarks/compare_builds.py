"""Check that two builds of the same sources made the same graph: every Parquet table (values and
schema metadata), conflicts.csv and rejects.csv, and the embedded Cypher database table by table
(every node and link, hashed in a stable order). A speed or memory change must leave all of them
equal.

    kg build /tmp/s100k --db /tmp/a --quiet --store later --no-cache        # one checkout
    PYTHONPATH=/other/checkout kg build /tmp/s100k --db /tmp/b --quiet --store later --no-cache
    python benchmarks/compare_builds.py /tmp/a /tmp/b [--no-cypher]

Prints one line per difference and exits 1 if there is any, 0 if none.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _live(db: Path) -> Path:
    from kg.dbfolder import live_generation

    gen = live_generation(db)
    if gen is None:
        sys.exit(f"{db}: no live build")
    return gen


def _table(folder: Path, name: str) -> pa.Table:
    """A table of a generation, its parts (incremental builds) concatenated."""
    files = sorted(folder.glob(f"{name}.parquet")) + sorted(folder.glob(f"{name}.part*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]) if len(files) > 1 else pq.read_table(files[0])


def compare_tables(a: Path, b: Path) -> list[str]:
    """Differences between the Parquet tables of two generations."""
    out = []
    names = lambda g: {p.name.split(".")[0] for p in (g / "tables").glob("*.parquet")}  # noqa: E731
    na, nb = names(a), names(b)
    out += [f"table {n}: only in the first" for n in sorted(na - nb)]
    out += [f"table {n}: only in the second" for n in sorted(nb - na)]
    for n in sorted(na & nb):
        ta, tb = _table(a / "tables", n), _table(b / "tables", n)
        if ta.schema != tb.schema or ta.schema.metadata != tb.schema.metadata:
            out.append(f"table {n}: schema differs\n  {ta.schema}\n  {tb.schema}")
        elif not ta.equals(tb):
            out.append(f"table {n}: values differ ({ta.num_rows} vs {tb.num_rows} rows)")
    for f in ("conflicts.csv", "rejects.csv"):
        if (a / f).read_bytes() != (b / f).read_bytes():
            out.append(f"{f} differs")
    return out


def _digest(conn, query: str) -> tuple[int, str]:
    t = conn.execute(query).get_as_arrow()
    t = t.sort_by([(c, "ascending") for c in t.column_names]) if t.num_rows else t
    h = hashlib.sha256()
    for batch in t.to_batches(max_chunksize=200_000):
        for col in batch.columns:
            h.update(repr(col.to_pylist()).encode())
    return t.num_rows, h.hexdigest()[:16]


def graph_digests(gen: Path) -> dict[str, tuple[int, str]]:
    """Row count and hash of every node table and link table of a generation's Cypher database."""
    import ladybug

    from kg.cypher.engine import DB_FILE, cypher_dir

    db = ladybug.Database(str(cypher_dir(gen) / DB_FILE), read_only=True)
    conn = ladybug.Connection(db)
    tables = conn.execute("CALL show_tables() RETURN name, type").get_as_df()
    out = {}
    for name, kind in sorted(zip(tables["name"], tables["type"], strict=True)):
        props = [p for p in conn.execute(f"CALL table_info('{name}') RETURN name").get_as_df()["name"]
                 if p != "_row"]  # row numbers of row-keyed nodes may be numbered differently
        if kind == "NODE":
            cols = ", ".join(f"n.`{p}` AS n_{p}" for p in props)
            out[name] = _digest(conn, f"MATCH (n:{name}) RETURN {cols}")
        else:
            ends = "label(a) AS la, label(b) AS lb, a.iri AS a, b.iri AS b"
            cols = "".join(f", r.`{p}` AS r_{p}" for p in props)
            out[name] = _digest(conn, f"MATCH (a)-[r:{name}]->(b) RETURN {ends}{cols}")
    conn.close()
    db.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--no-cypher", action="store_true", help="compare the tables only")
    args = ap.parse_args()
    ga, gb = _live(args.a), _live(args.b)
    diffs = compare_tables(ga, gb)
    if not args.no_cypher:
        da, db = graph_digests(ga), graph_digests(gb)
        for n in sorted(set(da) | set(db)):
            if da.get(n) != db.get(n):
                diffs.append(f"cypher {n}: {da.get(n)} vs {db.get(n)}")
    for d in diffs:
        print(d)
    print(f"{len(diffs)} difference(s)")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
