"""When the embedded Cypher load of one whole ``kg build`` waits, and for what: the build's
steps handed to it (``kg.ahead.Handoff.wait``), each table of the property-graph view made
(``kg.cypher.load._items``), and the COPY side idle for staging files (``_run_copies``), as a
timeline from the build's start. A fresh folder, the load cache on, ``--store later``.

    python benchmarks/bench_cypher_timeline.py /work/s1m /tmp/db1m
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import kg.ahead as ahead
import kg.cypher.load as load

T0 = time.perf_counter()
SECONDS: dict[str, float] = {}
EVENTS: list[str] = []


def _add(what: str, seconds: float) -> None:
    SECONDS[what] = SECONDS.get(what, 0.0) + seconds


def _event(text: str) -> None:
    EVENTS.append(f"{time.perf_counter() - T0:6.1f} s  {text}")


def _timed_iter(it, what: str, each=None):
    it = iter(it)
    while True:
        t = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            _add(what, time.perf_counter() - t)
            return
        _add(what, time.perf_counter() - t)
        if each is not None:
            each(item, time.perf_counter() - t)
        yield item


def _patch() -> None:
    items, wait, run_copies = load._items, ahead.Handoff.wait, load._run_copies

    def timed_items(graph):
        yield from _timed_iter(items(graph), "view tables made (with the waits)",
                               lambda item, s: _event(f"{item[0]} {item[1]} made in {s:.1f} s"))

    def timed_wait(self, step):
        t = time.perf_counter()
        out = wait(self, step)
        _add("waiting for the build's steps", time.perf_counter() - t)
        _event(f"step {step} given after {time.perf_counter() - t:.1f} s")
        return out

    def timed_copies(conn, jobs, report, pool):
        _event("COPY process up")
        run_copies(conn, _timed_iter(jobs, "COPY side idle, waiting for staging files"), report, pool)
        _event("COPYs done")

    load._items, ahead.Handoff.wait, load._run_copies = timed_items, timed_wait, timed_copies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sources", type=Path)
    ap.add_argument("db", type=Path, help="a new database folder")
    args = ap.parse_args()
    _patch()
    from kg.build import build

    report = build([args.sources], args.db, store="later")
    _event("build done")
    print("\n".join(EVENTS))
    print(json.dumps({k: round(v, 1) for k, v in SECONDS.items()}))
    print(json.dumps({"stages": {k: round(v, 1) for k, v in report.seconds.items()}}))


if __name__ == "__main__":
    main()
