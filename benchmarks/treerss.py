"""Resident memory of a process and every process under it (kg build writes its embedded Cypher
database by a process of its own, kg.cypher.copier: a laptop holds both at once, so the build's
memory is their sum, which /usr/bin/time's peak -- the largest one process -- is not).

    with PeakTreeRss(pid) as peak:   # sampled every 50 ms by a thread
        ...
    peak.gb                          # the largest sum seen
"""

from __future__ import annotations

import os
import threading

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out.extend(int(c) for c in f.read().split())
    except OSError:
        pass
    return out


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants now."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _rss(p)
        todo.extend(_children(p))
    return total


class PeakTreeRss:
    """The peak of :func:`tree_rss` of ``pid`` while the ``with`` block runs."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> PeakTreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def gb(self) -> float:
        return self.peak / 1e9
