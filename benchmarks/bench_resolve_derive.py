"""The resolve, derive and tables stages of `kg build`, timed one by one as the build runs them.

    python benchmarks/bench_resolve_derive.py DIR [DIR ...] [--code PATH ...] [--out TABLES]

DIR is a `kg synth` folder (e.g. `kg synth --firms 100000 --seed 7 --out DIR`). Each DIR is
loaded once per code tree (untimed), then resolve + conflicts ("resolve"), derive_periods
("derive") and write_tables ("tables") are timed: wall and CPU seconds, and the growth of the
process's peak RSS in the stage. ``--code`` runs the same in a child process per kg checkout
(e.g. ``--code /work/main .``), alternated, so two versions meet the same machine load; with
``--out`` each run's tables go to ``TABLES/<n>`` to be compared. Prints a markdown table.

Profile a stage with py-spy the same way, e.g.
``py-spy record -o /tmp/p.txt -f raw -r 100 -- python benchmarks/bench_resolve_derive.py DIR``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def stages(src: Path, out: Path) -> dict:
    """Seconds (wall, CPU) and peak-RSS growth of each stage on one source folder."""
    from kg.conflicts import find_conflicts, write_conflicts
    from kg.derive.timeline import derive_periods
    from kg.loaders.sources import load_sources
    from kg.resolve import resolve
    from kg.tables.write import write_tables

    records = load_sources([src])
    result = {"loaded_rss_gb": round(_rss_gb(), 2)}

    def timed(name, f):
        w, c, r = time.perf_counter(), time.process_time(), _rss_gb()
        v = f()
        result[name] = {"wall": round(time.perf_counter() - w, 2), "cpu": round(time.process_time() - c, 2),
                        "rss_growth_gb": round(_rss_gb() - r, 2)}
        return v

    def resolve_stage():
        res = resolve(records)
        found = find_conflicts(res, records.header)
        write_conflicts(found.table, out / "conflicts.csv")
        return res

    res = timed("resolve", resolve_stage)
    derived = timed("derive", lambda: derive_periods(res))
    timed("tables", lambda: write_tables(res, derived, out / "tables"))
    result["peak_rss_gb"] = round(_rss_gb(), 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--code", nargs="*", default=None, help="kg checkouts to compare (child process each)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:  # one run: DIR, the tables folder
        print(json.dumps(stages(a.dirs[0], a.out)))
        return
    codes = [str(Path(c).resolve()) for c in (a.code or [str(Path(__file__).resolve().parents[1])])]
    print(f"load average {os.getloadavg()[0]:.1f} at start")
    print("| folder | code | round | resolve wall / CPU s | derive wall / CPU s | tables wall / CPU s | peak RSS GB |")
    print("|---|---|---|---|---|---|---|")
    n = 0
    for d in a.dirs:
        for r in range(a.rounds):
            for code in codes:
                n += 1
                out = (a.out / str(n)) if a.out else Path(tempfile.mkdtemp(prefix="bench-rd-"))
                out.mkdir(parents=True, exist_ok=True)
                env = {**os.environ, "PYTHONPATH": code}
                p = subprocess.run([sys.executable, __file__, str(d), "--child", "--out", str(out)], env=env,
                                   capture_output=True, text=True, check=True)
                s = json.loads(p.stdout.strip().splitlines()[-1])
                cells = " | ".join(f"{s[k]['wall']} / {s[k]['cpu']}" for k in ("resolve", "derive", "tables"))
                print(f"| {d.name} | {code} | {r + 1} | {cells} | {s['peak_rss_gb']} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
