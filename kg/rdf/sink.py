"""The RDF store as a sink of a generation: loaded once, by one process, never seen half-loaded.

A build makes its generation live once its graph tables (and the embedded Cypher graph) are
whole. The generation's Oxigraph store is loaded from those tables either by the build itself
(``kg build --store now``, the default), by a detached process the build starts (``--store
background``), or by the first reader that needs it (``--store later``: ``kg sparql``, ``kg
validate``, ``kg serve`` ... through :func:`kg.rdf.store.open_store`). Whoever loads it:

* holds ``GEN/.store.lock`` (flock, exclusive) while it loads, so one process loads a store;
* bulk-loads into ``GEN/store.partial`` and renames it to ``GEN/store`` once it is whole and
  compacted, so a reader opens a complete store or none;
* records what it did in ``GEN/store.json`` (quads, seconds, pid) or why it failed in
  ``GEN/store.failed``.

An incremental build (kg.incremental) whose live generation's store is loaded leaves a copy of
that store in ``GEN/store.base`` (a RocksDB checkpoint: hard links, no copying); the store is
then that copy with the quads of the rows the build appended (``manifest.appended``) bulk-loaded
on, instead of every quad again. Quads are a set, so the statements every build writes
(ontology, reference entities, method texts) are not doubled.

A reader that finds no store waits for the process holding the lock (saying so once), or, when
none holds it (no background loader was started, or it was killed), loads the store itself. A
background loader holds its generation as a reader does (kg/dbfolder.py), so no build removes a
generation while its store loads, and it stops when a newer build has replaced its generation.

>>> import tempfile, pathlib
>>> gen = pathlib.Path(tempfile.mkdtemp())
>>> ready(gen)
False
>>> load(gen, lambda: ['<http://e/a> <http://e/p> "1" <http://e/g> .\\n'])
1
>>> ready(gen), load(gen, lambda: [])  # loaded once: a second call finds it whole
(True, 1)
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kg.rdf import nquads
from kg.rdf.store import STORE, bulk_load, store_dir

MODES = ("now", "background", "later")
"""When a build loads its RDF store: in the build, by a process of its own, or on first need."""

PARTIAL = f"{STORE}.partial"
BASE = f"{STORE}.base"
LOCK = ".store.lock"
DONE = f"{STORE}.json"
FAILED = f"{STORE}.failed"
LOG = f"{STORE}.log"
_LOADING = f"{DONE}.loading"


class Superseded(Exception):
    """A background load stopped because a newer build replaced its generation."""


def default_mode() -> str:
    """``$KG_STORE`` when it names a mode, else ``background``: ``kg build`` ends once the graph
    tables and the embedded Cypher graph are live, and the RDF store loads behind it (a SPARQL
    command that comes first waits for it).

    >>> default_mode() in MODES
    True
    """
    mode = os.environ.get("KG_STORE", "").strip().lower()
    return mode if mode in MODES else "background"


def ready(gen: Path) -> bool:
    """True when the generation's store is whole (loaded and renamed into place)."""
    return store_dir(gen).is_dir()


def status(gen: Path) -> dict:
    """What is known of the generation's store: ``state`` ready / loading / failed / absent, and
    the record of the load (quads, seconds) or of the failure (error)."""
    if ready(gen):
        return {"state": "ready", **(_read(gen / DONE) or {})}
    if _locked(gen):
        return {"state": "loading", **(_read(gen / _LOADING) or {})}
    failed = _read(gen / FAILED)
    if failed:
        return {"state": "failed", **failed}
    return {"state": "absent"}


def tables_quads(tables, rows: int | None = None) -> Iterator[str]:
    """The N-Quads of the RDF store, written from the graph tables (the store is one of their
    sinks): the ontology and reference entities, the sources, the derived facts. The tables are
    read a slice of rows at a time, and the derived ones one by one, so memory is bounded by a
    slice (``rows`` rows; default kg.tables.read.SLICE_ROWS) and the largest derived table
    compared whole, not by the graph."""
    import pyarrow as pa

    yield nquads.static_nquads()
    resolved = tables.resolved_slices(rows)
    yield from nquads.resolved_nquads(resolved)
    derived = tables.derived_lazily(rows)
    if derived is None:
        return
    # what derived values left out when equal compare with, of the loaded nodes they name only
    own = nquads.own_values(resolved, among=_referred(tables))
    pa.default_memory_pool().release_unused()  # the parts' key columns read for it
    yield from nquads.derived_quads(derived, own)


def _referred(tables):
    """The loaded nodes (tables' IRIs) the derived tables name (nquads.REFERRING), distinct."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = [tables.read(f"derived.{frame}", [col]) for frame, col in nquads.REFERRING if f"derived.{frame}" in tables]
    arrays = [t.column(0).combine_chunks() for t in parts if t.num_columns and t.num_rows]
    arrays = [a.cast(pa.string()) for a in arrays]
    out = pc.unique(pa.concat_arrays(arrays)) if arrays else pa.array([], pa.string())
    del parts, arrays
    # Arrow's allocator keeps freed pages: the look-up set of 4 M IRIs left 1.5 GB held at 10^6 firms
    pa.default_memory_pool().release_unused()
    return out


def generation_quads(gen: Path) -> Iterator[str]:
    """The N-Quads of a generation's store, from its graph tables: the quads of the rows it
    appended where it starts from a copy of the store before (:data:`BASE`)."""
    from kg.tables.append import delta_tables
    from kg.tables.read import open_tables, tables_dir

    tables = open_tables(tables_dir(gen))
    if (gen / BASE).is_dir():
        tables = delta_tables(tables.folder, tables.manifest)
    yield from tables_quads(tables)


def keep_base(live: Path, gen: Path) -> bool:
    """Leave a copy of the live generation's store in ``gen`` (:data:`BASE`) for the store of
    ``gen`` to start from; False (nothing done) if that store is not loaded."""
    import pyoxigraph as ox

    if not ready(live):
        return False
    ox.Store.read_only(str(store_dir(live))).backup(str(gen / BASE))
    return True


def load(gen: Path, quads: Callable[[], Iterable[str | bytes]] | None = None, *, progress=None,
         on_wait: Callable[[str], None] | None = None) -> int:
    """Make sure the generation's store is loaded: wait for the process loading it, or load it
    here from ``quads()`` (default: the generation's tables; called only if this process
    loads). Returns the store's quads. ``progress`` as for :func:`kg.rdf.store.bulk_load`."""
    if ready(gen):
        return _quads(gen)
    fd = os.open(gen / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(_waiting_text(gen))
            fcntl.flock(fd, fcntl.LOCK_EX)
        if ready(gen):
            return _quads(gen)
        return _load_locked(gen, quads or (lambda: generation_quads(gen)), progress)
    finally:
        os.close(fd)


def _load_locked(gen: Path, quads: Callable[[], Iterable[str | bytes]], progress) -> int:
    partial = gen / PARTIAL
    shutil.rmtree(partial, ignore_errors=True)  # left by a loader that was killed
    (gen / FAILED).unlink(missing_ok=True)
    _write(gen / _LOADING, {"pid": os.getpid(), "started": time.time()})
    t = time.perf_counter()
    # from the copy of the store before, with the quads of the appended rows (generation_quads
    # sees BASE while it reads); a failed load removes the copy, and the next one loads all
    base = (gen / BASE).is_dir()
    target = gen / BASE if base else partial
    read = [0]

    def counted(chunks):
        for c in chunks:
            read[0] += c.count("\n" if isinstance(c, str) else b"\n")
            yield c

    try:
        n = bulk_load(target, counted(quads()), progress, optimize=not base)
    except BaseException as e:
        shutil.rmtree(target, ignore_errors=True)
        if not isinstance(e, Superseded):
            _write(gen / FAILED, {"error": f"{type(e).__name__}: {e}", "pid": os.getpid(), "at": time.time()})
        raise
    finally:
        (gen / _LOADING).unlink(missing_ok=True)
    _write(gen / DONE, {"quads": n, "seconds": round(time.perf_counter() - t, 3), "pid": os.getpid(),
                        "loaded": time.time(), "appended": base, "read": read[0]})
    os.rename(target, store_dir(gen))
    return n


def spawn(gen: Path) -> int:
    """Start a detached process that loads the generation's store from its tables (it outlives
    the command that started it); returns its pid. Its output goes to ``GEN/store.log``."""
    with open(gen / LOG, "ab") as log:
        p = subprocess.Popen([sys.executable, "-m", "kg.rdf.sink", str(gen)], stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    return p.pid


def _while_live(gen: Path, chunks: Iterable[str | bytes], every: int = 8) -> Iterator[str | bytes]:
    """The chunks, stopping (Superseded) once the generation is no longer the live one."""
    from kg.dbfolder import live_generation

    db = gen.parent.parent
    for i, c in enumerate(chunks):
        if i % every == 0 and live_generation(db) != gen:
            raise Superseded(f"build {gen.name} is no longer live; its RDF store is not needed")
        yield c


def _background(gen: Path) -> int:
    """The detached loader: hold the generation, load its store unless a newer build replaced it."""
    fd = os.open(gen, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # as a reader: no build removes it meanwhile
        try:
            n = load(gen, lambda: _while_live(gen, generation_quads(gen)))
        except Superseded as e:
            print(e, flush=True)
            return 0
        print(f"loaded {n} quads into {store_dir(gen)}", flush=True)
        return 0
    finally:
        os.close(fd)


def _waiting_text(gen: Path) -> str:
    started = (_read(gen / _LOADING) or {}).get("started")
    since = f", started {time.time() - started:.0f} s ago" if started else ""
    return f"waiting for the RDF store of build {gen.name} to finish loading{since}"


def _locked(gen: Path) -> bool:
    try:
        fd = os.open(gen / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _quads(gen: Path) -> int:
    done = _read(gen / DONE)
    if done and done.get("quads") is not None:
        return int(done["quads"])
    import pyoxigraph as ox

    return len(ox.Store.read_only(str(store_dir(gen))))


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(_background(Path(sys.argv[1])))
