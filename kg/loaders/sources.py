"""Load files and folders into Records, each file by the loader that reads its format.

>>> from kg.resources import resource_path
>>> recs = load_sources([resource_path("data", "sample")])
>>> len(recs.entities) > 0 and not recs.rejects
True
"""

from __future__ import annotations

from pathlib import Path

from kg.loaders.mapping import Mapping, load_mapping
from kg.loaders.registry import HEAD_BYTES, LoadOptions, by_name, known_suffixes, pick
from kg.loaders.tabular import load_table
from kg.records import Records
from kg.sources.tabular import SourceError, discover, read_tables


def load_sources(sources: list[Path], mapping: Mapping | None = None, encoding: str | None = None,
                 *, loader: str | None = None, params: dict[str, str] | None = None) -> Records:
    """Read every file in ``sources`` (files or folders) with the loader its format needs
    (``loader`` forces one by name); tables use ``mapping`` (default canonical)."""
    options = LoadOptions(mapping=mapping or load_mapping(), encoding=encoding, params=dict(params or {}))
    forced = by_name(loader) if loader else None
    records = Records()
    files = [(path, src.is_dir()) for src in map(Path, sources) for path in discover([src], known_suffixes())]
    for path, in_folder in files:
        chosen = forced
        if chosen is None:
            try:
                with path.open("rb") as f:
                    head = f.read(HEAD_BYTES)
            except OSError as e:
                raise SourceError(f"{path}: cannot read ({e.strerror})") from None
            chosen = pick(path, head)
            if chosen is None and in_folder:  # a folder may hold other JSON (a manifest, a report): said, not read
                records.warnings.append(f"{path.name}: skipped, no loader reads its content (see 'kg loaders'; "
                                        "name the file with --loader to force one)")
                continue
            if chosen is None:
                raise SourceError(f"{path.name}: unsupported file type {path.suffix.lower()!r}; "
                                  "see 'kg loaders' for the formats kg reads, or force one with --loader")
        chosen.load(path, records, options)
    return records


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
