"""kg's store stage against a raw Oxigraph bulk load of the same quads, alternated in one process.

kg: the N-Quads text written by kg.rdf.nquads (a thread ahead of the loader) and streamed into
``Store.bulk_load``, then ``optimize`` (what ``kg build`` does after derive). Raw: the same quads
from a file written beforehand (untimed), ``Store.bulk_load(path=...)``, then ``optimize``.
Loading, resolving and deriving run once, untimed.

    python benchmarks/bench_store_stage.py /tmp/synth-100000 --rounds 1
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from kg.derive.facts import derive  # noqa: E402
from kg.loaders.sources import load_sources  # noqa: E402
from kg.rdf import nquads  # noqa: E402
from kg.rdf.store import _ChunkReader, prefetched  # noqa: E402
from kg.resolve import resolve  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("source", type=Path, help="a kg synth folder")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    res = resolve(load_sources([args.source]))
    d = derive(res)

    def chunks():
        yield nquads.static_nquads()
        yield from nquads.resolved_nquads(res)
        yield from nquads.derived_quads(d, nquads.own_values(res))

    work = Path(tempfile.mkdtemp(prefix="kg-store-stage-"))
    try:
        nq = work / "quads.nq"
        with open(nq, "w", encoding="utf-8") as f:
            for c in chunks():
                f.write(c)
        for rnd in range(args.rounds):
            for kind in ("raw", "kg"):
                shutil.rmtree(work / "store", ignore_errors=True)
                t = time.perf_counter()
                store = ox.Store(str(work / "store"))
                if kind == "raw":
                    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS, lenient=True)
                else:
                    reader = io.BufferedReader(_ChunkReader(prefetched(chunks())), 1 << 20)
                    store.bulk_load(reader, format=ox.RdfFormat.N_QUADS, lenient=True)
                store.optimize()
                store.flush()
                n = len(store)
                del store
                secs = time.perf_counter() - t
                print(f"round {rnd} {kind:4s} {n:,} quads {secs:6.1f} s {n / secs:,.0f} quads/s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
