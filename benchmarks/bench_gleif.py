"""Benchmark the gleif-csv loader on a GLEIF-shaped Golden Copy against reading the same files
with pandas alone.

Generates (benchmarks/gen_gleif_golden_copy.py; kept in --dir between runs, never committed) an
LEI-CDF CSV of --lei records and an RR-CDF CSV of --rr relationships, then runs each task in a
fresh process and reports wall time and that process's peak RSS:

* ``pandas (all columns)``: ``pd.read_csv(..., dtype=str, chunksize=...)`` over every column, the
  plain read of the files;
* ``pandas (kg's columns)``: the same with ``usecols`` = the columns kg reads (the floor of any
  loader built on pandas' parser);
* ``kg load``: ``load_sources([lei, rr])``: the gleif-csv loader, i.e. parse, LEI check digits,
  dates, categories, rejects, typed records for the graph;
* with ``--build``: ``kg build --no-derive`` of the two files (load, resolve, N-Quads, Oxigraph bulk
  load), and ``kg build`` with the derived facts.

    python benchmarks/bench_gleif.py --lei 1000000 --rr 300000 [--build] [--append]

``--append`` adds the table to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_build import machine, versions  # noqa: E402
from gen_gleif_golden_copy import generate  # noqa: E402

PANDAS = """
import json, resource, sys, time
import pandas as pd
from kg.loaders.gleif_csv import CHUNK_ROWS, LEI_COLUMNS, PERIOD_COLUMNS, RR_COLUMNS
t = time.perf_counter()
n = 0
for path in sys.argv[2:]:
    cols = None
    if sys.argv[1] == "used":
        header = pd.read_csv(path, nrows=0).columns
        cols = [c for c in header if c in LEI_COLUMNS or c in RR_COLUMNS or c in PERIOD_COLUMNS]
    for chunk in pd.read_csv(path, usecols=cols, dtype=str, keep_default_na=False, na_filter=False,
                             chunksize=CHUNK_ROWS, engine="c"):
        n += len(chunk)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": n,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

KG_LOAD = """
import json, resource, sys, time
from pathlib import Path
from kg.loaders.sources import load_sources
t = time.perf_counter()
recs = load_sources([Path(p) for p in sys.argv[1:]])
secs = time.perf_counter() - t
print(json.dumps({"seconds": secs, "rows": sum(f.rows for f in recs.files),
                  "entities": sum(len(x) for x in recs.entities),
                  "links": sum(len(x) for x in recs.links.get("DECLARED_CONTROL", [])),
                  "rejects": len(recs.rejects), "warnings": recs.warnings,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

KG_BUILD = """
import json, resource, sys, time
from pathlib import Path
from kg.build import build
t = time.perf_counter()
r = build([Path(p) for p in sys.argv[3:]], Path(sys.argv[1]), derive=sys.argv[2] == "derive")
print(json.dumps({"seconds": time.perf_counter() - t, "stages": r.seconds, "entities": r.entities,
                  "links": sum(r.links.values()), "triples": r.triples, "rejected": r.rejected,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True,
                         env=env, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def load_average() -> str:
    try:
        return "/".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lei", type=int, default=1_000_000)
    ap.add_argument("--rr", type=int, default=300_000)
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "kg-bench-gleif")
    ap.add_argument("--build", action="store_true", help="also time kg build (with and without derived facts)")
    ap.add_argument("--build-only", action="store_true", help="only kg build --no-derive (the reads take minutes too)")
    ap.add_argument("--append", action="store_true", help="append the results to docs/benchmarks.md")
    a = ap.parse_args()
    data = a.dir / f"{a.lei}-{a.rr}"
    files = sorted(data.glob("*.csv"))
    if len(files) != 2:
        t = time.perf_counter()
        files = list(generate(data, a.lei, a.rr))
        print(f"generated {data} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    size = sum(f.stat().st_size for f in files) / 2**20
    started = dt.datetime.now(dt.UTC)
    load_before = load_average()
    rows = []
    if not a.build_only:
        rows.append(("pandas read_csv, all columns (chunks)", run(PANDAS, "all", *files)))
        rows.append(("pandas read_csv, kg's columns (chunks)", run(PANDAS, "used", *files)))
        rows.append(("kg load (gleif-csv loader: records, checks, rejects)", run(KG_LOAD, *files)))
    if a.build or a.build_only:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(("kg build --no-derive", run(KG_BUILD, Path(tmp) / "db1", "no", *files)))
            if not a.build_only:
                rows.append(("kg build (with derived facts)", run(KG_BUILD, Path(tmp) / "db2", "derive", *files)))
    n = a.lei + a.rr
    base = rows[0][1]["seconds"]
    lines = [
        f"#### GLEIF Golden Copy CSV (`python benchmarks/bench_gleif.py --lei {a.lei} --rr {a.rr}"
        f"{' --build' if a.build else ''}`, {started:%Y-%m-%d %H:%M} UTC, load average {load_before} -> {load_average()})",
        "",
        f"{machine()}; {versions()}. Synthetic GLEIF-shaped files: {a.lei:,} LEI records "
        f"({len(open(files[0], encoding='utf-8').readline().split(','))} columns) and {a.rr:,} relationship records, "
        f"{size:,.0f} MiB together; each task in a fresh process (peak RSS of that process).",
        "",
        "| task | s | records/s | time / first row | peak RSS MiB | notes |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in rows:
        notes = ""
        if "entities" in r:
            notes = f"{r['entities']:,} entities, {r['links']:,} links"
            notes += f", {r['rejects']:,} rejects" if "rejects" in r else f", {r['triples']:,} triples"
            if "stages" in r:
                notes += "; " + ", ".join(f"{k} {v:.0f} s" for k, v in r["stages"].items())
        lines.append(f"| {name} | {r['seconds']:.1f} | {n / r['seconds']:,.0f} | {r['seconds'] / base:.2f} "
                     f"| {r['rss_mb']:,.0f} | {notes} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if a.append:
        with (ROOT / "docs" / "benchmarks.md").open("a", encoding="utf-8") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
