"""The database folder: kg's marker, one writer at a time, generations, the live pointer, cleanup.

::

    DB/.kg-db                       marker: this folder is a kg database (JSON: format, kg_version, created)
    DB/.lock                        the writer lock (flock); its text names the build holding it
    DB/current -> builds/<stamp>    the live generation; a symlink switched atomically
    DB/build.json -> current/build.json     what built the live graph
    DB/rejects.csv -> current/rejects.csv   the rows that live graph left out
    DB/conflicts.csv -> current/conflicts.csv   where its sources disagree (kg conflicts)
    DB/builds/<stamp>/              one generation per build: .kg-generation (kg made it, when,
                                    which process), tables/ (the graph tables, kg.tables: the
                                    build's product) and what its sinks wrote into it (store/ for
                                    Oxigraph), build.json, rejects.csv

A build holds the writer lock from start to end, writes a new generation, and points
``current`` at it only when it is whole. Readers resolve ``current`` once and hold a shared
lock on that generation for as long as they use it, so they never block and never see half a
graph; a build deletes a generation only if it carries kg's marker, is not live and no reader
holds it (else a later build does). kg deletes nothing it did not make: a non-empty folder
without the marker is refused.

A database folder of the earlier layout (``current`` -> ``store-<stamp>``, the Oxigraph store
itself) is recognised and taken over: its store stays live until the next build replaces it.

>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> with writer_lock(db):
...     gen = new_generation(db)
...     _ = (gen / "build.json").write_text("{}")
...     publish(db, gen)
>>> live_generation(db) == gen, (db / "build.json").read_text()
(True, '{}')
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shlex
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg import __version__
from kg.errors import InputError

FORMAT = 2  # 1 was the layout of current -> store-<stamp>, without a marker
MARKER = ".kg-db"
GENERATION_MARKER = ".kg-generation"
LOCK = ".lock"
CURRENT = "current"
BUILDS = "builds"
LIVE_FILES = ("build.json", "rejects.csv", "conflicts.csv")  # top-level links into the live generation
_LEGACY_STORE = re.compile(r"store-\d{8}T\d{6}-\d+-\d+")  # what the format-1 builds named their stores
_TRASH = ".trash-"


class LockHeld(InputError):
    """Another build holds the database folder (exit 2)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (a reader sees the old or the new text, never half)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------- the marker


def claim(db: Path) -> None:
    """Make ``db`` a kg database folder, or refuse it (InputError, exit 2).

    A missing or empty folder gets the marker; a folder with the marker is ours; a folder of
    the earlier layout (``current`` -> ``store-<stamp>``) is taken over; anything else is refused.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "notes.txt").write_text("mine")
    >>> claim(d)
    Traceback (most recent call last):
    ...
    kg.errors.InputError: refusing to build into ... holds notes.txt); give --db a new or empty folder, or one kg built
    """
    if db.exists() and not db.is_dir():
        raise InputError(f"refusing to build into {db}: it is a file, not a folder; give --db a folder")
    db.mkdir(parents=True, exist_ok=True)
    marker = db / MARKER
    if marker.exists():
        data = _read_json(marker)
        if data is None or not isinstance(data.get("format"), int):
            raise InputError(f"{marker}: not a kg database marker (expected JSON with a 'format' number); "
                             "give --db another folder")
        if data["format"] > FORMAT:
            raise InputError(f"{db} was made by a newer kg (database format {data['format']}, this kg reads "
                             f"up to {FORMAT}); upgrade kg or give --db another folder")
        return
    entries = sorted(e for e in os.listdir(db) if e != LOCK and not e.startswith(MARKER))  # another build's, just made
    info = {"format": FORMAT, "kg_version": __version__, "created": _now()}
    legacy = _legacy_stores(db)
    if legacy is not None:
        info["legacy_stores"] = legacy
    elif entries:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise InputError(f"refusing to build into {db}: it is not empty and kg did not make it "
                         f"(no {MARKER} marker; it holds {shown}); give --db a new or empty folder, or one kg built")
    _write_json(marker, info)


def _legacy_stores(db: Path) -> list[str] | None:
    """The stores of a format-1 database folder (``current`` -> ``store-<stamp>``), else None."""
    cur = db / CURRENT
    if not cur.is_symlink() or not _LEGACY_STORE.fullmatch(os.readlink(cur)) or not cur.is_dir():
        return None
    return sorted(e.name for e in db.iterdir() if e.is_dir() and not e.is_symlink() and _LEGACY_STORE.fullmatch(e.name))


# --------------------------------------------------------------------------- the writer lock


@dataclass
class Lock:
    """The writer lock while held; ``took_over`` describes the ended build it replaced, if any."""

    db: Path
    fd: int
    took_over: str | None = None


def _process_started(pid: int) -> str | None:
    import psutil

    try:
        return dt.datetime.fromtimestamp(psutil.Process(pid).create_time(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _holder(data: dict | None, which: str = "another") -> str:
    """'another kg build (pid 123, started 2026-12-04T17:01:02Z)' from a lock file's record.

    >>> _holder({"pid": 123, "started": "2026-12-04T17:01:02Z"})
    'another kg build (pid 123, started 2026-12-04T17:01:02Z)'
    """
    if not data or "pid" not in data:
        return f"{which} process"
    where = f" on {data['host']}" if data.get("host") and data["host"] != socket.gethostname() else ""
    return f"{which} kg build (pid {data['pid']}, started {data.get('started', '?')}{where})"


def _alive(data: dict | None) -> bool:
    """Is the process a lock record names still the one that wrote it (same pid and start)?"""
    if not data or "pid" not in data:
        return False
    if data.get("host") not in (None, socket.gethostname()):
        return True  # cannot tell for another machine: believe the record
    return _process_started(int(data["pid"])) == data.get("started")


@contextmanager
def writer_lock(db: Path, *, wait: bool = False, on_wait: Callable[[str], None] | None = None) -> Iterator[Lock]:
    """Hold the database folder's writer lock (claiming the folder first).

    Without ``wait``, a lock held by another build raises LockHeld naming the holder; with it,
    ``on_wait(holder)`` is called once and the build waits its turn. The kernel releases the
    lock when its holder ends, however it ends; a record left by a build that was killed is
    reported in ``took_over``.
    """
    claim(db)
    path = db / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(_lock_record(path, settle=True))
            if not wait:
                raise LockHeld(f"{holder} holds {db}; wait for it with --wait") from None
            if on_wait:
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        old = _read_json(path)
        lock = Lock(db, fd, took_over=_holder(old, "an ended") if old and old.get("pid") else None)
        record = {"pid": os.getpid(), "started": _process_started(os.getpid()), "host": socket.gethostname(),
                  "command": shlex.join(sys.argv), "locked": _now()}
        data = json.dumps(record).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        try:
            yield lock
        finally:
            os.ftruncate(fd, 0)  # released cleanly: no record left to take over
    finally:
        os.close(fd)  # releases the flock


def _lock_record(path: Path, settle: bool = False) -> dict | None:
    """The holder's record; with ``settle``, give a holder that just took the lock a moment to write it."""
    for _ in range(20 if settle else 1):
        data = _read_json(path)
        if _alive(data):
            return data
        time.sleep(0.05)
    return data


# --------------------------------------------------------------------------- generations


def new_generation(db: Path) -> Path:
    """A new, empty generation folder carrying kg's marker (call with the writer lock held)."""
    builds = db / BUILDS
    builds.mkdir(exist_ok=True)
    while True:
        gen = builds / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        try:
            gen.mkdir()
            break
        except FileExistsError:
            time.sleep(0.001)
    _write_json(gen / GENERATION_MARKER, {"kg_version": __version__, "created": _now(), "pid": os.getpid(),
                                          "host": socket.gethostname()})
    return gen


def live_generation(db: Path) -> Path | None:
    """The generation ``current`` points at (None if there is none)."""
    cur = db / CURRENT
    try:
        target = os.readlink(cur)
    except OSError:
        return None
    return db / target


def publish(db: Path, gen: Path) -> None:
    """Make the whole generation ``gen`` the live one: one atomic switch of ``current``."""
    _fsync_dir(gen)
    _switch_link(db / CURRENT, os.path.relpath(gen, db))
    for name in LIVE_FILES:
        link = db / name
        target = f"{CURRENT}/{name}"
        if not (link.is_symlink() and os.readlink(link) == target):
            _switch_link(link, target)
    _fsync_dir(db)


def _switch_link(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(gen: Path, keep: tuple[str, ...] = ()) -> None:
    """Remove a failed generation's output, except the files named in ``keep`` (its report);
    what is kept goes with the next build. With nothing to keep the generation goes altogether.
    """
    if not any((gen / name).exists() for name in keep):
        _remove(gen, gen.parent)
        return
    for child in gen.iterdir():
        if child.name not in keep and child.name != GENERATION_MARKER:
            _delete(child)


def remove_stale(db: Path) -> list[str]:
    """Remove the generations that are not live and that no reader holds (call with the writer
    lock held): those replaced by later builds, failed ones, and the partial ones of builds that
    were killed. Returns the names removed.
    """
    release_unused()
    live = live_generation(db)
    removed = []
    builds = db / BUILDS
    for gen in sorted(builds.iterdir()) if builds.is_dir() else ():
        if gen == live or not gen.is_dir() or gen.is_symlink():
            continue
        if (gen / GENERATION_MARKER).is_file() or gen.name.startswith(_TRASH):
            if _remove(gen, builds):
                removed.append(gen.name)
        elif not any(gen.iterdir()):
            gen.rmdir()  # a build killed between making the folder and marking it
            removed.append(gen.name)
    legacy = (_read_json(db / MARKER) or {}).get("legacy_stores") or []
    for name in legacy:
        store = db / name
        if _LEGACY_STORE.fullmatch(name) and store != live and store.is_dir() and _remove(store, builds):
            removed.append(name)
    return removed


def _remove(gen: Path, builds: Path) -> bool:
    """Delete a generation if no reader holds it: lock it exclusively, move it aside, delete it
    with its marker last (so a deletion cut short is still recognisably kg's). False if held."""
    try:
        fd = os.open(gen, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return True
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        trash = gen if gen.name.startswith(_TRASH) else builds / f"{_TRASH}{gen.name}"
        if trash != gen:
            builds.mkdir(exist_ok=True)
            os.rename(gen, trash)
        for child in trash.iterdir():
            if child.name != GENERATION_MARKER:
                _delete(child)
        (trash / GENERATION_MARKER).unlink(missing_ok=True)
        trash.rmdir()
        return True
    finally:
        os.close(fd)


def _delete(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    else:
        p.unlink(missing_ok=True)


# --------------------------------------------------------------------------- readers


def hold_live(db: Path) -> tuple[Path, int] | None:
    """The live generation and a file descriptor holding a shared lock on it (None: no graph).

    Never blocks: if a build removes the generation between reading ``current`` and locking
    it, the new ``current`` is read again.
    """
    for _ in range(100):
        gen = live_generation(db)
        if gen is None:
            return None
        try:
            fd = os.open(gen, os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, NotADirectoryError):
            if live_generation(db) == gen:
                return None  # current points at nothing
            continue  # a build switched current meanwhile
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            if os.stat(gen).st_ino == os.fstat(fd).st_ino:
                return gen, fd
        except (BlockingIOError, FileNotFoundError):
            pass  # being removed, so no longer live: read current again
        os.close(fd)
        time.sleep(0.01)
    raise TimeoutError(f"the live graph in {db} kept changing while it was being opened; try again")


def hold_graph(db: Path, error: type[Exception]) -> tuple[Path, int]:
    """:func:`hold_live` for a reader that needs a graph: the live generation and the held file
    descriptor, or ``error`` with one line when ``db`` holds no graph or kept changing.

    >>> import tempfile
    >>> hold_graph(Path(tempfile.mkdtemp()), LookupError)
    Traceback (most recent call last):
    ...
    LookupError: no graph in ...; build one first with 'kg build' (or point --db / KG_DB at one)
    """
    try:
        held = hold_live(db)
    except TimeoutError as e:
        raise error(str(e)) from None
    if held is None:
        raise error(f"no graph in {db}; build one first with 'kg build' (or point --db / KG_DB at one)")
    return held


@dataclass(slots=True)
class _Hold:
    owner: object
    fd: int


def _refs(h: _Hold) -> int:
    return sys.getrefcount(h.owner)


_holds: list[_Hold] = []
_holds_lock = threading.Lock()
_UNUSED_REFS = _refs(_Hold(object(), -1))  # references when only the hold itself keeps the owner


def keep_held(owner: object, fd: int) -> None:
    """Keep the lock ``fd`` as long as ``owner`` (e.g. an open store) is in use.

    pyoxigraph's Store takes neither weak references nor attributes, so the holds keep the
    owner and are released when nothing else refers to it any more: checked on every new hold
    and before a build removes generations. Keep the store referenced while iterating its
    query results (they do not refer to it).
    """
    release_unused()
    with _holds_lock:
        _holds.append(_Hold(owner, fd))


def release_unused() -> None:
    """Close the owners nobody uses any more and release their locks."""
    with _holds_lock:
        unused = [h for h in _holds if _refs(h) <= _UNUSED_REFS]
        for h in unused:
            _holds.remove(h)
            h.owner = None  # drop the store first (it closes its files), then the lock
            os.close(h.fd)
