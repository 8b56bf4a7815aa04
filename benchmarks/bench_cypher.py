"""Benchmark the embedded Cypher graph (LadybugDB) of a built database folder: every canned
query on each embedded backend (SPARQL on Oxigraph, Cypher on LadybugDB), and the COPY of the
property-graph tables.

    kg synth --firms 100000 --seed 7 --out /tmp/synth && kg build /tmp/synth --db /tmp/db
    python benchmarks/bench_cypher.py /tmp/db [--repeat 3] [--copy]
    python benchmarks/bench_cypher.py /tmp/db --canned [--code /path/to/other/checkout ...]

Queries: each canned query with its defaults (``--as-of`` the build's derived date), plus
ultimate-owners for the firm with the most owners and state-capital-flows for the busiest state
source; times are wall seconds of ``run_query`` (parameters checked, references resolved, rows
normalised), the first run ("cold", right after opening) and the best of ``--repeat``.

``--copy`` rebuilds the embedded database from the live store in a subprocess: the seconds to
read the property-graph view (``read_graph``), to write the Parquet staging files, of the COPY
statements alone (the peer "LadybugDB COPY of the tables alone") and of the closing
checkpoint, with the subprocess's peak RSS before and after the load.

``--canned``: every canned query on embedded Cypher alone (no SPARQL store needed), with its
defaults (``as_of`` today; ultimate-owners for the firm with the most owners): the median of
``--repeat`` runs in process (wall and CPU seconds of ``prepare`` + ``run_prepared`` +
``explain``, as ``kg query run`` does them, the graph opened once) and of ``--repeat`` whole
commands ``kg query run NAME --db DB`` (wall, and the child's user + system CPU seconds), once per
``--code`` checkout (default: this one; give e.g. a checkout of main to compare before and
after in the same run). CPU seconds are steadier than wall seconds on a shared machine.

Prints a Markdown block for docs/benchmarks.md (machine, date, load average).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if os.environ.get("KG_BENCH_CODE"):  # a --canned child measuring another checkout's kg
    sys.path.insert(0, os.environ["KG_BENCH_CODE"])

from benchmarks.bench_build import machine  # noqa: E402

_COPY_CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from kg.cypher.load import build_embedded
from kg.neo4j.frames import read_graph
from kg.rdf.store import open_store
t = time.perf_counter()
g = read_graph(open_store(Path(sys.argv[1])))
read = time.perf_counter() - t
rss_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r = build_embedded(g, Path(tempfile.mkdtemp()) / "cypher")
print(json.dumps({"read_graph": read, "rss_after_read_mb": rss_read, "nodes": r.nodes, "links": sum(r.links.values()),
                  "seconds": r.seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def cases(db: Path, backend) -> list[tuple[str, dict]]:
    """Every shipped query with its defaults, plus the per-graph references."""
    from kg.cypher.engine import run_cypher
    from kg.queries import load_catalog

    out = [(n, {}) for n, q in sorted(load_catalog(use_config=False).items()) if q.origin == "shipped"
           and not any(s.required for s in q.params.values())]
    top = run_cypher(backend.graph, "MATCH (o)-[:ULTIMATELY_OWNS]->(f) RETURN f.iri AS f, count(*) AS n "
                                    "ORDER BY n DESC, f LIMIT 1")[1]
    src = run_cypher(backend.graph, "MATCH (s)-[:LOOK_THROUGH_FUNDED]->() RETURN s.iri AS s, count(*) AS n "
                                    "ORDER BY n DESC, s LIMIT 1")[1]
    out += [("ultimate-owners", {"ref": top[0][0]})] if top else []
    out += [("state-capital-flows", {"source": src[0][0]})] if src else []
    return out


def time_queries(db: Path, repeat: int) -> list[dict]:
    from kg.cypher.backend import CypherBackend
    from kg.queries import run_query
    from kg.queries.run import as_backend
    from kg.rdf.store import build_info

    as_of = build_info(db).get("derived_as_of")
    backends = {"sparql": as_backend(db), "cypher": CypherBackend.open(db)}
    rows = []
    for name, params in cases(db, backends["cypher"]):
        row = {"query": name + (" (" + ", ".join(f"{k}=…" for k in params) + ")" if params else "")}
        for key, b in backends.items():
            times, n = [], None
            for _ in range(repeat):
                t = time.perf_counter()
                _, result = run_query(b, name, params, as_of)
                times.append(time.perf_counter() - t)
                n = len(result)
            row[key] = (times[0], min(times), n)
            print(f"{name} {params} {key}: {times}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


# --------------------------------------------------------------------------- --canned


def top_owned(graph) -> str | None:
    """The firm with the most ultimate owners (ultimate-owners needs a ref)."""
    from kg.cypher.engine import run_cypher

    rows = run_cypher(graph, "MATCH (o)-[:ULTIMATELY_OWNS]->(f) RETURN f.iri AS f, count(*) AS n "
                             "ORDER BY n DESC, f LIMIT 1")[1]
    return rows[0][0] if rows else None


def canned_in_process(db: Path, repeat: int) -> dict:
    """{query: {params, rows, wall, cpu}}: medians over ``repeat`` runs, the graph opened once."""
    import statistics

    from kg.cypher.backend import CypherBackend
    from kg.queries.catalog import load_catalog
    from kg.queries.explain import explain
    from kg.queries.run import prepare, run_prepared

    backend = CypherBackend.open(db)
    ref = top_owned(backend.graph)
    out = {}
    for name, q in sorted(load_catalog(use_config=False).items()):
        if q.cypher is None or q.origin != "shipped":
            continue
        given = {"ref": ref} if any(s.required for s in q.params.values()) else {}
        walls, cpus, n = [], [], 0
        for _ in range(repeat):
            c, t = time.process_time(), time.perf_counter()
            values = prepare(q, given, None, backend)
            cols, rows = run_prepared(backend, q, values)
            explain(backend, q, values, cols, rows)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
            n = len(rows)
        out[name] = {"params": given, "rows": n, "wall": statistics.median(walls), "cpu": statistics.median(cpus)}
        print(f"{name}: {walls} {cpus}", file=sys.stderr, flush=True)
    return out


def canned_command(db: Path, code: Path, name: str, params: dict, repeat: int) -> tuple[float, float]:
    """Median wall and CPU (user + system of the child) seconds of ``kg query run NAME --db DB``."""
    import resource
    import statistics

    env = {**os.environ, "PYTHONPATH": str(code)}
    argv = [sys.executable, "-m", "kg", "query", "run", name, "--db", str(db)]
    for k, v in params.items():
        argv += ["-p", f"{k}={v}"]
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, env=env, cwd="/", stdout=subprocess.DEVNULL, check=True)
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def canned(db: Path, codes: list[Path], repeat: int) -> None:
    """The --canned table: per query and checkout, in-process and whole-command seconds."""
    results = {}
    for code in codes:
        env = {**os.environ, "KG_BENCH_CODE": str(code), "PYTHONPATH": str(code)}
        out = subprocess.run([sys.executable, __file__, str(db), "--canned-child", "--repeat", str(repeat)],
                             env=env, capture_output=True, text=True, check=True)
        inproc = json.loads(out.stdout.strip().splitlines()[-1])
        for name, r in inproc.items():
            r["cmd_wall"], r["cmd_cpu"] = canned_command(db, code, name, r["params"], repeat)
            print(f"{code} {name}: {r}", file=sys.stderr, flush=True)
        results[code] = (inproc, os.getloadavg()[0])
    names = sorted({n for inproc, _ in results.values() for n in inproc})
    head = " | ".join(f"{c.name}: in process wall / CPU | {c.name}: command wall / CPU" for c in codes)
    print(f"| query | rows | {head} |\n|---|---|" + "---|---|" * len(codes))
    for n in names:
        cells, rows = [], set()
        for code in codes:
            r = results[code][0].get(n)
            if r is None:
                cells += ["-", "-"]
                continue
            rows.add(r["rows"])
            cells += [f"{r['wall']:.3f} / {r['cpu']:.3f}", f"{r['cmd_wall']:.2f} / {r['cmd_cpu']:.2f}"]
        print(f"| {n} | {' / '.join(str(x) for x in sorted(rows))} | {' | '.join(cells)} |")
    print("\nload average (1 min) after each checkout: "
          + ", ".join(f"{c.name} {results[c][1]:.1f}" for c in codes) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--copy", action="store_true", help="also time rebuilding the embedded database (subprocess)")
    ap.add_argument("--canned", action="store_true", help="only the canned queries on embedded Cypher, in process and "
                                                          "as whole commands")
    ap.add_argument("--code", type=Path, action="append", default=[],
                    help="with --canned: a kg checkout to measure (repeatable; default this one)")
    ap.add_argument("--canned-child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.canned_child:
        print(json.dumps(canned_in_process(args.db, args.repeat)))
        return
    if args.canned:
        print(f"### Canned queries on embedded Cypher: {args.db}\n")
        print(f"{machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.1f} at start\n")
        canned(args.db, [c.resolve() for c in args.code] or [ROOT], args.repeat)
        return
    info = json.loads((args.db / "build.json").read_text(encoding="utf-8"))
    print(f"### Embedded Cypher (LadybugDB) vs embedded SPARQL: {info.get('entities')} entities\n")
    print(f"{machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average {os.getloadavg()[0]:.1f} at start\n")
    if args.copy:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", _COPY_CHILD, str(args.db)], capture_output=True, text=True,
                             env=env, check=True)
        c = json.loads(out.stdout.strip().splitlines()[-1])
        s = c["seconds"]
        print("| step | seconds |\n|---|---|")
        print(f"| read_graph (property-graph view read back from the store) | {c['read_graph']:.1f} |")
        print(f"| schema | {s.get('schema', 0):.2f} |")
        print(f"| Parquet staging + COPY, nodes / links | {s.get('nodes', 0):.1f} / {s.get('links', 0):.1f} |")
        print(f"| **COPY statements alone (LadybugDB floor)** | **{s.get('copy', 0):.1f}** |")
        print(f"| checkpoint (close) | {s.get('close', 0):.1f} |")
        print(f"| embedded build total (without read_graph) | {s.get('total', 0):.1f} |\n")
        print(f"{c['nodes']:,} nodes, {c['links']:,} links; peak RSS {c['rss_after_read_mb']:.0f} MB after read_graph, "
              f"{c['peak_rss_mb']:.0f} MB after the load\n")
    rows = time_queries(args.db, args.repeat)
    print("| query | rows | SPARQL cold / best (s) | Cypher cold / best (s) |\n|---|---|---|---|")
    for r in rows:
        (s0, s1, n), (c0, c1, m) = r["sparql"], r["cypher"]
        print(f"| {r['query']} | {n}{'' if n == m else f' / {m}'} | {s0:.3f} / {s1:.3f} | {c0:.3f} / {c1:.3f} |")


if __name__ == "__main__":
    main()
