"""The load cache: what each source file produced (kg.records.Records), kept in the database
folder so that a rebuild reads only the files that changed.

::

    DB/cache/load/<key>/entry.json    rejects, file counts, warnings, headers; the frames' list
                                      with each frame file's sha256
    DB/cache/load/<key>/<n>.arrow     one frame per file: typed Arrow IPC (kg.tables.arrow)
    DB/cache/load/used.json           the keys the last two builds used

``key`` is the sha256 of everything a file's records depend on: the file's bytes and path,
the loader's name, the mapping (its name and the bytes of its YAML), the encoding and loader
parameters, ``kg.__version__``, :data:`FORMAT` and a fingerprint of kg's own code and shipped
files (kg/**/*.py, loaders/, ontology/), since a development checkout keeps one version
number across changes. A hit returns the file's records exactly as its loader made them:
frames go through kg.tables.arrow, which restores dtypes, Python value types (PartialDate,
int vs float, tuple), None vs NaN, the index and ``attrs``; a frame that would not come back
equal (value for value, type for type) is not stored, and the file is read again next time.
No pickle: a database folder may be shared, and reading it must not run code.

Entries are written to a temporary folder and renamed into place (under the build's writer
lock, so one build writes at a time). An entry that cannot be read (missing or corrupt file,
a checksum that does not match, another format) is deleted and the file is read again: never
an error. Bound: after each build, entries that neither this build nor the one before used
are deleted.

Loaders with a cross-file ``finish`` step (BODS) are never cached: their records depend on
the other files of the build.

>>> import tempfile, pathlib
>>> from kg.records import FileCount
>>> cache = LoadCache(pathlib.Path(tempfile.mkdtemp()))
>>> recs = Records(files=[FileCount("a.csv", "entities", 1)])
>>> recs.add("entity", pd.DataFrame({"id": ["x"], "row": [2]}))
>>> cache.put("k1", recs)
True
>>> back = cache.get("k1")
>>> back.files, back.entities[0].equals(recs.entities[0])
([FileCount(file='a.csv', table='entities', rows=1)], True)
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

import kg
from kg.records import FileCount, Records, Reject
from kg.resources import resource_path

FORMAT = 1
"""The layout of an entry; a change makes every older entry a miss."""

CACHE_DIR = Path("cache") / "load"
USED = "used.json"
KEEP_BUILDS = 2
"""Entries used by this many most recent builds are kept; the rest are deleted."""

_TMP = ".tmp-"
_CHUNK = 1 << 20


def cache_dir(db: Path) -> Path:
    """The load cache of a database folder.

    >>> cache_dir(Path("db")).as_posix()
    'db/cache/load'
    """
    return db / CACHE_DIR


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 of kg's code and shipped files (what loaders read besides the source file).

    >>> len(code_fingerprint())
    64
    """
    h = hashlib.sha256()
    package = Path(kg.__file__).resolve().parent
    files = [("kg", p) for p in package.rglob("*.py") if "__pycache__" not in p.parts]
    for part in ("loaders", "ontology"):
        root = resource_path(part)
        files += [(part, p) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for part, p in sorted(files, key=lambda f: (f[0], f[1].as_posix())):
        h.update(f"{part}/{p.as_posix()}\0".encode())
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "a.csv"; _ = p.write_bytes(b"id\\n")
    >>> file_digest(p)[:12]
    '984a644ec3b5'
    """
    st = os.stat(path)
    return _digest(str(path), st.st_size, st.st_mtime_ns, st.st_ino)


@functools.lru_cache(maxsize=1024)
def _digest(path: str, size: int, mtime_ns: int, inode: int) -> str:
    """The sha256 of a file as it is while its size, time and inode stay so: a build asks for
    each file's key two or three times (its plan, its load, the check that it did not change
    while read), 1.4 s a time for the 765 MB of a 10^6-firm graph."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def mapping_identity(mapping) -> str:
    """The mapping's name and the sha256 of its YAML (what the tabular loader reads by)."""
    path = getattr(mapping, "path", None)
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else "-"
    except OSError:
        digest = f"unreadable:{path}"
    return f"{getattr(mapping, 'name', '')}:{digest}"


def entry_key(path: Path, loader: str, options) -> str:
    """The cache key of one file read by ``loader`` with ``options`` (kg.loaders.registry.LoadOptions)."""
    parts = {
        "format": FORMAT,
        "kg_version": kg.__version__,
        "code": code_fingerprint(),
        "loader": loader,
        "path": str(path),
        "file": file_digest(path),
        "mapping": mapping_identity(options.mapping),
        "encoding": options.encoding,
        "params": sorted((str(k), str(v)) for k, v in (options.params or {}).items()),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- exact round trip checks


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    if str(a.dtype) != str(b.dtype):
        return False
    if a.dtype != object:
        return a.equals(b)
    x, y = a.to_numpy(), b.to_numpy()
    if len(x) != len(y):
        return False
    kinds = set(map(type, x))
    if kinds != set(map(type, y)) or (len(kinds) > 1 and list(map(type, x)) != list(map(type, y))):
        return False  # the same type at each place: one kind, or compared place by place
    if not {tuple, list} & kinds:
        eq = x == y  # numpy compares object arrays value by value in C
        if not isinstance(eq, np.ndarray):
            eq = np.array([u == v for u, v in zip(x, y, strict=True)], dtype=bool)
        return all(isinstance(x[i], float) and math.isnan(x[i]) and math.isnan(y[i]) for i in np.flatnonzero(~eq))
    for u, v in zip(x, y, strict=True):
        if isinstance(u, (tuple, list)):
            if list(map(type, u)) != list(map(type, v)) or u != v:
                return False
        elif not (u is v or u == v or (isinstance(u, float) and math.isnan(u) and math.isnan(v))):
            return False
    return True


def same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two frames are equal column for column, dtype for dtype and value for value,
    Python types included (1 is not 1.0, None is not NaN).

    >>> same_frame(pd.DataFrame({"a": [1, None]}, dtype=object), pd.DataFrame({"a": [1.0, None]}, dtype=object))
    False
    """
    if list(a.columns) != list(b.columns) or not a.index.equals(b.index) or a.attrs != b.attrs:
        return False
    return all(_same_values(a.iloc[:, i], b.iloc[:, i]) for i in range(a.shape[1]))


# ---------------------------------------------------------------- entries


def _frames(records: Records) -> list[tuple[str, str | None, pd.DataFrame]]:
    out = [("entity", None, f) for f in records.entities]
    out += [("link", name, f) for name, frames in records.links.items() for f in frames]
    out += [("financial", None, f) for f in records.financials]
    return out


def _value_types() -> dict[str, type]:
    """The value classes loaders put in frames besides what Arrow holds (by class name): stored
    as JSON text of their fields, made again with ``cls(**fields)``; no other class is made."""
    from kg.values.amount import Amount
    from kg.values.ticker import Ticker

    return {"Amount": Amount, "Ticker": Ticker}


def _encode_values(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[list]]:
    """``frame`` with its columns of value classes (Ticker, Amount) as JSON text, and which
    columns (by position) hold which class."""
    classes = {cls: name for name, cls in _value_types().items()}
    encoded, out = [], None
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if col.dtype != object:
            continue
        values = col.to_numpy()
        kinds = set(map(type, values))
        found = kinds & classes.keys()
        if not found:
            continue
        mixed = kinds - found - {type(None), float}
        if len(found) > 1 or mixed or (float in kinds and any(isinstance(v, float) and not math.isnan(v) for v in values)):
            raise TypeError(f"column {col.name!r} mixes {', '.join(sorted(k.__name__ for k in kinds))}")
        name = classes[found.pop()]
        seen: dict = {}
        text = [v if v is None or isinstance(v, float) else _text(v, seen) for v in values]
        out = frame.copy() if out is None else out
        out.isetitem(i, pd.Series(text, index=frame.index, dtype=object))
        encoded.append([i, name])
    return (frame if out is None else out), encoded


def _text(value, seen: dict) -> str:
    if value not in seen:
        seen[value] = json.dumps(asdict(value))
    return seen[value]


def _decode_values(frame: pd.DataFrame, encoded: list[list]) -> pd.DataFrame:
    types = _value_types()
    for i, name in encoded:
        cls = types[name]
        seen: dict = {}
        made = [_make(cls, v, seen) if isinstance(v, str) else v for v in frame.iloc[:, i]]
        frame.isetitem(i, pd.Series(made, index=frame.index, dtype=object))
    return frame


def _make(cls: type, text: str, seen: dict):
    if text not in seen:
        seen[text] = cls(**json.loads(text))
    return seen[text]


def _ipc_bytes(table: pa.Table) -> pa.Buffer:
    codec = "lz4" if pa.Codec.is_available("lz4") else None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
        w.write_table(table)
    return sink.getvalue()


def _comes_back(table: pa.Table, frame: pd.DataFrame, encoded: list[list]) -> bool:
    """Whether ``table`` reads back into ``frame`` exactly (:func:`same_frame` of the frame
    :func:`kg.tables.arrow.to_frame` would make), restoring one column at a time: a whole copy
    of a large frame's Python values would double the load's memory.

    >>> from kg.tables.arrow import to_arrow
    >>> f = pd.DataFrame({"a": [1, None], "b": ["x", "y"]}, dtype=object)
    >>> _comes_back(to_arrow(f, "t"), f, []), _comes_back(to_arrow(f.astype({"a": float}), "t"), f, [])
    (True, False)
    """
    from kg.tables.arrow import frame_index, frame_meta, restore_column

    meta = frame_meta(table)
    columns = meta["columns"]
    index = frame_index(table)
    if [c["name"] for c in columns] != list(frame.columns) or not index.equals(frame.index) or meta["attrs"] != frame.attrs:
        return False
    decode = {i: _value_types()[name] for i, name in encoded}
    for i, c in enumerate(columns):
        back = restore_column(table, c)
        back.index = index
        if i in decode:
            seen: dict = {}
            back = pd.Series([_make(decode[i], v, seen) if isinstance(v, str) else v for v in back],
                             index=index, dtype=object)
        if not _same_values(back, frame.iloc[:, i]):
            return False
    return True


def _describe(records: Records) -> dict:
    return {
        "format": FORMAT,
        "kg_version": kg.__version__,
        "rejects": [asdict(r) for r in records.rejects],
        "files": [asdict(f) for f in records.files],
        "warnings": list(records.warnings),
        "headers": [[f, c, h] for (f, c), h in records.headers.items()],
    }


def _records_from(entry: dict) -> Records:
    return Records(
        rejects=[Reject(**r) for r in entry["rejects"]],
        files=[FileCount(**f) for f in entry["files"]],
        warnings=list(entry["warnings"]),
        headers={(f, c): h for f, c, h in entry["headers"]},
    )


def _same_records(a: Records, b: Records) -> bool:
    """The non-frame parts, types included (JSON keeps int, float and str apart)."""
    def typed(xs):
        return [tuple((type(v), v) for v in asdict(x).values()) for x in xs]
    return (typed(a.rejects) == typed(b.rejects) and typed(a.files) == typed(b.files)
            and a.warnings == b.warnings and a.headers == b.headers)


def merge(into: Records, part: Records) -> None:
    """Add one file's records to the build's (in the order a direct load would have)."""
    into.entities.extend(part.entities)
    for name, frames in part.links.items():
        into.links.setdefault(name, []).extend(frames)
    into.financials.extend(part.financials)
    into.rejects.extend(part.rejects)
    into.files.extend(part.files)
    into.warnings.extend(part.warnings)
    into.headers.update(part.headers)


@dataclass
class LoadCache:
    """The load cache of one build: ``get`` and ``put`` entries, then ``finish`` (records which
    entries this build used and deletes the ones no recent build used)."""

    folder: Path
    hits: int = 0
    misses: int = 0
    stored: int = 0
    not_stored: int = 0  # files whose records would not round-trip exactly (read again next time)
    uncached: int = 0  # files of loaders with a cross-file finish step (never cached)
    rebuilt: int = 0  # entries that could not be read and were deleted
    used: set[str] = field(default_factory=set)
    fill: object | None = None  # the files being stored beside the build (kg.loaders.beside.CacheFill)

    @classmethod
    def of_db(cls, db: Path) -> LoadCache:
        return cls(cache_dir(db))

    def get(self, key: str) -> Records | None:
        """The records stored under ``key``; None if absent or unreadable (then deleted)."""
        entry = self.folder / key
        if not entry.is_dir():
            return None
        try:
            records = self._read(entry)
        except Exception:  # noqa: BLE001 -- any unreadable entry is a miss, never an error
            records = None
        if records is None:
            self.rebuilt += 1
            _delete(entry)
            return None
        self.hits += 1
        self.used.add(key)
        return records

    def _read(self, entry: Path) -> Records | None:
        from kg.tables.arrow import to_frame

        meta = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("kg_version") != kg.__version__:
            return None
        records = _records_from(meta)
        for item in meta["frames"]:
            data = (entry / item["file"]).read_bytes()
            if hashlib.sha256(data).hexdigest() != item["sha256"]:
                return None
            frame = _decode_values(to_frame(pa.ipc.open_file(pa.BufferReader(data)).read_all()),
                                   item.get("encoded") or [])
            records.add(item["kind"], frame, item["link"])
        return records

    def put(self, key: str, records: Records) -> bool:
        """Store one file's records under ``key``, if they come back exactly; False if not."""
        from kg.tables.arrow import TableTypeError, to_arrow

        meta = _describe(records)
        meta["frames"] = []
        blobs = []
        try:
            text = json.dumps(meta, ensure_ascii=False)
            if not _same_records(_records_from(json.loads(text)), records):
                raise TypeError("records do not round-trip")
            for n, (kind, link, frame) in enumerate(_frames(records)):
                plain, encoded = _encode_values(frame)
                data = _ipc_bytes(to_arrow(plain, f"cache {kind} {link or ''}".strip()))
                del plain
                if not _comes_back(pa.ipc.open_file(pa.BufferReader(data)).read_all(), frame, encoded):
                    raise TypeError("frame does not round-trip")
                name = f"{n}.arrow"
                blobs.append((name, data))
                meta["frames"].append({"kind": kind, "link": link, "file": name, "encoded": encoded,
                                       "sha256": hashlib.sha256(data).hexdigest()})
        except (TypeError, ValueError, TableTypeError, pa.ArrowException):
            self.not_stored += 1
            return False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f"{_TMP}{key}-{os.getpid()}"
            _delete(tmp)
            tmp.mkdir()
            for name, data in blobs:
                (tmp / name).write_bytes(data)
            (tmp / "entry.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            final = self.folder / key
            _delete(final)
            os.rename(tmp, final)
        except OSError:  # a full disk or a read-only folder: the build goes on without the entry
            _delete(tmp)
            self.not_stored += 1
            return False
        self.stored += 1
        self.used.add(key)
        return True

    def keep(self, keys: list[str]) -> None:
        """Count ``keys`` as used by this build (the files an incremental build did not read)."""
        self.used.update(keys)

    def wait_fill(self) -> None:
        """Wait for the files being stored beside the build, and count them."""
        if self.fill is None:
            return
        fill, self.fill = self.fill, None
        stored = fill.wait()
        self.stored += len(stored)
        self.not_stored += len(fill.keys) - len(stored)
        self.used.update(stored)

    def stop(self) -> None:
        """Stop storing files beside the build (it stopped); nothing if it finished."""
        if self.fill is not None:
            fill, self.fill = self.fill, None
            fill.stop()

    def finish(self) -> list[str]:
        """Record this build's keys (once the files stored beside it are); delete entries no
        build of the last :data:`KEEP_BUILDS` used, and temporary folders of killed builds.
        Returns the names deleted."""
        self.wait_fill()
        if not self.folder.is_dir():
            return []
        try:
            builds = json.loads((self.folder / USED).read_text(encoding="utf-8"))["builds"]
            builds = [list(map(str, b)) for b in builds if isinstance(b, list)]
        except (OSError, ValueError, KeyError, TypeError):
            builds = []
        builds = [*builds, sorted(self.used)][-KEEP_BUILDS:]
        keep = {k for b in builds for k in b}
        removed = []
        for p in self.folder.iterdir():
            if p.name == USED or p.name in keep:
                continue
            _delete(p)
            removed.append(p.name)
        try:
            tmp = self.folder / f"{_TMP}{USED}"
            tmp.write_text(json.dumps({"builds": builds}), encoding="utf-8")
            os.replace(tmp, self.folder / USED)
        except OSError:
            pass
        return removed

    def summary(self) -> dict:
        """What build.json says of the cache: files read in all, from the cache, by their loader."""
        self.wait_fill()
        return {"files": self.hits + self.misses + self.uncached, "from_cache": self.hits, "read": self.misses + self.uncached, "stored": self.stored,
                "not_stored": self.not_stored, "not_cacheable": self.uncached, "rebuilt": self.rebuilt}


def _delete(p: Path) -> None:
    try:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    except OSError:
        pass
