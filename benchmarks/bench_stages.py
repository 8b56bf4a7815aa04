"""Each stage of one whole build (``kg.build.build``, ``--store later``, no load cache): wall and
CPU seconds, the peak resident memory within the stage (sampled every 50 ms from /proc, this
process and the processes it starts summed: benchmarks/treerss.py) and the resident memory when
it starts and ends. With the Cypher database loaded beside derive, the ``cypher`` stage is what
the build waits for after its tables. The issue-12 memory target
is about the peak of the whole build; this says which stage makes it.

    python benchmarks/bench_stages.py /work/s1m /tmp/db1m
    PYTHONPATH=/other/checkout python benchmarks/bench_stages.py /work/s100k /tmp/db   # another tree
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

if "PYTHONPATH" not in os.environ:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from treerss import tree_rss  # noqa: E402 - benchmarks/ on the path first


def rss_gb() -> float:
    """This process and the ones it started (the Cypher COPY process), summed."""
    return tree_rss(os.getpid()) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sources", type=Path)
    ap.add_argument("db", type=Path)
    args = ap.parse_args()
    from kg.build import build

    current, peak, marks = ["start"], {}, []

    def sample() -> None:
        while True:
            r, s = rss_gb(), current[0]
            peak[s] = max(peak.get(s, 0.0), r)
            time.sleep(0.05)

    def stage(name: str) -> None:
        current[0] = name
        marks.append((name, time.perf_counter(), time.process_time(), rss_gb()))

    threading.Thread(target=sample, daemon=True).start()
    build([args.sources], args.db, stage=stage, store="later", cache=False, replace=True)
    stage("end")
    print(f"{args.sources} ({os.getloadavg()[0]:.1f} load average at the end)\n")
    print("| stage | wall s | CPU s | peak GB | start GB | end GB |\n|---|---:|---:|---:|---:|---:|")
    for (n, w, c, r), (_, w2, c2, r2) in zip(marks, marks[1:], strict=False):
        print(f"| {n} | {w2 - w:.1f} | {c2 - c:.1f} | {peak.get(n, 0):.2f} | {r:.2f} | {r2:.2f} |")
    w = marks[-1][1] - marks[0][1]
    c = marks[-1][2] - marks[0][2]
    print(f"| whole | {w:.1f} | {c:.1f} | {max(peak.values()):.2f} (this process's own maxrss "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f}) | | |")


if __name__ == "__main__":
    main()
