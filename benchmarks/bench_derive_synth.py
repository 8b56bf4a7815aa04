"""Benchmark of the whole derive stage of `kg build` on `kg synth` graphs.

    python benchmarks/bench_derive_synth.py --firms 100000 1000000

For each size: generate a canonical folder with ``kg synth``, load and resolve it (timed, not
part of the figure), then time ``kg.derive.facts.derive`` -- integrated ownership, control,
ultimate controllers, state share and influence, size classes, look-through flows of state
capital, weak firm-years -- as ``kg build`` runs it (wall and CPU seconds, peak RSS of the
process so far). Prints a markdown table; the target is <= 60 s at 10^6 firms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.derive.facts import derive  # noqa: E402
from kg.loaders.mapping import load_mapping  # noqa: E402
from kg.loaders.sources import load_sources  # noqa: E402
from kg.resolve import resolve  # noqa: E402
from kg.synth import generate  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(firms: int, seed: int, as_of: dt.date) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-derive-{firms}-"))
    generate(work / "src", firms=firms, seed=seed)
    t = time.perf_counter()
    res = resolve(load_sources([work / "src"], load_mapping(), None))
    prep = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    d = derive(res, as_of=as_of)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {"firms": firms, "entities": len(res.entities), "prep": prep, "wall": wall, "cpu": cpu,
            "rss": peak_rss_mb(), "integrated": len(d.integrated), "flows": len(d.flows)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default="2023-12-31")
    args = ap.parse_args(argv)
    rows = []
    for n in args.firms:
        r = run(n, args.seed, dt.date.fromisoformat(args.as_of))
        print(r, file=sys.stderr, flush=True)
        rows.append(r)
    load = os.getloadavg()[0]
    print(f"\n`kg synth --seed {args.seed}`, derived at {args.as_of}; {os.cpu_count()} cores, load average {load:.1f} at the end.\n")
    print("| firms | entities | load + resolve (s) | derive wall (s) | derive CPU (s) | integrated-ownership facts | look-through flows | peak RSS (MB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['firms']:,} | {r['entities']:,} | {r['prep']:.1f} | {r['wall']:.1f} | {r['cpu']:.1f} | "
              f"{r['integrated']:,} | {r['flows']:,} | {r['rss']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
