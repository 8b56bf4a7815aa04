"""``kg build``'s progress on stderr: one rich progress bar per stage (load, resolve, derive,
store, optimize and any stage a later version adds), with counts and an estimate of the time left.

The build reports through two callbacks (kg.build.build): ``stage(name)`` when a stage starts
(the previous one is then done) and ``progress(stage, done, total, note)`` within the long
ones: load counts bytes of the files read (so the estimate follows the data, not the number of
files) with "k/n files, r rows"; store counts the quads streamed into Oxigraph. The store has
no total of its own; the previous build of the same sources in the folder gives the expected
count (build.json), and the bar then estimates the time left from it.

Shown only on a terminal (stderr, or $KG_TERMINAL=1) and without ``--quiet``; the bars stay on
screen when the build ends, as a record of where the time went. rich is imported only then.

>>> import io
>>> from rich.console import Console
>>> con = Console(file=io.StringIO(), width=100, color_system=None)
>>> with BuildProgress(con) as bars:
...     bars.stage("load")
...     bars.progress("load", 50, 100, "1/2 files, 10 rows")
...     bars.progress("load", 100, 100, "2/2 files, 20 rows")
...     bars.stage("resolve")
>>> [(t.description.strip(), t.completed, t.total, t.fields["note"]) for t in bars.bars.tasks]
[('load', 100, 100, '2/2 files, 20 rows'), ('resolve', 1, 1, '')]
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BuildProgress", "build_progress"]


class BuildProgress:
    """Progress bars for the stages of a build; use as a context manager and pass ``stage`` and
    ``progress`` to kg.build.build. ``expected`` maps a stage to the count it will probably reach
    (e.g. the quads of the previous build)."""

    def __init__(self, console, expected: dict[str, int] | None = None):
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bars = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[left]}", style="cyan"),
            console=console,
            transient=False,
        )
        self.expected = dict(expected or {})
        self._tasks: dict[str, int] = {}
        self._current: str | None = None

    def __enter__(self) -> BuildProgress:
        self.bars.start()
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self._finish()
        self.bars.stop()

    def stage(self, name: str) -> None:
        """A stage starts; the one before it is done."""
        if name in self._tasks:
            return
        self._finish()
        self._tasks[name] = self.bars.add_task(f"{name:<9}", total=self.expected.get(name), note="", left="")
        self._current = name

    def progress(self, stage: str, done: int, total: int | None, note: str = "") -> None:
        """How far ``stage`` has come (``total`` None: not known beforehand)."""
        self.stage(stage)
        if total is None:
            guess = self.expected.get(stage)
            total = None if guess is None else max(guess, done)
        task = self._tasks[stage]
        self.bars.update(task, completed=done, total=total, note=note)
        left = self.bars.tasks[task].time_remaining if total else None
        self.bars.update(task, left="" if left is None or done >= total else f"~{_clock(left)} left")

    @contextmanager
    def paused(self):
        """Take the bars off the screen while something else talks to the user (a question)."""
        self.bars.stop()
        try:
            yield
        finally:
            self.bars.start()

    def _finish(self) -> None:
        if self._current is None:
            return
        task = self._tasks[self._current]
        done = self.bars.tasks[task].completed or 1
        self.bars.update(task, completed=done, total=done, left="")
        self._current = None


def _clock(seconds: float) -> str:
    """
    >>> _clock(3725.2)
    '1:02:05'
    """
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}"


def build_progress(db: Path, sources: list, quiet: bool) -> BuildProgress | None:
    """The bars for a build of ``sources`` into ``db`` on stderr; None with ``quiet`` or when
    stderr is no terminal ($KG_TERMINAL decides in tests). The live graph's build.json, when it
    was built from the same sources, says how many quads the store stage will probably write."""
    from kg.cli.output import is_terminal
    from kg.rdf.store import build_info

    if quiet or not is_terminal(sys.stderr):
        return None
    try:
        info = build_info(db)
    except (OSError, ValueError):  # unreadable or not JSON: no estimate, the build will say more
        info = {}
    same = info.get("sources") == [str(s) for s in sources] and info.get("triples")
    from rich.console import Console

    return BuildProgress(Console(file=sys.stderr, highlight=False), {"store": info["triples"]} if same else {})
