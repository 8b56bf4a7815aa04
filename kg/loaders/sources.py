"""Load files and folders through a mapping into Records.

>>> from kg.resources import resource_path
>>> recs = load_sources([resource_path("data", "sample")])
>>> len(recs.entities) > 0 and not recs.rejects
True
"""

from __future__ import annotations

from pathlib import Path

from kg.loaders.mapping import Mapping, load_mapping
from kg.loaders.tabular import load_table
from kg.records import Records
from kg.sources.tabular import discover, read_tables


def load_sources(sources: list[Path], mapping: Mapping | None = None, encoding: str | None = None) -> Records:
    """Read every table in ``sources`` (files or folders) with ``mapping`` (default canonical)."""
    mapping = mapping or load_mapping()
    records = Records()
    for path in discover([Path(s) for s in sources]):
        for raw in read_tables(path, encoding):
            spec = mapping.table_for(raw.name)
            if spec is None:
                known = ", ".join(f"{t.name}" for t in mapping.tables.values())
                records.warnings.append(f"{raw.label}: not a table of the {mapping.name} mapping ({known}); skipped")
                continue
            load_table(raw, spec, mapping, records)
    return records
