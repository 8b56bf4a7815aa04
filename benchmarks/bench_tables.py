"""Benchmark the graph tables (kg/tables): writing them in a build, their size, reading the
property-graph view from them against reading it back out of the RDF store, ``kg
neo4j-import`` from each, and Parquet compression (zstd against snappy).

    python benchmarks/bench_tables.py --firms 100000            # synth, build, measure
    python benchmarks/bench_tables.py --db /tmp/kg100k          # an existing build
    python benchmarks/bench_tables.py --db /tmp/kg100k --no-store-read   # skip the slow read-back

The build runs in a child process under ``/usr/bin/time -v`` (wall time, peak RSS); the build's
own stage times come from its build.json. Prints a markdown table with the machine, the date
and the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def build(src: Path, db: Path) -> dict:
    """Build ``src`` into ``db`` in a child process; wall seconds and peak RSS (GB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "kg", "build", str(src), "--db", str(db), "--quiet"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"build failed:\n{p.stderr[-3000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", p.stderr).group(1)
    parts = [float(x) for x in wall.split(":")]
    secs = sum(x * 60 ** i for i, x in enumerate(reversed(parts)))
    return {"wall_s": secs, "peak_rss_gb": rss / 1024 ** 2}


def compression(folder: Path, work: Path) -> dict:
    """Every table rewritten with zstd and with snappy: write and read seconds, bytes."""
    import pyarrow.parquet as pq

    tables = {f: pq.read_table(f) for f in sorted(folder.glob("*.parquet"))}
    out = {}
    for codec in ("zstd", "snappy"):
        d = work / codec
        d.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        for f, table in tables.items():
            pq.write_table(table, d / f.name, compression=codec)
        write_s = time.perf_counter() - t
        t = time.perf_counter()
        for f in tables:
            pq.read_table(d / f.name)
        read_s = time.perf_counter() - t
        out[codec] = {"write_s": write_s, "read_s": read_s, "bytes": sum(p.stat().st_size for p in d.iterdir())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", type=Path, default=None, help="a built database folder (skips synth and build)")
    ap.add_argument("--no-store-read", action="store_true", help="skip read_graph(store), the old route")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    args = ap.parse_args()

    from kg.dbfolder import live_generation
    from kg.neo4j.bulk_csv import write_frames
    from kg.tables import graph_frames, tables_dir

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-tables-"))
    row: dict = {"date": dt.date.today().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
                 f"Python {platform.python_version()}", "load_before": load_before}
    if args.db is None:
        src = work / "synth"
        subprocess.run([sys.executable, "-m", "kg", "synth", "--firms", str(args.firms), "--seed", str(args.seed),
                        "--out", str(src)], check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        args.db = work / "db"
        row["build"] = build(src, args.db)
    info = json.loads((args.db / "build.json").read_text(encoding="utf-8"))
    folder = tables_dir(live_generation(args.db))
    row["build_seconds"] = info.get("seconds", {})
    row["tables_bytes"] = sum(p.stat().st_size for p in folder.iterdir())
    row["triples"] = info.get("triples")

    g, row["view_s"] = timed(graph_frames, args.db)
    row["nodes"], row["links"] = g.node_count, g.link_count
    _, row["import_csv_s"] = timed(write_frames, g, work / "import-tables")
    del g
    if not args.no_store_read:
        from kg.neo4j.frames import read_graph
        from kg.rdf.store import open_store

        g, row["store_read_s"] = timed(read_graph, open_store(args.db))
        _, row["import_csv_old_s"] = timed(write_frames, g, work / "import-store")
        del g
    row["compression"] = compression(folder, work / "codecs")
    row["load_after"] = os.getloadavg()

    b = row.get("build", {})
    print(f"graph tables, {row['nodes']:,} nodes and {row['links']:,} links ({row['date']}, {row['machine']}; "
          f"load {row['load_before'][0]:.1f} before, {row['load_after'][0]:.1f} after)\n")
    print("| measure | value |\n|---|---|")
    if b:
        print(f"| kg build wall time, peak RSS | {b['wall_s']:.0f} s, {b['peak_rss_gb']:.2f} GB |")
    for k, v in row["build_seconds"].items():
        print(f"| build stage {k} | {v:.1f} s |")
    print(f"| tables on disk | {row['tables_bytes'] / 1e6:.1f} MB |")
    print(f"| property-graph view from the tables (graph_frames) | {row['view_s']:.1f} s |")
    if "store_read_s" in row:
        print(f"| the same read back from the RDF store (read_graph) | {row['store_read_s']:.1f} s |")
    old = row.get("store_read_s", 0) + row.get("import_csv_old_s", 0)
    print(f"| kg neo4j-import from the tables (read + CSVs) | {row['view_s'] + row['import_csv_s']:.1f} s |")
    if old:
        print(f"| kg neo4j-import from the store (read + CSVs) | {old:.1f} s |")
    for codec, c in row["compression"].items():
        print(f"| Parquet {codec}: write / read all tables, size | {c['write_s']:.2f} s / {c['read_s']:.2f} s, "
              f"{c['bytes'] / 1e6:.1f} MB |")
    if args.json:
        args.json.write_text(json.dumps(row, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
