"""Benchmark `kg build` against raw Oxigraph bulk loading (the floor) and rdflib (the naive peer).

For each size: generate a synthetic canonical folder (`kg synth`), run `kg build` in a
subprocess (wall time, peak RSS, seconds per stage from build.json), dump the resulting
N-Quads, bulk-load the same quads into a fresh Oxigraph store (the floor), and add them one
by one to an in-memory rdflib Dataset (the naive peer; capped by --rdflib-cap seconds, after
which its rate is measured on the quads it managed and the total is projected -- the table
says so). Results are appended to docs/benchmarks.md.

    python benchmarks/bench_build.py --firms 10000 100000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parents[1]


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM"


def versions() -> str:
    import pandas
    import scipy

    from kg import __version__

    return (f"kg {__version__}, Python {platform.python_version()}, pyoxigraph {ox.__version__}, "
            f"rdflib {rdflib.__version__}, pandas {pandas.__version__}, scipy {scipy.__version__}")


def run_build(src: Path, db: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kg", "build", str(src), "--db", str(db), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    info = json.loads((db / "build.json").read_text())
    return {"wall": wall, "rss_mb": max(rss, before) / 1024, "seconds": info["seconds"], "triples": info["triples"]}


def floor_load(nq: Path, work: Path) -> float:
    path = work / "floor-store"
    t = time.perf_counter()
    store = ox.Store(str(path))
    store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS, lenient=True)  # as kg build does
    store.flush()
    secs = time.perf_counter() - t
    del store
    shutil.rmtree(path, ignore_errors=True)
    return secs


def _quads_of(nq: Path):
    """The quads of an N-Quads file (``.zst``: read through ``zstd -dc``), parsed by Oxigraph."""
    if nq.suffix != ".zst":
        yield from ox.parse(path=str(nq), format=ox.RdfFormat.N_QUADS)
        return
    with subprocess.Popen(["zstd", "-dc", str(nq)], stdout=subprocess.PIPE) as z:
        try:
            yield from ox.parse(z.stdout, format=ox.RdfFormat.N_QUADS)
        finally:
            z.kill()


def rdflib_load(nq: Path, cap: float, max_quads: int, total: int | None = None) -> tuple[float, int, int, bool]:
    """Time making rdflib terms for each quad and adding it to an in-memory rdflib Dataset, one
    by one (the N-Quads text is split by Oxigraph's parser beforehand, untimed); returns
    (seconds, added, total, finished).

    At most ``max_quads`` are added (rdflib needs ~1.8 GB per million quads; 10^5 firms would not
    fit in memory), and the run stops after ``cap`` seconds; the total is then projected linearly
    from the measured rate, which favours rdflib (its rate falls as the graph grows).
    """
    if total is None:
        total = sum(1 for _ in _quads_of(nq))
    quads = []
    for q in _quads_of(nq):
        if len(quads) >= max_quads:
            break
        quads.append(q)

    def term(t):
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    ds = rdflib.Dataset()
    added = 0
    t = time.perf_counter()
    for q in quads:  # a naive loader: make rdflib terms and add each quad
        ds.add((term(q.subject), term(q.predicate), term(q.object), rdflib.URIRef(q.graph_name.value)))
        added += 1
        if added % 10000 == 0 and time.perf_counter() - t > cap:
            break
    secs = time.perf_counter() - t
    return secs, added, total, added == total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rdflib-cap", type=float, default=600.0, help="seconds before the rdflib run is cut and projected")
    ap.add_argument("--rdflib-max-quads", type=int, default=3_000_000, help="quads added to rdflib at most (memory)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = ap.parse_args()

    rows = []
    for n in args.firms:
        work = Path(tempfile.mkdtemp(prefix=f"kgbench-{n}-"))
        src = work / "src"
        subprocess.run([sys.executable, "-m", "kg", "synth", "--firms", str(n), "--seed", str(args.seed), "--out", str(src)],
                       check=True, stdout=subprocess.DEVNULL)
        db = work / "db"
        b = run_build(src, db)
        nq = work / "dump.nq"
        from kg.rdf.store import open_store

        store = open_store(db)
        store.dump(str(nq), format=ox.RdfFormat.N_QUADS)
        del store
        fl = floor_load(nq, work)
        rsecs, added, total, finished = rdflib_load(nq, args.rdflib_cap, args.rdflib_max_quads)
        rdflib_total = rsecs if finished else rsecs * total / added
        row = {
            "firms": n, "quads": b["triples"], "build_s": b["wall"], "rss_mb": b["rss_mb"], "stages": b["seconds"],
            "floor_s": fl, "rdflib_s": rdflib_total, "rdflib_measured": finished, "rdflib_added": added,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "", f"### kg build ({dt.date.today().isoformat()})", "",
        f"Machine: {machine()}. Versions: {versions()}.", "",
        "| firms | quads | kg build (s) | quads/s | peak RSS (MB) | load / resolve / derive / store (s) | raw Oxigraph bulk load (s) | kg rate as share of raw | rdflib one-by-one (s) | kg faster than rdflib |",
        "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        st = r["stages"]
        rd = f"{r['rdflib_s']:.0f}" + ("" if r["rdflib_measured"] else f" (projected from {r['rdflib_added']:,} quads)")
        lines.append(
            f"| {r['firms']:,} | {r['quads']:,} | {r['build_s']:.1f} | {r['quads'] / r['build_s']:,.0f} | {r['rss_mb']:.0f} | "
            f"{st.get('load', 0):.1f} / {st.get('resolve', 0):.1f} / {st.get('derive', 0):.1f} / {st.get('store', 0):.1f} | "
            f"{r['floor_s']:.1f} | {r['floor_s'] / r['build_s']:.0%} | {rd} | {r['rdflib_s'] / r['build_s']:.1f}x |"
        )
    with args.out.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
