"""Load files and folders into Records, each file by the loader that reads its format.

>>> from kg.resources import resource_path
>>> recs = load_sources([resource_path("data", "sample")])
>>> len(recs.entities) > 0 and not recs.rejects
True
"""

from __future__ import annotations

from pathlib import Path

from kg.loaders.mapping import Mapping, load_mapping
from kg.loaders.registry import (
    HEAD_BYTES,
    LOADERS,
    Loader,
    LoadOptions,
    by_name,
    known_suffixes,
    pick,
)
from kg.loaders.tabular import load_table
from kg.records import Records
from kg.sources.tabular import SourceError, discover, read_tables


def load_sources(sources: list[Path], mapping: Mapping | None = None, encoding: str | None = None,
                 *, loader: str | None = None, params: dict[str, str] | None = None) -> Records:
    """Read every file in ``sources`` (files or folders) with the loader its format needs
    (``loader`` forces one by name); tables use ``mapping`` (default canonical). Files of a
    folder that no loader reads are named in a warning."""
    options = LoadOptions(mapping=mapping or load_mapping(), encoding=encoding, params=dict(params or {}))
    forced = by_name(loader) if loader else None
    suffixes = set(forced.suffixes) if forced and forced.suffixes else known_suffixes()
    records = Records()
    paths = [Path(s) for s in sources]
    found = discover(paths, suffixes)
    skipped = list(found.skipped)
    for path in found.files:
        chosen = forced or _detect(path, named=path in paths)
        if chosen is None:
            skipped.append(path)
        else:
            chosen.load(path, records, options)
    by_folder: dict[Path, list[str]] = {}
    for p in skipped:
        by_folder.setdefault(p.parent, []).append(p.name)
    for folder, names in by_folder.items():
        records.warnings.append(f"{folder}: skipped {len(names)} file(s) no loader reads: {', '.join(names)} (see kg loaders)")
    return records


def _detect(path: Path, named: bool = True) -> Loader | None:
    """The loader for a file, by its suffix and first bytes. None for a file found in a folder
    that no loader reads (the caller warns); a one-line error for a file named on its own."""
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror})") from None
    chosen = pick(path, head)
    if chosen is None and named:
        suffix = path.suffix.lower()
        tried = [x.name for x in LOADERS if x.suffixes and suffix in x.suffixes]
        if tried:
            raise SourceError(f"{path.name}: not a {suffix} file kg recognises (tried {', '.join(tried)}); "
                              "see 'kg loaders', or force one with --loader")
        raise SourceError(f"{path.name}: unsupported file type {suffix!r}; "
                          "see 'kg loaders' for the formats kg reads, or force one with --loader")
    return chosen


def load_tabular_file(path: Path, records: Records, options: LoadOptions) -> None:
    """The tabular loader: every table of a .csv/.tsv/.txt/.xlsx file through the mapping."""
    mapping = options.mapping or load_mapping()
    for raw in read_tables(path, options.encoding):
        spec = mapping.table_for(raw.name)
        if spec is None:
            known = ", ".join(f"{t.name}" for t in mapping.tables.values())
            records.warnings.append(f"{raw.label}: not a table of the {mapping.name} mapping ({known}); skipped")
            continue
        load_table(raw, spec, mapping, records)
