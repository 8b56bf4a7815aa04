"""An incremental build's graph tables: the live build's files, linked, plus one part per table
holding what the new sources added (kg.incremental).

A table of the new folder is the old table's parts (hard links: the old generation's files are
never written again) followed by a part of the rows the new sources added, if any; the manifest
lists a table's ``parts`` in order and :class:`kg.tables.read.Tables` reads them as one table.
Rows only ever append here: an incremental build that would change or remove a row of the live
build is not incremental (kg.incremental falls back to a whole build).

>>> import tempfile, pathlib
>>> from kg.loaders.sources import load_sources
>>> from kg.resolve import resolve
>>> from kg.resources import resource_path
>>> from kg.tables.read import open_tables
>>> from kg.tables.write import write_tables
>>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_tables(res, None, tmp / "old")
>>> _ = append_tables(open_tables(tmp / "old"), res, None, tmp / "new")
>>> t = open_tables(tmp / "new")
>>> t.parts("links.OWNS")[1].name, t.rows("links.OWNS"), len(t.frame("links.OWNS"))
('links-OWNS.1.parquet', 10, 10)
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from kg import __version__
from kg.derive.timeline import DerivedPeriods
from kg.resolve import Resolved
from kg.tables.arrow import frame_meta, to_arrow
from kg.tables.read import Tables
from kg.tables.write import COMPRESSION, table_file, table_frames, write_manifest

MAX_PARTS = 8
"""A table of this many parts is not appended to again: the next build is a whole one."""


class CannotAppend(Exception):
    """The new rows do not fit the live tables as an appended part (a column the live table does
    not have, a table at :data:`MAX_PARTS`); the caller builds the whole graph instead."""


def _fit(frame: pd.DataFrame, columns: list[str], name: str) -> pd.DataFrame:
    """``frame`` with the live table's columns (None where it has none of them); a column the
    live table lacks is only dropped when it holds no value."""
    extra = [c for c in frame.columns if c not in columns]
    full = [c for c in extra if frame[c].notna().any()]
    if full:
        raise CannotAppend(f"table {name}: the new rows have column(s) {', '.join(full)} that the live table lacks")
    out = frame.drop(columns=extra)
    for c in columns:
        if c not in out:
            out[c] = None
    return out[columns]


def append_tables(old: Tables, resolved: Resolved, derived: DerivedPeriods | None, folder: Path) -> dict:
    """The tables of ``old`` with the rows of ``resolved`` and ``derived`` (new rows only)
    appended, written into ``folder`` (made here); returns the manifest. Raises
    :class:`CannotAppend` (nothing usable written) where a whole build is needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frames = dict(table_frames(resolved, derived, reference=False))
    if derived is None and old.has_derived:
        raise CannotAppend("the live build has derived facts and this one has none")
    if derived is not None and not old.has_derived:
        raise CannotAppend("the live build has no derived facts")
    tables: dict[str, dict] = {}
    appended: list[str] = []
    for name in old.names():
        parts = old.parts(name)
        delta = frames.pop(name, None)
        if delta is not None and len(delta) and len(parts) >= MAX_PARTS:
            raise CannotAppend(f"table {name} has {len(parts)} parts")
        names = []
        for p in parts:
            os.link(p, folder / p.name)
            names.append(p.name)
        entry = dict(old.manifest["tables"][name])
        if delta is not None and len(delta):
            columns = [c["name"] for c in frame_meta(pq.read_schema(parts[0]).empty_table())["columns"]]
            t = to_arrow(_fit(delta.reset_index(drop=True), columns, name), name)
            part = table_file(name).removesuffix(".parquet") + f".{len(parts)}.parquet"
            pq.write_table(t, folder / part, compression=old.manifest.get("compression", COMPRESSION))
            names.append(part)
            appended.append(part)
            entry["rows"] += t.num_rows
            entry["bytes"] += (folder / part).stat().st_size
        entry["file"] = names[0]
        if len(names) > 1:
            entry["parts"] = names
        tables[name] = entry
    rest = {n: f for n, f in frames.items() if len(f)}
    if rest:  # a link kind or frame the live build did not have: its table is new
        raise CannotAppend(f"the new sources add table(s) the live build lacks: {', '.join(sorted(rest))}")
    manifest = {**old.manifest, "kg_version": __version__,
                "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "tables": tables,
                "appended": appended}
    write_manifest(folder, manifest)
    return manifest


def delta_tables(folder: Path, manifest: dict) -> Tables:
    """The rows :func:`append_tables` appended (each table's last part written by it), as tables
    of their own (a table without new rows, and the reference entities, empty): what the
    embedded Cypher database and the RDF store add."""
    tables = {}
    for name, entry in manifest["tables"].items():
        parts = entry.get("parts") or [entry["file"]]
        if name != "reference" and len(parts) > 1 and parts[-1] in manifest.get("appended", ()):
            t = pq.read_metadata(Path(folder) / parts[-1])
            tables[name] = {"file": parts[-1], "rows": t.num_rows}
        else:  # nothing appended: the table is there, with no rows
            tables[name] = {"file": parts[0], "rows": 0, "empty": True}
    return Tables.of_manifest(folder, {**manifest, "tables": tables})
