"""Read a build's graph tables: the frames they were written from, or the property-graph view.

``open_tables(folder)`` opens a tables folder (kg.tables.write); :func:`graph_frames` and
:func:`open_live_tables` open the live generation's tables of a database folder, holding the
reader's lock on that generation (kg.dbfolder) while they read, so a build never removes them
underneath.

>>> import datetime as dt, tempfile, pathlib
>>> from kg.loaders.sources import load_sources
>>> from kg.resolve import resolve
>>> from kg.derive.timeline import derive_periods
>>> from kg.resources import resource_path
>>> from kg.tables.write import write_tables
>>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "tables"
>>> _ = write_tables(res, derive_periods(res), folder)
>>> t = open_tables(folder)
>>> t.resolved().links["OWNS"].equals(res.links["OWNS"]), t.derived().floor, len(t.derived_at(dt.date(2024, 1, 1)).entity)
(True, 0.01, 7)
>>> t.read("links.OWNS", ["share"]).num_rows
5
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import MISSING, dataclass, fields
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kg.derive.facts import Derived
from kg.derive.timeline import DerivedPeriods, at
from kg.errors import KgError
from kg.records import Reject
from kg.resolve import Resolved
from kg.tables.arrow import META_KEY, to_frame, to_frame_of_rows
from kg.tables.schema import SCHEMA_VERSION
from kg.tables.view import GraphFrames, GraphTables
from kg.tables.write import MANIFEST, REJECT_FIELDS

TABLES_DIR = "tables"
"""The folder of a generation (kg.dbfolder) holding its graph tables."""


SLICE_ROWS = 100_000
"""Rows per frame of :class:`FrameSlices` (what one slice of a sink's output covers)."""


class TablesError(KgError):
    """The graph tables are missing or unusable (one line, exit 1)."""


def tables_dir(generation: Path) -> Path:
    """Where a generation keeps its graph tables."""
    return Path(generation) / TABLES_DIR


def _decode(v):
    if isinstance(v, dict) and set(v) == {"date"}:
        return dt.date.fromisoformat(v["date"])
    return v


class Tables:
    """An opened tables folder: its manifest, and each table as Arrow, as the frame it was
    written from, or as the property-graph view."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        path = self.folder / MANIFEST
        try:
            self.manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TablesError(f"{self.folder} holds no graph tables (no {MANIFEST})") from None
        except (OSError, ValueError) as e:
            raise TablesError(f"{path}: not a graph tables manifest ({e})") from None
        version = self.manifest.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise TablesError(f"{path}: graph tables of schema version {version!r}; this kg reads up to "
                              f"{SCHEMA_VERSION}; upgrade kg or build the graph again")

    @classmethod
    def of_manifest(cls, folder: Path, manifest: dict) -> Tables:
        """Tables of ``folder`` as ``manifest`` (not the folder's own) lists them."""
        t = cls.__new__(cls)
        t.folder, t.manifest = Path(folder), manifest
        return t

    def names(self) -> list[str]:
        """The tables, in the order they were written."""
        return list(self.manifest["tables"])

    def __contains__(self, name: str) -> bool:
        return name in self.manifest["tables"]

    def rows(self, name: str) -> int:
        return self.manifest["tables"][name]["rows"]

    def parts(self, name: str) -> list[Path]:
        """The files of a table: one, or several where incremental builds appended to it
        (kg.tables.write.append_tables), in order."""
        try:
            entry = self.manifest["tables"][name]
        except KeyError:
            raise KeyError(f"no table {name!r} in {self.folder}; it has {', '.join(self.names())}") from None
        return [self.folder / f for f in entry.get("parts") or [entry["file"]]]

    def read(self, name: str, columns: list[str] | None = None) -> pa.Table:
        """A table as Arrow; ``columns`` picks some (those the table lacks are left out)."""
        if self.manifest["tables"][name].get("empty"):  # a table listed with no rows (kg.tables.append)
            t = pq.read_schema(self.parts(name)[0]).empty_table()
            return t if columns is None else t.select([c for c in dict.fromkeys(columns) if c in t.column_names])
        tables = []
        for path in self.parts(name):
            cols = columns
            if columns is not None:
                have = set(pq.read_schema(path).names)
                cols = list(dict.fromkeys(c for c in columns if c in have))
            tables.append(pq.read_table(path, columns=cols))
        if len(tables) == 1:
            return tables[0]
        # a part's column may be all null (null type) or absent where another part has values
        return pa.concat_tables(tables, promote_options="permissive").combine_chunks()

    def frame(self, name: str) -> pd.DataFrame:
        """A table as the pandas frame it was written from (kg.tables.arrow.to_frame)."""
        if self.manifest["tables"][name].get("empty"):
            return to_frame_of_rows(pq.read_schema(self.parts(name)[0]).empty_table())
        return _concat([to_frame(pq.read_table(path)) for path in self.parts(name)])

    def rows_where(self, name: str, column: str, values) -> pd.DataFrame:
        """The rows of a table whose ``column`` is one of ``values`` (text), as a frame
        (:meth:`frame`'s columns and types), filtered in Arrow before any Python value is made."""
        keep = pa.array(list(values), pa.string())
        return _concat([to_frame_of_rows(t.filter(pc.is_in(t.column(column), value_set=keep)))
                        for t in map(pq.read_table, self.parts(name))])

    def resolved(self) -> Resolved:
        """The resolved entities and links the tables were written from (kg.resolve.Resolved)."""
        rejects = self.frame("rejects")
        return Resolved(
            entities=self.frame("entities"),
            entity_rows=self.frame("entity_rows"),
            links={rel: self.frame(f"links.{rel}") for rel in self.manifest["resolved"]["links"]},
            financials=self.frame("financials"),
            rejects=[Reject(*r) for r in rejects[list(REJECT_FIELDS)].itertuples(index=False, name=None)],
            type_conflicts=self.frame("type_conflicts"),
        )

    def resolved_slices(self, rows: int | None = None) -> ResolvedSlices:
        """The resolved entity rows, links and financial years as :class:`FrameSlices`: what a
        sink that writes every row reads, ``rows`` at a time, without any whole table in memory."""
        return ResolvedSlices(
            entity_rows=FrameSlices(self, "entity_rows", rows),
            links={rel: FrameSlices(self, f"links.{rel}", rows) for rel in self.manifest["resolved"]["links"]},
            financials=FrameSlices(self, "financials", rows),
        )

    @property
    def has_derived(self) -> bool:
        return self.manifest.get("derived") is not None

    def derived(self) -> DerivedPeriods | None:
        """The derived facts the tables were written from (kg.derive.timeline.DerivedPeriods,
        every row with its period), or None for a build without them."""
        info = self.manifest.get("derived")
        if info is None:
            return None
        if not info.get("periods"):
            raise TablesError(f"{self.folder}: derived facts of a single date (an earlier kg); build the graph again")
        kwargs = {k: _decode(v) for k, v in info["fields"].items()}
        kwargs.update({name: self.frame(f"derived.{name}") for name in info["frames"]})
        kwargs["entities"] = _build_order(self)
        return DerivedPeriods(**kwargs)

    def derived_at(self, day: dt.date) -> Derived | None:
        """The derived facts that hold on ``day`` (kg.derive.timeline.at), or None without any."""
        p = self.derived()
        return None if p is None else at(p, day)

    def derived_lazily(self, rows: int | None = None) -> LazyDerived | None:
        """:meth:`derived` whose frames are streamed (:class:`FrameSlices`): what a sink that
        writes one derived table after another holds at once is a slice of one of them."""
        return LazyDerived(self, rows) if self.has_derived else None

    def methods(self) -> dict[str, str]:
        """The method text of each kind of derived fact (kg.tables.derived.methods); {} without."""
        info = self.manifest.get("derived")
        return dict(info["methods"]) if info else {}

    def graph_frames(self) -> GraphFrames:
        """The property-graph view: nodes by label set, links by type (kg.tables.view)."""
        from kg.tables.view import graph_view

        return graph_view(self)

    def graph_tables(self) -> GraphTables:
        """The property-graph view as typed Arrow tables (kg.tables.view.graph_tables)."""
        from kg.tables.view import graph_tables

        return graph_tables(self)


class FrameSlices:
    """A table read as frames of at most ``rows`` rows (:meth:`Tables.frame`'s columns and
    types), one at a time: ``len``, ``column in``, iteration, and :meth:`read` of a few columns.

    >>> import tempfile, pathlib
    >>> from kg.tables.arrow import to_arrow
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pq.write_table(to_arrow(pd.DataFrame({"iri": list("abcde"), "n": range(5)}), "t"), folder / "t.parquet")
    >>> t = Tables.of_manifest(folder, {"tables": {"t": {"file": "t.parquet", "rows": 5}}})
    >>> s = FrameSlices(t, "t", rows=2)
    >>> len(s), "n" in s, [f["iri"].tolist() for f in s]
    (5, True, [['a', 'b'], ['c', 'd'], ['e']])
    >>> s.read(["n"], where=("iri", ["b", "e"]))["n"].tolist()
    [1, 4]
    """

    def __init__(self, tables: Tables, name: str, rows: int | None = None):
        self.tables, self.name, self.rows = tables, name, rows or SLICE_ROWS
        self._empty = bool(tables.manifest["tables"][name].get("empty"))
        self._paths = tables.parts(name)

    def __len__(self) -> int:
        return 0 if self._empty else sum(pq.ParquetFile(p).metadata.num_rows for p in self._paths)

    @cached_property
    def _columns(self) -> list[str]:
        return [c["name"] for c in json.loads(pq.read_schema(self._paths[0]).metadata[META_KEY])["columns"]]

    def columns(self) -> list[str]:
        """The frame's columns (the table's, without those that restore others)."""
        return list(self._columns)

    def __contains__(self, column: str) -> bool:
        return column in self._columns

    def __iter__(self):
        return self._batches(None, None)

    def _batches(self, columns: list[str] | None, where: tuple[str, pa.Array] | None = None):
        if self._empty:
            return
        for path in self._paths:
            f = pq.ParquetFile(path)
            cols = None if columns is None else _with_precision(f.schema_arrow, columns)
            schema = f.schema_arrow if cols is None else pa.schema([f.schema_arrow.field(c) for c in cols],
                                                                    metadata=f.schema_arrow.metadata)
            # one look-up of the whole part's key column: Arrow builds its set of values per call
            mask = None if where is None else pc.is_in(pq.read_table(path, columns=[where[0]]).column(0),
                                                       value_set=where[1])
            at = 0
            for batch in f.iter_batches(batch_size=self.rows, columns=cols):
                t = pa.Table.from_batches([batch], schema=schema)
                if mask is not None:
                    t = t.filter(mask.slice(at, batch.num_rows))
                    at += batch.num_rows
                yield to_frame_of_rows(t)

    def read(self, columns: list[str], where: tuple[str, object] | None = None) -> pd.DataFrame:
        """The ``columns`` the table has of every row, or of the rows whose ``where[0]`` is one
        of the values ``where[1]`` (a list or Arrow array of text), as one frame."""
        have = self.columns()
        cols = [c for c in dict.fromkeys(columns) if c in have]
        if where is not None:
            keep = where[1] if isinstance(where[1], pa.Array | pa.ChunkedArray) else pa.array(list(where[1]), pa.string())
            where = (where[0], keep)
        frames = [f for f in self._batches(cols, where) if len(f)]
        if not frames:
            return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]

    def distinct(self, columns: list[str]) -> list[tuple]:
        """The distinct rows of a few text columns, counted in Arrow (no Python value per row).

        >>> import tempfile, pathlib
        >>> from kg.tables.arrow import to_arrow
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> pq.write_table(to_arrow(pd.DataFrame({"s": list("aab"), "f": list("xxy")}), "t"), folder / "t.parquet")
        >>> sorted(FrameSlices(Tables.of_manifest(folder, {"tables": {"t": {"file": "t.parquet"}}}), "t").distinct(["s", "f"]))
        [('a', 'x'), ('b', 'y')]
        """
        if self._empty:
            return []
        seen: set[tuple] = set()
        for path in self._paths:
            t = pq.read_table(path, columns=columns).group_by(columns).aggregate([])
            seen.update(zip(*(t.column(c).to_pylist() for c in columns), strict=True))
        return list(seen)

    def whole(self) -> pd.DataFrame:
        """The table as one frame (:meth:`Tables.frame`)."""
        return self.tables.frame(self.name)


def _build_order(tables: Tables) -> np.ndarray:
    """The build's order of entities (by IRI; an incremental build appends its new ones)."""
    return np.sort(tables.read("entities", ["iri"]).column("iri").to_numpy(zero_copy_only=False)).astype(object)


def _with_precision(schema: pa.Schema, columns: list[str]) -> list[str]:
    """``columns`` and the columns that restore them (a partial date's precision)."""
    meta = {c["name"]: c for c in json.loads(schema.metadata[META_KEY])["columns"]}
    out = []
    for c in columns:
        out.append(c)
        prec = meta.get(c, {}).get("precision")
        if prec:
            out.append(prec)
    return list(dict.fromkeys(c for c in out if c in schema.names))


@dataclass(frozen=True)
class ResolvedSlices:
    """The resolved frames a sink writes from, as :class:`FrameSlices` (the entity rows, the
    links by relationship type, the financial years)."""

    entity_rows: FrameSlices
    links: dict[str, FrameSlices]
    financials: FrameSlices


class LazyDerived:
    """:class:`kg.derive.timeline.DerivedPeriods` of a tables folder whose frames are
    :class:`FrameSlices` (``d.flows``), read when iterated, not kept (:meth:`Tables.derived_lazily`)."""

    def __init__(self, tables: Tables, rows: int | None = None):
        info = tables.manifest["derived"]
        if not info.get("periods"):
            raise TablesError(f"{tables.folder}: derived facts of a single date (an earlier kg); build the graph again")
        self._tables, self._frames, self._rows = tables, set(info["frames"]), rows
        for k, v in info["fields"].items():
            setattr(self, k, _decode(v))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._frames:
            return FrameSlices(self._tables, f"derived.{name}", self._rows)
        if name == "entities":
            return _build_order(self._tables)
        default = {f.name: f for f in fields(DerivedPeriods)}.get(name)
        if default is None:
            raise AttributeError(name)
        return default.default_factory() if default.default_factory is not MISSING else default.default


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames of a table's parts as one (the first part's ``attrs``)."""
    if len(frames) == 1:
        return frames[0]
    out = pd.concat(frames, ignore_index=True)
    out.attrs = frames[0].attrs
    return out


def open_tables(folder: Path) -> Tables:
    """Open a tables folder written by :func:`kg.tables.write.write_tables`."""
    return Tables(folder)


def _hold(db: Path) -> tuple[Path, int]:
    from kg.dbfolder import hold_graph

    gen, fd = hold_graph(db, TablesError)
    if not (tables_dir(gen) / MANIFEST).is_file():
        os.close(fd)
        raise TablesError(f"the graph in {db} has no graph tables (it was built by an earlier kg); "
                          f"build it again with 'kg build'")
    return gen, fd


def open_live_tables(db: Path) -> Tables:
    """The live generation's tables of a database folder; the generation stays whole while the
    returned object is in use (as kg.rdf.store.open_store)."""
    from kg.dbfolder import keep_held

    gen, fd = _hold(Path(db))
    try:
        t = open_tables(tables_dir(gen))
    except BaseException:
        os.close(fd)
        raise
    keep_held(t, fd)
    return t


def graph_frames(db: Path) -> GraphFrames:
    """The live graph of a database folder as property-graph frames (for Neo4j and other
    property-graph sinks), read from its tables while holding the generation.

    >>> g = graph_frames(db)  # doctest: +SKIP
    >>> g.node_count, sorted(g.links)[:2]  # doctest: +SKIP
    (468, ['CERTIFIED_AS', 'CONTROLS'])
    """
    gen, fd = _hold(Path(db))
    try:
        return open_tables(tables_dir(gen)).graph_frames()
    finally:
        os.close(fd)
