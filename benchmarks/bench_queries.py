"""Time every canned query on a synthetic graph (default 10^5 firms) on the embedded store, and
on Neo4j when a server is given; print a markdown table (and append it to docs/benchmarks.md
with --append).

    python benchmarks/bench_queries.py                      # synth 100k, build, time
    python benchmarks/bench_queries.py --db /tmp/kg100k     # reuse a built graph
    python benchmarks/bench_queries.py --optimize           # also time after store.optimize()
    NEO4J_URI=... NEO4J_PASSWORD=... python benchmarks/bench_queries.py --neo4j   # push and compare

Each case runs ``repeat`` times in one process (the store opened once, the catalog loaded once)
and the best time is reported: parameter checking, reference resolution, the query and the
conversion of the rows to Python values. The target is 1 s per query at 10^5 firms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.queries.catalog import load_catalog  # noqa: E402
from kg.queries.run import EmbeddedBackend, prepare, run_prepared  # noqa: E402

AS_OF = "2023-12-31"

#: (query, parameters): the defaults of every query, and the cohort-sized runs analysts make.
CASES: list[tuple[str, dict]] = [
    ("little-giant-subsidiaries", {}),
    ("state-capital-flows", {}),
    ("state-capital-flows", {"programme": "little_giant", "from_year": "2016", "to_year": "2021"}),
    ("state-capital-flows", {"source": "{source}"}),
    ("financing-intensity", {}),
    ("financing-intensity", {"batches": "1,2", "total": "true"}),
    ("sme-threshold-breaches", {}),
    ("weak-performers", {}),
    ("weak-performers", {"programme": "little_giant"}),
    ("ultimate-owners", {"ref": "{firm}"}),
    ("state-influence", {}),
    ("state-influence", {"programme": "little_giant", "batches": "1,2"}),
    ("state-influence", {"ref": "{firm}"}),
    ("certification-ladder", {}),
    ("certification-ladder", {"summary": "true"}),
    ("certified-listings-share", {}),
    ("expiring-certifications", {}),
    ("expiring-certifications", {"programme": "little_giant"}),
]


def pick_refs(store) -> dict[str, str]:
    """A firm with many owners and a state source with direct flows, from the graph itself."""
    from kg.rdf.query import run_sparql

    kg = "PREFIX kg: <https://w3id.org/accelerator-kg/ont#>\n"
    firm = run_sparql(store, kg + "SELECT ?f (COUNT(?o) AS ?n) WHERE { ?io kg:integratedOwned ?f ; kg:integratedOwner ?o } "
                                  "GROUP BY ?f ORDER BY DESC(?n) ?f LIMIT 1")[1][0][0]
    source = run_sparql(store, kg + "SELECT ?s WHERE { ?s a kg:GuidanceFund ; kg:stateControlled true ; kg:funded ?x } "
                                    "GROUP BY ?s ORDER BY DESC(COUNT(?x)) ?s LIMIT 1")[1][0][0]
    return {"firm": firm, "source": source}


def fill(params: dict, refs: dict) -> dict:
    return {k: v.format(**refs) if isinstance(v, str) else v for k, v in params.items()}


def time_cases(backend, refs: dict, repeat: int) -> list[tuple[str, dict, int, float]]:
    """(query, params, rows, best seconds) for each case."""
    cat = load_catalog(use_config=False)
    out = []
    for name, params in CASES:
        params = fill(params, refs)
        q = cat[name]
        best, rows = None, 0
        for _ in range(repeat):
            t = time.perf_counter()
            values = prepare(q, params, AS_OF, backend)
            _, result = run_prepared(backend, q, values)
            d = time.perf_counter() - t
            best = d if best is None else min(best, d)
            rows = len(result)
        out.append((name, params, rows, best))
        print(f"  {name} {params}: {rows} rows, {best:.2f} s", file=sys.stderr, flush=True)
    return out


def shown(params: dict) -> str:
    if not params:
        return "(defaults)"
    return " ".join(f"{k}={'…' + v[-12:] if k in ('ref', 'source') else v}" for k, v in params.items())


def table(columns: list[tuple[str, list]], cases) -> str:
    head = "| query | parameters | rows | " + " | ".join(c for c, _ in columns) + " |"
    sep = "|---|---|---:|" + "---:|" * len(columns)
    lines = [head, sep]
    for i, (name, params, rows, _) in enumerate(cases):
        cells = []
        for _, times in columns:
            t = times[i]
            cells.append("n/a" if t is None else (f"**{t:.2f}**" if t > 1.0 else f"{t:.2f}"))
        lines.append(f"| {name} | {shown(params)} | {rows} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", type=Path, default=None, help="a built database folder (skips synth and build)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--optimize", action="store_true",
                    help="also time on a copy of the store compacted with pyoxigraph's Store.optimize() "
                         "(kg build compacts already; for stores built without it)")
    ap.add_argument("--neo4j", action="store_true", help="push to NEO4J_URI (password NEO4J_PASSWORD) and time Cypher too")
    ap.add_argument("--append", type=Path, default=None, help="append the section to this markdown file")
    args = ap.parse_args(argv)

    import pyoxigraph as ox

    from kg.build import build
    from kg.rdf.store import live_path, open_store

    work = Path(tempfile.mkdtemp(prefix="bench-queries-"))
    build_s = None
    if args.db is None:
        from kg.synth import generate

        src = work / "synth"
        generate(src, firms=args.firms, seed=args.seed)
        args.db = work / "db"
        t = time.perf_counter()
        report = build([src], args.db, as_of=dt.date.fromisoformat(AS_OF))  # derived facts at the queries' date
        build_s = time.perf_counter() - t
        print(f"built {report.entities} entities, {report.triples} triples in {build_s:.0f} s", file=sys.stderr)
    store = open_store(args.db)
    triples = len(store)
    refs = pick_refs(store)
    columns = []
    print("embedded:", file=sys.stderr)
    cases = time_cases(EmbeddedBackend(store), refs, args.repeat)
    columns.append(("embedded s", [c[3] for c in cases]))
    opt_s = None
    if args.optimize:
        import shutil

        copy = work / "optimized"
        shutil.copytree(live_path(args.db).resolve(), copy)
        t = time.perf_counter()
        s = ox.Store(str(copy))
        s.optimize()
        s.flush()
        del s
        opt_s = time.perf_counter() - t
        print(f"embedded (optimized in {opt_s:.0f} s):", file=sys.stderr)
        opt = time_cases(EmbeddedBackend(ox.Store.read_only(str(copy))), refs, args.repeat)
        columns.append(("embedded, optimized s", [c[3] for c in opt]))
    push_s = None
    if args.neo4j:
        from kg.neo4j.connect import Settings, open_driver
        from kg.neo4j.push import push
        from kg.queries.run import Neo4jBackend

        settings = Settings(uri=os.environ["NEO4J_URI"], user=os.environ.get("NEO4J_USER", "neo4j"),
                            password=os.environ.get("NEO4J_PASSWORD", ""))
        t = time.perf_counter()
        push(args.db, settings, wipe_first=True)
        push_s = time.perf_counter() - t
        print(f"neo4j (pushed in {push_s:.0f} s):", file=sys.stderr)
        with open_driver(settings) as driver:
            neo = time_cases(Neo4jBackend(driver, settings), refs, args.repeat)
        columns.append(("neo4j s", [c[3] for c in neo]))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    notes = [f"{args.firms:,} synthetic firms (kg synth --seed {args.seed}), {triples:,} triples; as_of {AS_OF}; "
             f"best of {args.repeat}; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
             + (f", load average {load:.1f} at the end" if load is not None else "") + "."]
    if build_s:
        notes.append(f"Build {build_s:.0f} s.")
    if opt_s:
        notes.append(f"Store.optimize() (RocksDB compaction) {opt_s:.0f} s.")
    if push_s:
        notes.append(f"Push to Neo4j {push_s:.0f} s.")
    section = (f"\n### Canned queries ({dt.date.today().isoformat()})\n\n"
               "`python benchmarks/bench_queries.py` — each canned query on the embedded store "
               "(and on Neo4j when given); target <= 1 s at 10^5 firms (bold: over).\n\n"
               + " ".join(notes) + "\n\n" + table(columns, cases) + "\n")
    print(section)
    if args.append:
        with args.append.open("a", encoding="utf-8") as f:
            f.write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
