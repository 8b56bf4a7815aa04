"""What the RDF store holds per firm, and what each canned query returns and costs on it.

For a built database folder: the quads by kind (types, values, provenance, direct link triples,
derived facts ...) per firm, and every canned query run with a set of parameter cases (the
defaults and the variants the catalog offers), timed, with its rows. ``--save FILE`` writes the
rows as JSON; ``--compare FILE`` checks the rows against a saved run (the same rows, case by
case) and prints the timings side by side: how a change of the RDF model is checked against
the model before it.

    python benchmarks/bench_rdf_model.py --db /tmp/db-before --save before.json
    python benchmarks/bench_rdf_model.py --db /tmp/db-after --compare before.json

``--peer`` also loads the same quads into a fresh Oxigraph store the plain way (the store's
N-Quads dump, ``Store.bulk_load`` then ``optimize``, as kg's store stage does) and prints that
rate beside the store stage of the build (build.json), which writes the N-Quads and loads them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.ontology import KG, RDF_TYPE  # noqa: E402
from kg.queries import run_query  # noqa: E402
from kg.rdf.store import build_info, open_store  # noqa: E402

AS_OF = "2023-12-31"


def cases(store) -> list[tuple[str, dict]]:
    """(query, params) cases: every query with its defaults, and the variants its parameters offer."""
    from kg.rdf.read import select_frame

    owned = select_frame(store, f"SELECT ?f (COUNT(*) AS ?n) WHERE {{ ?l <{KG}integratedOwned> ?f }} "
                                "GROUP BY ?f ORDER BY DESC(?n) ?f LIMIT 1")
    source = select_frame(store, f"SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?l <{KG}lookThroughSource> ?s }} "
                                 "GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 1")
    out: list[tuple[str, dict]] = [
        ("certification-ladder", {}), ("certification-ladder", {"summary": "true"}),
        ("certified-listings-share", {}), ("declared-vs-computed", {}),
        ("expiring-certifications", {}), ("expiring-certifications", {"only": "expired"}),
        ("financing-intensity", {}), ("financing-intensity", {"total": "true"}),
        ("little-giant-subsidiaries", {}), ("sme-threshold-breaches", {}),
        ("state-capital-flows", {}), ("state-capital-flows", {"programme": "little_giant"}),
        ("state-influence", {}), ("state-influence", {"programme": "little_giant"}),
        ("weak-performers", {}),
    ]
    if len(owned):
        out += [("ultimate-owners", {"ref": owned["f"].iloc[0]}), ("state-influence", {"ref": owned["f"].iloc[0]})]
    if len(source):
        out.append(("state-capital-flows", {"source": source["s"].iloc[0]}))
    return out


def quad_kinds(store) -> Counter:
    """Quads by kind: rdf:type per class, kg: predicates by local name, per graph family."""
    from kg.rdf.read import select_frame

    f = select_frame(store, "SELECT ?g ?p ?o (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?p = <" + RDF_TYPE
                     + ">) } GROUP BY ?g ?p ?o")
    g = select_frame(store, "SELECT ?g ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?p != <" + RDF_TYPE
                     + ">) } GROUP BY ?g ?p")
    out: Counter = Counter()
    for gr, o, n in zip(f["g"], f["o"], f["n"], strict=True):
        out[(_family(gr), "a " + o.removeprefix(KG))] += int(n)
    for gr, p, n in zip(g["g"], g["p"], g["n"], strict=True):
        out[(_family(gr), p.removeprefix(KG))] += int(n)
    return out


def _family(graph: str) -> str:
    for fam in ("source", "derived", "reference", "ontology", "sources"):
        if f"/graph/{fam}" in graph:
            return fam
    return graph


def raw_load(store, work: Path) -> tuple[int, float]:
    """(quads, seconds): the store's quads dumped as N-Quads (untimed), then bulk-loaded into a
    fresh store and optimized (timed), as kg's store stage loads its own text."""
    import pyoxigraph as ox

    nq = work / "dump.nq"
    store.dump(str(nq), format=ox.RdfFormat.N_QUADS)
    t = time.perf_counter()
    fresh = ox.Store(str(work / "raw"))
    fresh.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS, lenient=True)
    fresh.optimize()
    fresh.flush()
    secs = time.perf_counter() - t
    n = len(fresh)
    del fresh
    return n, secs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    ap.add_argument("--firms", type=int, help="the firms of kg synth --firms (per-firm figures); default: entity rows")
    ap.add_argument("--no-queries", action="store_true")
    ap.add_argument("--peer", action="store_true", help="time a raw Oxigraph bulk load of the same quads")
    args = ap.parse_args()
    store = open_store(args.db)
    info = build_info(args.db)
    firms = args.firms or sum(r for f, t, r, _ in info.get("files", []) if t == "entities") or info.get("entities") or 1
    kinds = quad_kinds(store)
    total = len(store)
    print(f"{total:,} quads; {info.get('entities'):,} entities; {total / firms:.1f} quads per firm ({firms:,})")
    for (fam, k), n in sorted(kinds.items(), key=lambda x: -x[1]):
        print(f"  {fam:10s} {k:28s} {n:>12,} {n / firms:8.2f}")
    if args.peer:
        work = Path(tempfile.mkdtemp(prefix="kg-peer-"))
        try:
            n, secs = raw_load(store, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        kg_secs = info.get("seconds", {}).get("store")
        print(f"raw Oxigraph bulk load + optimize: {n:,} quads in {secs:.1f} s ({n / secs:,.0f} quads/s); "
              f"kg store stage (N-Quads written and loaded): {kg_secs:.1f} s ({n / kg_secs:,.0f} quads/s), "
              f"{secs / kg_secs:.0%} of the raw rate" if kg_secs else "")
    if args.no_queries:
        return
    before = json.loads(args.compare.read_text()) if args.compare else None
    results = []
    bad = 0
    for name, params in cases(store):
        t = time.perf_counter()
        cols, rows = run_query(store, name, params, AS_OF)
        secs = time.perf_counter() - t
        rows = json.loads(json.dumps(rows, default=str))
        results.append({"query": name, "params": params, "columns": cols, "rows": rows, "seconds": secs})
        line = f"{name:28s} {json.dumps(params):40.40s} {len(rows):>7,} rows {secs:7.2f} s"
        if before:
            b = next((r for r in before if r["query"] == name and r["params"] == params), None)
            if b is None:
                line += "  (no saved case)"
            else:
                same = b["columns"] == cols and b["rows"] == rows
                bad += not same
                line += f"  before {b['seconds']:7.2f} s  {'same rows' if same else 'ROWS DIFFER'}"
        print(line, flush=True)
    if args.save:
        args.save.write_text(json.dumps(results, ensure_ascii=False))
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
