"""The load stage alone (kg.loaders.sources.load_sources): wall, CPU and peak RSS of reading a
folder into Records, for one or more checkouts of kg, alternated in one run.

Each measurement is a fresh process (``python -c ...`` with PYTHONPATH set to the checkout), so
imports are not counted and peak RSS is the load's own. ``--code`` names the checkouts to compare
(default: this one); ``--rounds`` alternates them.

    python benchmarks/bench_load.py /work/s100k --code /work/main . --rounds 2

The profile behind docs/benchmarks.md "Load stage, session 7":

    py-spy record -o /tmp/load.txt -f raw -r 200 -- python -c \\
      "from pathlib import Path; from kg.loaders.sources import load_sources; load_sources([Path('DIR')])"
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
from kg.loaders.sources import load_sources
t, c = time.perf_counter(), time.process_time()
r = load_sources([Path(sys.argv[1])])
wall, cpu = time.perf_counter() - t, time.process_time() - c
rows = sum(f.rows for f in r.files)
print(json.dumps({"wall": wall, "cpu": cpu, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": rows, "rejects": len(r.rejects)}))
"""


def measure(code: Path, folder: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(folder)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return {**json.loads(out.strip().splitlines()[-1]), "loadavg": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--code", nargs="+", type=Path, default=[Path(__file__).resolve().parents[1]])
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    print("| checkout | round | load wall (s) | load CPU (s) | peak RSS (MB) | rows | rejects | load average |")
    print("|---|---|---|---|---|---|---|---|")
    for k in range(args.rounds):
        for code in args.code:
            r = measure(code.resolve(), args.folder)
            print(f"| {code} | {k + 1} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss']:.0f} | {r['rows']:,} | "
                  f"{r['rejects']} | {r['loadavg']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
