"""Filling the load cache beside the build: storing a file's records in the cache (their Arrow
form, read back and compared value for value: kg.loaders.cache) costs more than reading the file,
and it is work for a process of its own, on another core. So on a first build of a large graph
(or a rebuild after a large file changed) the build reads each file it has not cached itself, as
without a cache, while one process beside it reads the same files and stores them in the cache;
the build waits for that process only at its end (:meth:`kg.loaders.cache.LoadCache.finish`).

Used for files of loaders without a cross-file step, when those the cache does not hold come to
:data:`BESIDE_BYTES` or more (a process costs ~1 s to start) and the machine has more than one
core. The process is ``python -m kg.loaders.beside``: one job (a line of JSON) at a time on
stdin, one reply line on stdout. A file it could not store (changed while read, not
round-tripping, an error) is read again by the next build; the build's own records never depend
on it.

>>> import tempfile
>>> from kg.resources import resource_path
>>> from kg.loaders.sources import load_sources
>>> folder = resource_path("tests", "fixtures", "mini")
>>> cache = LoadCache(Path(tempfile.mkdtemp()))
>>> recs = load_sources([folder], cache=cache, beside_bytes=0)
>>> cache.finish() == []
True
>>> cache.summary()["stored"] == cache.summary()["read"] > 0, cache.get(entry_key(folder / "entities.csv", "tabular", LoadOptions(mapping=load_mapping()))) is not None
(True, True)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from kg.loaders.cache import LoadCache, entry_key
from kg.loaders.mapping import load_mapping
from kg.loaders.registry import LoadOptions, by_name
from kg.records import Records
from kg.resources import child_env

BESIDE_BYTES = 64 << 20
"""The cache is filled beside the build when the files it does not hold come to this many bytes
(at 10^6 firms, 765 MB of CSV: the load stage of a first build 36.9 -> 19-20 s on 2 cores, the
process beside it done ~40 s in, 2.4 GB at most; docs/benchmarks.md, session 13)."""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class CacheFill:
    """Files being read into the load cache by a process beside the build, largest first:
    :meth:`covers` says whether a key is among them, :meth:`wait` waits for them all and gives
    the keys stored, :meth:`stop` stops the process (a file it was reading is not stored)."""

    def __init__(self, jobs: list[dict]):
        self.jobs = jobs
        self.keys = {job["key"] for job in jobs}
        self.stored: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "kg.loaders.beside"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     encoding="utf-8", env=child_env())
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._feed, name="kg-cache-fill", daemon=True)
        self._thread.start()

    def covers(self, key: str) -> bool:
        return key in self.keys

    def _feed(self) -> None:
        try:
            for job in self.jobs:
                if self._stopped.is_set():
                    break
                self.proc.stdin.write(json.dumps(job) + "\n")
                self.proc.stdin.flush()
                reply = self.proc.stdout.readline()
                if not reply:
                    break
                if json.loads(reply).get("stored") is True:
                    self.stored.append(job["key"])
        except (OSError, ValueError):
            pass  # the process ended: what it did not store is read again by the next build
        finally:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def wait(self) -> list[str]:
        self._thread.join()
        self.proc.wait()
        self.proc.stdout.close()
        return list(self.stored)

    def stop(self) -> None:
        self._stopped.set()
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()


def fill_beside(chosen_of: dict, options: LoadOptions, cache: LoadCache | None,
                beside_bytes: int | None = None) -> CacheFill | None:
    """Start filling ``cache`` beside the build with the files of ``chosen_of`` (path -> its
    loader, or None) it does not hold, when they come to ``beside_bytes`` (default
    :data:`BESIDE_BYTES`) and the machine has more than one core (``beside_bytes`` given: on one
    core too). None where it does not."""
    limit = BESIDE_BYTES if beside_bytes is None else beside_bytes
    mapping = getattr(options.mapping, "path", None)
    if cache is None or mapping is None or (_cores() < 2 and beside_bytes is None):
        return None
    todo = []
    for path, chosen in chosen_of.items():
        if chosen is None or chosen.finish is not None:
            continue
        key = entry_key(path, chosen.name, options)
        if not (cache.folder / key).is_dir():
            todo.append((path.stat().st_size, {"loader": chosen.name, "path": str(path), "key": key,
                                               "folder": str(cache.folder), "mapping": str(mapping),
                                               "encoding": options.encoding, "params": dict(options.params)}))
    if not todo or sum(size for size, _ in todo) < limit:
        return None
    return CacheFill([job for _, job in sorted(todo, key=lambda t: -t[0])])


def read_into_cache(job: dict) -> bool:
    """Read one file and store its records in the cache folder under the job's key; whether
    they were stored (not if the file changed while read, or the key is not the file's).

    ``job``: ``loader``, ``path``, ``key``, ``folder`` (the cache's), ``mapping`` (its YAML
    file), ``encoding``, ``params``."""
    path = Path(job["path"])
    options = LoadOptions(mapping=load_mapping(job["mapping"]), encoding=job["encoding"], params=job["params"])
    part = Records()
    by_name(job["loader"]).load(path, part, options)
    if entry_key(path, job["loader"], options) != job["key"]:
        return False
    return LoadCache(Path(job["folder"])).put(job["key"], part)


def main() -> int:
    for line in sys.stdin:
        try:
            stored = read_into_cache(json.loads(line))
        except Exception:  # noqa: BLE001 -- not stored: the next build reads the file again
            stored = False
        sys.stdout.write(json.dumps({"stored": stored}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
