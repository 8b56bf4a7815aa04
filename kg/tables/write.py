"""Write a build's graph tables: one Parquet file per table and a manifest, table by table.

::

    tables/manifest.json              table -> file, rows; schema version, kg version, the
                                      derived facts' floor and method texts
    tables/entity_rows.parquet        every entity row with its provenance (source, file, row)
    tables/entities.parquet           the resolved entities (one row each, their labels)
    tables/links-<REL>.parquet        every link of a kind with its provenance (OWNS, FUNDED, ...)
    tables/financials.parquet         financial years with their provenance
    tables/type_conflicts.parquet     rows whose type contradicted their entity (kg.conflicts)
    tables/rejects.parquet            what resolution rejected
    tables/reference.parquet          the reference entities shipped with kg (exchanges, programmes)
    tables/derived-<name>.parquet     each frame of the derived facts (integrated, control, ...),
                                      each row with the period it holds for (valid_from, valid_to)

Columns are typed from the ontology (kg.tables.schema) and every frame reads back exactly
(kg.tables.arrow). The manifest is written last: a folder without one is not a whole set.

>>> import datetime as dt, tempfile, pathlib
>>> from kg.loaders.sources import load_sources
>>> from kg.resolve import resolve
>>> from kg.derive.timeline import derive_periods
>>> from kg.resources import resource_path
>>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "tables"
>>> manifest = write_tables(res, derive_periods(res), folder)
>>> manifest["tables"]["links.OWNS"]["rows"], manifest["derived"]["fields"]["floor"]
(5, 0.01)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kg import __version__
from kg.derive.timeline import DerivedPeriods
from kg.ontology import KG, RDF_TYPE, model
from kg.resolve import Resolved
from kg.tables.arrow import to_arrow
from kg.tables.derived import methods
from kg.tables.names import ident, label_order
from kg.tables.schema import SCHEMA_VERSION, column_properties

MANIFEST = "manifest.json"
COMPRESSION = "zstd"
"""Parquet compression. At 10^5 firms (benchmarks/bench_tables.py, load 6) all tables take
1.2 s to write and 1.5 s to read with zstd, 0.9 s and 1.0 s with snappy, but 52 MB against
86 MB: snappy saves under a second per build and push, for two thirds more disk."""

REJECT_FIELDS = ("file", "row", "column", "value", "reason")


def table_file(name: str) -> str:
    """The file of a table: ``links.OWNS`` -> ``links-OWNS.parquet``.

    >>> table_file("derived.integrated"), table_file("entity_rows")
    ('derived-integrated.parquet', 'entity_rows.parquet')
    """
    return name.replace(".", "-") + ".parquet"


class _Writer:
    """Writes each table's Parquet file in a thread while the next frame is converted (pyarrow
    releases the GIL while it encodes and compresses): one file in writing at a time, files and
    manifest entries in the order given."""

    def __init__(self, folder: Path, tables: dict, compression: str):
        self.folder, self.tables, self.compression = folder, tables, compression
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: Future | None = None

    def __call__(self, name: str, frame: pd.DataFrame | pa.Table) -> None:
        t = frame if isinstance(frame, pa.Table) else to_arrow(frame, name)
        self.wait()
        self.pending = self.pool.submit(self._file, name, t)

    def _file(self, name: str, t: pa.Table) -> None:
        path = self.folder / table_file(name)
        pq.write_table(t, path, compression=self.compression)
        self.tables[name] = {"file": path.name, "rows": t.num_rows, "bytes": path.stat().st_size}

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # raises what the writing raised

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.pool.shutdown(wait=True)


def reference_frame() -> pd.DataFrame:
    """The reference entities (ontology/reference.ttl) as a node table: ``iri``, ``labels``
    and their ontology properties (the smallest value where one has several).

    >>> f = reference_frame()
    >>> f.loc[f.iri.str.endswith("/SSE"), ["labels", "code", "mic"]].values.tolist()
    [[('Exchange',), 'SSE', 'XSHG']]
    """
    from kg.reference import graph

    m = model()
    g = graph()
    types = {KG + t: t for t in m.node_types}
    by_iri = {p.iri: p for p in m.properties.values()}
    labels: dict[str, set[str]] = {}
    values: dict[str, dict[str, object]] = {}
    for s, p, o in g:
        s, p = str(s), str(p)
        if p == RDF_TYPE and str(o) in types:
            labels.setdefault(s, set()).update(m.node_type(types[str(o)]).labels)
        elif p in by_iri:
            col, v = by_iri[p].column, o.toPython()
            row = values.setdefault(s, {})
            row[col] = v if col not in row else min(row[col], v)
    rows = [{"iri": s, "labels": label_order(ls), **values.get(s, {})} for s, ls in sorted(labels.items())]
    have = {c for r in values.values() for c in r}
    cols = ["iri", "labels", *(c for c in dict.fromkeys(p.column for p in m.properties.values()) if c in have)]
    out = pd.DataFrame(rows, columns=cols).astype(object)
    return out.where(out.notna(), None)


def _encode(v):
    """A Derived field that is not a frame, as JSON (dates tagged)."""
    if isinstance(v, dt.date):
        return {"date": v.isoformat()}
    return v


def _emptied(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame of no rows with the columns, dtypes and ``attrs`` of ``frame``, sharing none of
    its memory (a slice of an Arrow-backed column would keep the whole column alive).

    >>> f = pd.DataFrame({"a": pd.Series(["x"], dtype="str"), "b": [1]})
    >>> e = _emptied(f)
    >>> len(e), list(e.columns), e.dtypes.equals(f.dtypes)
    (0, ['a', 'b'], True)
    """
    out = pd.DataFrame({i: pd.Series([], dtype=t) for i, t in enumerate(frame.dtypes)})
    out.columns = frame.columns
    out.attrs = dict(frame.attrs)
    return out


def table_frames(resolved: Resolved, derived: DerivedPeriods | None, *, reference: bool = True,
                 consume: bool = False) -> Iterator[tuple[str, pd.DataFrame]]:
    """Each table of a build by name, in the order :func:`write_tables` writes them: the entity
    rows, entities, links by kind, financials, type conflicts, rejects, the reference entities
    (with ``reference``) and each frame of ``derived``. With ``consume`` each frame of
    ``resolved`` and ``derived`` is replaced by an empty one (its columns kept) as it is given,
    so that a build that needs them no more lets each go once written.
    """
    yield from resolved_frames(resolved, reference=reference, consume=consume)
    if derived is not None:
        yield from derived_frames(derived, consume=consume)


def _take(obj, name: str, consume: bool | Collection[str]) -> pd.DataFrame:
    frame = getattr(obj, name)
    if consume:
        setattr(obj, name, _rest(frame, consume))
    return frame


def _rest(frame: pd.DataFrame, consume: bool | Collection[str]) -> pd.DataFrame:
    """What a frame given with ``consume`` leaves behind: an empty one, or the frame without the
    columns ``consume`` names."""
    if consume is True:
        return _emptied(frame)
    return frame.drop(columns=[c for c in consume if c in frame.columns])


def resolved_frames(resolved: Resolved, *, reference: bool = True,
                    consume: bool | Collection[str] = False) -> Iterator[tuple[str, pd.DataFrame]]:
    """The tables of :func:`table_frames` that ``resolved`` gives (and the reference entities).
    ``consume`` may also name columns: each frame is then left without them (the rest kept)."""
    yield "entity_rows", _take(resolved, "entity_rows", consume)
    yield "entities", _take(resolved, "entities", consume)
    for rel in list(resolved.links):
        frame = resolved.links[rel]
        if consume:
            resolved.links[rel] = _rest(frame, consume)
        yield f"links.{ident(rel)}", frame
        del frame
    yield "financials", _take(resolved, "financials", consume)
    yield "type_conflicts", _take(resolved, "type_conflicts", consume)
    rejects = pd.DataFrame([dataclasses.astuple(r) for r in resolved.rejects], columns=list(REJECT_FIELDS))
    yield "rejects", rejects.astype({"row": "int64"})
    if reference:
        yield "reference", reference_frame()


def derived_frames(derived: DerivedPeriods, *, consume: bool = False) -> Iterator[tuple[str, pd.DataFrame]]:
    """The tables of :func:`table_frames` that ``derived`` gives: ``derived.<frame>``."""
    for f in dataclasses.fields(derived):
        if isinstance(getattr(derived, f.name), pd.DataFrame):
            yield f"derived.{f.name}", _take(derived, f.name, consume)


def write_manifest(folder: Path, manifest: dict) -> None:
    """Write a tables folder's manifest, last and atomically (a folder without one is not whole)."""
    tmp = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


class TablesWriter:
    """Writes a build's tables in two steps, so that a build can write its resolved tables and let
    their frames go before it derives (:func:`write_tables` does both at once)::

        w = TablesWriter(folder)
        w.resolved(resolved, consume=True)   # entity rows, entities, links, financials, ...
        w.derived(derived, consume=True)     # derived.<frame>, or w.derived(None)
        manifest = w.finish()                # the manifest, last: now the folder is whole

    Frames are converted and written one at a time, so memory holds two tables' Arrow copies at
    most (one converted while the one before is written).
    """

    def __init__(self, folder: Path, *, compression: str = COMPRESSION):
        self.folder, self.compression = Path(folder), compression
        self.folder.mkdir(parents=True, exist_ok=True)
        column_properties()  # the ontology's columns agree on their types, or this raises
        self.tables: dict[str, dict] = {}
        self.links: list[str] | None = None
        self.derived_info: dict | None = None

    def _write(self, frames: Iterator[tuple[str, pd.DataFrame]]) -> None:
        write = _Writer(self.folder, self.tables, self.compression)
        try:
            for name, frame in frames:
                write(name, frame)
                del frame
        finally:
            write.close()

    def resolved(self, resolved: Resolved, *, consume: bool | Collection[str] = False) -> None:
        """Write the tables of ``resolved`` and the reference entities (``consume``: as for
        :func:`resolved_frames`)."""
        self.links = list(resolved.links)
        self._write(resolved_frames(resolved, consume=consume))

    def derived(self, derived: DerivedPeriods | None, *, consume: bool = False) -> None:
        """Write the frames of ``derived`` (None: a build without derived facts)."""
        if derived is None:
            return
        self._write(derived_frames(derived, consume=consume))
        fields = {f.name: _encode(getattr(derived, f.name)) for f in dataclasses.fields(derived)
                  if not isinstance(getattr(derived, f.name), pd.DataFrame)
                  and f.name != "entities"}  # the entities' order: that of the entities table
        frames = [f.name for f in dataclasses.fields(derived) if isinstance(getattr(derived, f.name), pd.DataFrame)]
        self.derived_info = {"fields": fields, "frames": frames, "periods": isinstance(derived, DerivedPeriods),
                             "methods": methods(derived.floor)}

    def manifest(self) -> dict:
        """The manifest of the tables written so far (:meth:`finish` writes it)."""
        if self.links is None:
            raise ValueError("TablesWriter: no resolved tables written yet")
        return {
            "schema_version": SCHEMA_VERSION,
            "kg_version": __version__,
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "compression": self.compression,
            "tables": self.tables,
            "resolved": {"links": self.links},
            "derived": self.derived_info,
        }

    def finish(self) -> dict:
        """Write the manifest (last and atomically) and return it."""
        manifest = self.manifest()
        write_manifest(self.folder, manifest)
        return manifest


def write_tables(resolved: Resolved, derived: DerivedPeriods | None, folder: Path, *,
                 compression: str = COMPRESSION, consume: bool = False) -> dict:
    """Write the graph tables of a build into ``folder`` (made here) and return the manifest.

    ``derived`` may be None (a build without derived facts). ``consume`` as for
    :func:`table_frames`; :class:`TablesWriter` writes the same in two steps.
    """
    w = TablesWriter(folder, compression=compression)
    w.resolved(resolved, consume=consume)
    w.derived(derived, consume=consume)
    return w.finish()
