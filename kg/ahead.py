"""Work beside work: items made by a thread of their own while the reader works on the ones before
(the RDF store's N-Quads text while Oxigraph parses without Python's lock, kg.rdf.store; the
Cypher graph's staging files while a process of its own COPYs one, kg.cypher.load), and steps a
writer hands to a reader that runs beside it (:class:`Handoff`: the build's tables to the Cypher
load while the build still derives, kg.build).

>>> list(prefetched(iter(["a", "b", "c"])))
['a', 'b', 'c']
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def prefetched(items: Iterable[T], depth: int = 2, name: str = "kg-prefetch") -> Iterator[T]:
    """``items`` made by a thread of their own, which starts on the next one only while fewer
    than ``depth`` made ones wait unread: at most ``depth + 1`` are held at once (those and the
    reader's). An error of the maker is raised to the reader after the items made before it; a
    reader that stops early stops the maker.

    >>> def boom():
    ...     yield 1
    ...     raise ValueError("bad row")
    >>> it = prefetched(boom(), depth=1)
    >>> next(it)
    1
    >>> next(it)
    Traceback (most recent call last):
    ...
    ValueError: bad row
    """
    made: deque = deque()
    changed = threading.Condition()
    stop = threading.Event()
    end = object()

    def give(item) -> None:
        with changed:
            made.append(item)
            changed.notify_all()

    def run() -> None:
        try:
            it = iter(items)
            while True:
                with changed:
                    changed.wait_for(lambda: len(made) < depth or stop.is_set())
                if stop.is_set():
                    return
                try:
                    item = next(it)
                except StopIteration:
                    give(end)
                    return
                give(item)
                del item
        except BaseException as e:  # noqa: BLE001 - handed over to the reader, which raises it
            give(e)

    maker = threading.Thread(target=run, name=name, daemon=True)
    maker.start()
    try:
        while True:
            with changed:
                changed.wait_for(lambda: made)
                item = made.popleft()
                changed.notify_all()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item
    finally:
        stop.set()
        with changed:
            changed.notify_all()
        maker.join()


class Handoff:
    """Values a writer hands to a reader that works beside it, one per named step: the reader's
    :meth:`wait` blocks until the writer has given that step (or failed).

    >>> h = Handoff()
    >>> h.give("resolved", 1)
    >>> h.wait("resolved")
    1
    >>> h.fail(ValueError("the build stopped"))
    >>> h.wait("all")
    Traceback (most recent call last):
    ...
    kg.ahead.Abandoned: the build stopped
    """

    def __init__(self):
        self._given: dict[str, object] = {}
        self._failed: BaseException | None = None
        self._changed = threading.Condition()

    def give(self, step: str, value: object) -> None:
        with self._changed:
            self._given.setdefault(step, value)
            self._changed.notify_all()

    def given(self, step: str) -> bool:
        with self._changed:
            return step in self._given

    def fail(self, error: BaseException) -> None:
        """No step not given yet will be: a reader waiting for one raises :class:`Abandoned`."""
        with self._changed:
            self._failed = error
            self._changed.notify_all()

    def wait(self, step: str) -> object:
        with self._changed:
            self._changed.wait_for(lambda: step in self._given or self._failed is not None)
            if step in self._given:
                return self._given[step]
            raise Abandoned(str(self._failed))


class Abandoned(Exception):
    """The writer of a :class:`Handoff` stopped before it gave the step waited for."""
