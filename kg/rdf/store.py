"""The embedded RDF store: Oxigraph on disk, one per generation of a database folder.

A build bulk-loads a fresh store into its own generation (``DB/builds/<stamp>/store``) and the
generation becomes live only when the whole build has succeeded (kg/dbfolder.py), so a failed
or interrupted build leaves the previous store answering queries. Readers open the live
generation's store and hold it for as long as they use the store object.

>>> import tempfile, pathlib
>>> from kg.dbfolder import new_generation, publish, writer_lock
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> with writer_lock(db):
...     gen = new_generation(db)
...     build_store(gen, ['<http://e/a> <http://e/p> "1" <http://e/g> .\\n'])
...     publish(db, gen)
1
>>> len(open_store(db))
1
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.ahead import prefetched
from kg.dbfolder import hold_graph, keep_held

DEFAULT_DB = "kg-data"


class StoreError(Exception):
    """The store is missing or unusable (one line)."""


def default_db() -> Path:
    """The database folder: $KG_DB, else ./kg-data."""
    return Path(os.environ.get("KG_DB") or DEFAULT_DB)


class _ChunkReader(io.RawIOBase):
    """A binary file-like object over an iterator of text chunks (streams into bulk_load).

    Each chunk is encoded once and read through a memoryview at an offset: no copy of the rest
    of the chunk per read (slicing bytes would copy it each time, quadratic in the chunk size).

    >>> r = _ChunkReader(["ab", "", "cde"])
    >>> b = bytearray(2)
    >>> [bytes(b[:r.readinto(b)]) for _ in range(4)], r.bytes
    ([b'ab', b'cd', b'e', b''], 5)
    """

    def __init__(self, chunks: Iterable[str | bytes]):
        self._it = iter(chunks)
        self._buf = memoryview(b"")
        self._pos = 0
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while self._pos >= len(self._buf):
            try:
                c = next(self._it)
            except StopIteration:
                return 0
            self._buf = memoryview(c.encode("utf-8") if isinstance(c, str) else c)
            self._pos = 0
        n = min(len(b), len(self._buf) - self._pos)
        b[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        self.bytes += n
        return n


STORE = "store"  # the Oxigraph store's folder in a generation


def store_dir(gen: Path) -> Path:
    """Where a generation keeps its Oxigraph store (an earlier layout's generation is the store)."""
    return gen if gen.name.startswith("store-") else gen / STORE


def build_store(gen: Path, chunks: Iterable[str | bytes], progress=None) -> int:
    """Bulk-load N-Quads chunks into the generation's new store; returns the number of quads
    (see :func:`bulk_load`; a build loads through :func:`kg.rdf.sink.load`)."""
    return bulk_load(store_dir(gen), chunks, progress)


def bulk_load(path: Path, chunks: Iterable[str | bytes], progress=None, *, optimize: bool = True) -> int:
    """Bulk-load N-Quads chunks into the store at ``path`` (new, or one to add to), compacted
    unless ``optimize`` is False (a few quads added); returns the number of quads in the store.
    ``progress("store", quads so far, None, note)`` hears of each chunk, then
    ``progress("optimize", 0, None, "")`` of the compaction."""
    if progress is not None:
        chunks = _counted(chunks, progress)
    store = ox.Store(str(path))
    try:
        # lenient: the quads come from our own writer, which escapes literals and quotes IRIs
        reader = io.BufferedReader(_ChunkReader(prefetched(chunks, name="kg-nquads-writer")), 1 << 20)
        store.bulk_load(reader, format=ox.RdfFormat.N_QUADS, lenient=True)
        if optimize:
            if progress is not None:
                progress("optimize", 0, None, "")
            store.optimize()  # compact the bulk-loaded files: reads are ~3x faster afterwards
        store.flush()
        return len(store)
    finally:
        store = None  # closes the database now, also when a traceback keeps this frame


def _counted(chunks: Iterable[str | bytes], progress):
    """The chunks as bytes, telling ``progress`` how many quads (lines) have gone so far."""
    n = 0
    for c in chunks:
        b = c.encode("utf-8") if isinstance(c, str) else c
        n += b.count(b"\n")
        progress("store", n, None, f"{n:,} quads")
        yield b


def open_store(db: Path, read_only: bool = True, on_wait=None) -> ox.Store:
    """Open the live store of a database folder; it stays whole while the returned store is in use
    (a build removes no generation a reader holds). A generation whose store is not loaded yet
    (``kg build --store background|later``) is loaded first, or waited for (``on_wait(text)``
    hears of it; default: a line on stderr) -- see kg/rdf/sink.py."""
    gen, fd = hold_graph(db, StoreError)
    try:
        _ensure_loaded(gen, on_wait)
        path = str(store_dir(gen))
        store = ox.Store.read_only(path) if read_only else ox.Store(path)
    except OSError as e:
        os.close(fd)
        raise StoreError(f"cannot open the graph in {db}: {e}") from None
    except BaseException:
        os.close(fd)
        raise
    keep_held(store, fd)
    return store


def _ensure_loaded(gen: Path, on_wait) -> None:
    if store_dir(gen).is_dir():
        return
    from kg.rdf import sink

    say = on_wait or (lambda text: print(text, file=sys.stderr, flush=True))
    if sink.status(gen)["state"] != "loading":
        say(f"loading the RDF store of build {gen.name} from its graph tables (once; later commands reuse it)")
    sink.load(gen, on_wait=say)


def build_info(db: Path) -> dict:
    """What the build of the live graph recorded (DB/build.json), or {}."""
    p = db / "build.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
