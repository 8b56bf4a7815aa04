"""The load cache (kg/loaders/cache.py): rebuilding after adding a 1,000-row source, with and
without the cache, alternated in one run; and what filling the cache costs a first build.

For ``kg synth --firms N --seed 7``: a first build into an empty folder without the cache and
one filling it; then ``--rounds`` pairs of rebuilds of the same folder with a new 1,000-row
source (a new folder each round, so it is read while the rest may come from the cache):
``--no-cache`` then the default. Every build is the whole command (``kg build ... --quiet
--store later``) under /usr/bin/time; the load stage is build.json's ``seconds.load``.

    python benchmarks/bench_load_cache.py --firms 100000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scale import KG, add_source, timed  # noqa: E402


def build(sources: list[Path], db: Path, *extra: str) -> dict:
    r = timed([*KG, "build", *map(str, sources), "--db", str(db), "--quiet", "--store", "later", *extra])
    info = json.loads((db / "build.json").read_text(encoding="utf-8"))
    return {"wall": r["s"], "cpu": r["cpu"], "rss": r["rss"], "load": info["seconds"]["load"],
            "cache": info.get("load_cache"), "loadavg": os.getloadavg()[0]}


def row(name: str, r: dict) -> str:
    c = r["cache"]
    hits = "-" if c is None else f"{c['from_cache']}/{c['files']}"
    return f"| {name} | {r['load']:.2f} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['rss']:.0f} | {hits} | {r['loadavg']:.1f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firms", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None, help="folder for the data (default: a temporary one)")
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="kg-bench-cache-"))
    src = work / "synth"
    if not src.exists():
        timed([*KG, "synth", "--firms", str(a.firms), "--seed", "7", "--out", str(src)])
    rows = ["| build | load stage (s) | whole command (s) | CPU (s) | peak RSS (MiB) | files from cache | load average |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name in ("empty", "warm"):
        shutil.rmtree(work / name, ignore_errors=True)
    rows.append(row("first build, no cache", build([src], work / "empty", "--no-cache")))
    rows.append(row("first build, filling the cache", build([src], work / "warm")))
    for k in range(1, a.rounds + 1):
        added = work / f"added{k}"
        shutil.rmtree(added, ignore_errors=True)
        add_source(src, added)
        rows.append(row(f"rebuild + 1,000 rows ({k}), --no-cache", build([src, added], work / "warm", "--no-cache")))
        rows.append(row(f"rebuild + 1,000 rows ({k}), cache", build([src, added], work / "warm")))
    print("\n".join(rows))


if __name__ == "__main__":
    main()
