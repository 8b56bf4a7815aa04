"""What the embedded store (Oxigraph) costs per row, and the floor of state-capital-flows' default
run at 10^5 firms: the bare reads and printing its answer needs, with no names, filter or sort.

    python benchmarks/bench_query_floor.py --db DB      # a built 10^5-firm graph (kg synth + kg build)

Each case is run ``--repeat`` times in one process and the best time is reported; the time is
Oxigraph evaluating the query and serialising the solutions as TSV (what the query runner reads),
without the runner's Python side. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from kg.rdf.store import open_store  # noqa: E402

PREFIX = "PREFIX kg: <https://w3id.org/accelerator-kg/ont#>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
DERIVED = "<https://w3id.org/accelerator-kg/id/graph/derived>"


def _joined(subject: str, props: list[str], graph: str | None = None) -> str:
    """One hash-joined subquery per property (the cheapest way Oxigraph reads many rows)."""
    parts = []
    for p in props:
        pattern = f"?{subject} kg:{p} ?{p}"
        if graph:
            pattern = f"GRAPH {graph} {{ {pattern} }}"
        parts.append(f"{{ SELECT ?{subject} ?{p} WHERE {{ {pattern} }} }}")
    return "\n".join(parts)


FLOW = ["lookThroughRecipient", "hops", "date", "lookThroughSource", "via", "share", "instrument", "amount"]
FIRM = ["stateInfluence", "stateShare", "stateControlled", "explanation"]

#: (label, query, what it shows)
CASES = [
    ("one property, counted", "SELECT (COUNT(*) AS ?n) WHERE { ?fl kg:lookThroughSource ?s }",
     "an index scan (43,811 flows)"),
    ("one property, printed", "SELECT ?fl ?s WHERE { ?fl kg:lookThroughSource ?s }",
     "the scan plus decoding two IRIs per row"),
    ("two properties, lookup join, counted",
     "SELECT (COUNT(*) AS ?n) WHERE { ?fl kg:lookThroughSource ?s . ?fl kg:lookThroughRecipient ?r }",
     "an index lookup per row"),
    ("two properties, hash join, counted",
     "SELECT (COUNT(*) AS ?n) WHERE { " + _joined("fl", ["lookThroughSource", "lookThroughRecipient"]) + " }",
     "a second scan and a hash join"),
    ("state-capital-flows floor: 8 flow properties, printed",
     "SELECT * WHERE { " + _joined("fl", FLOW, DERIVED) + " }",
     "the flows' stored properties and nothing else (no names, filters, sort)"),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="a built database folder")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    store = open_store(args.db)
    lines = ["| case | rows | s | us per row | shows |", "|---|---:|---:|---:|---|"]
    for label, q, shows in CASES:
        best, rows = None, 0
        for _ in range(args.repeat):
            t = time.perf_counter()
            data = store.query(PREFIX + q, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV)
            d = time.perf_counter() - t
            best = d if best is None else min(best, d)
        text = data.decode("utf-8").splitlines()
        rows = int(text[1]) if "COUNT" in q else len(text) - 1
        n = 43811 if "COUNT" in q else rows
        lines.append(f"| {label} | {rows} | {best:.3f} | {best / max(n, 1) * 1e6:.1f} | {shows} |")
        print(lines[-1], file=sys.stderr, flush=True)
        if label.startswith("state-capital-flows floor: "):
            flows_tsv = data
    # the query runner's side: reading the printed flow rows into normalised Python rows
    from kg.queries.run import _normalised
    from kg.rdf.query import tsv_columns

    best = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        _, columns = tsv_columns(flows_tsv)
        rows = list(map(list, zip(*[_normalised(c) for c in columns], strict=True)))
        d = time.perf_counter() - t
        best = d if best is None else min(best, d)
    lines.append(f"| state-capital-flows floor, read by the query runner (Python) | {len(rows)} | {best:.3f} | "
                 f"{best / len(rows) * 1e6:.1f} | the same TSV into normalised rows |")
    load = os.getloadavg()[0]
    print(f"{len(store):,} triples; best of {args.repeat}; {os.cpu_count()} CPUs, load average {load:.1f} at the end.\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
