"""The embedded RDF store: Oxigraph on disk, built atomically.

A database folder holds ``current`` (a symlink to the live store), the stores themselves
(``store-<stamp>``), ``rejects.csv`` and ``build.json``. A build bulk-loads a fresh store next
to the live one and switches the symlink only when it has fully succeeded, so a failed or
interrupted build leaves the previous store answering queries.

>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build_store(db, ['<http://e/a> <http://e/p> "1" <http://e/g> .\\n'])
>>> len(open_store(db))
1
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

DEFAULT_DB = "kg-data"


class StoreError(Exception):
    """The store is missing or unusable (one line)."""


def default_db() -> Path:
    """The database folder: $KG_DB, else ./kg-data."""
    return Path(os.environ.get("KG_DB") or DEFAULT_DB)


class _ChunkReader(io.RawIOBase):
    """A binary file-like object over an iterator of text chunks (streams into bulk_load)."""

    def __init__(self, chunks: Iterable[str | bytes]):
        self._it = iter(chunks)
        self._buf = b""
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                c = next(self._it)
            except StopIteration:
                return 0
            self._buf = c.encode("utf-8") if isinstance(c, str) else c
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        self.bytes += n
        return n


def live_path(db: Path) -> Path:
    return db / "current"


def build_store(db: Path, chunks: Iterable[str | bytes], meta: dict | None = None) -> Path:
    """Bulk-load N-Quads chunks into a new store and make it the live one."""
    db.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path = db / f"store-{stamp}"
    try:
        store = ox.Store(str(path))
        # lenient: the quads come from our own writer, which escapes literals and quotes IRIs
        store.bulk_load(io.BufferedReader(_ChunkReader(chunks), 1 << 20), format=ox.RdfFormat.N_QUADS, lenient=True)
        store.optimize()  # compact the bulk-loaded files: reads are ~3x faster afterwards
        store.flush()
        del store
        tmp_link = db / f".current-{stamp}"
        os.symlink(path.name, tmp_link)
        os.replace(tmp_link, live_path(db))
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    if meta is not None:
        (db / "build.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    for old in db.glob("store-*"):
        if old.name != path.name:
            shutil.rmtree(old, ignore_errors=True)
    return path


def open_store(db: Path, read_only: bool = True) -> ox.Store:
    """Open the live store of a database folder."""
    live = live_path(db)
    if not live.exists():
        raise StoreError(f"no graph in {db}; build one first with 'kg build' (or point --db / KG_DB at one)")
    try:
        return ox.Store.read_only(str(live.resolve())) if read_only else ox.Store(str(live.resolve()))
    except OSError as e:
        raise StoreError(f"cannot open the graph in {db}: {e}") from None


def build_info(db: Path) -> dict:
    """What the last successful build recorded (build.json), or {}."""
    p = db / "build.json"
    return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
