"""Benchmark the embedded Cypher graph (LadybugDB) of a built database folder: every canned
query on each embedded backend (SPARQL on Oxigraph, Cypher on LadybugDB), and the COPY of the
property-graph tables.

    kg synth --firms 100000 --seed 7 --out /tmp/synth && kg build /tmp/synth --db /tmp/db
    python benchmarks/bench_cypher.py /tmp/db [--repeat 3] [--copy]

Queries: each canned query with its defaults (``--as-of`` the build's derived date), plus
ultimate-owners for the firm with the most owners and state-capital-flows for the busiest state
source; times are wall seconds of ``run_query`` (parameters checked, references resolved, rows
normalised), the first run ("cold", right after opening) and the best of ``--repeat``.

``--copy`` rebuilds the embedded database from the live store in a subprocess: the seconds to
read the property-graph view (``read_graph``), to write the Parquet staging files, of the COPY
statements alone (the peer "LadybugDB COPY of the tables alone") and of the closing
checkpoint, with the subprocess's peak RSS before and after the load.

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--copy", action="store_true", help="also time rebuilding the embedded database (subprocess)")
    args = ap.parse_args()
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
