"""What a build checks before its graph replaces the live one: it read some table, and it does
not silently shrink what the live graph holds from the same sources.

A source is a dataset name (the ``source`` column, else the file name). For each source the
live graph and the new build both have, the entities it describes and its links of each kind
are compared; a drop to less than half of any of them needs ``--replace``.

>>> live = {"fixture": {"entities": 7, "links": {"OWNS": 5, "FUNDED": 3}}}
>>> shrinkage(live, {"fixture": {"entities": 7, "links": {"OWNS": 5}}})
["source 'fixture': FUNDED links 3 -> 0"]
>>> shrinkage(live, {"other": {"entities": 1, "links": {}}})
[]
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kg.loaders.mapping import Mapping
from kg.records import Records
from kg.sources.tabular import discover


def nothing_read(records: Records, sources: list[Path], mapping: Mapping) -> str | None:
    """The one-line error for a build that read no table at all (None if it read one).

    >>> import tempfile, pathlib
    >>> from kg.loaders.mapping import load_mapping
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "companies.csv").write_text("id,name\\n1,x\\n")
    >>> print(nothing_read(Records(), [d], load_mapping()))  # doctest: +ELLIPSIS
    nothing to build: read no table from ... (found companies.csv); expected entities, ownership, ...
    """
    if records.files:
        return None
    seen = discover(sources)
    found = sorted({p.name for p in (*seen.files, *seen.skipped)})
    shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "") if found else "no file"
    where = str(sources[0]) if len(sources) == 1 else f"the {len(sources)} sources given"
    tables = ", ".join(mapping.tables)
    return (f"nothing to build: read no table from {where} (found {shown}); expected {tables} "
            f"(.csv, .tsv, .txt or .xlsx) of the {mapping.name} mapping, another layout with --mapping, "
            "or a format 'kg loaders' lists")


def counts_by_source(entity_rows: pd.DataFrame, links: dict[str, pd.DataFrame],
                     financials: pd.DataFrame) -> dict[str, dict]:
    """Entities described and links of each kind, per source name (recorded in build.json).

    >>> rows = pd.DataFrame({"source": ["a", "a", "b"], "iri": ["x", "y", "x"]})
    >>> owns = pd.DataFrame({"source": ["a"]})
    >>> counts_by_source(rows, {"OWNS": owns}, pd.DataFrame())
    {'a': {'entities': 2, 'links': {'OWNS': 1}}, 'b': {'entities': 1, 'links': {}}}
    """
    out: dict[str, dict] = {}

    def entry(source) -> dict:
        return out.setdefault(str(source), {"entities": 0, "links": {}})

    if len(entity_rows):
        for source, n in entity_rows.groupby("source")["iri"].nunique().items():
            entry(source)["entities"] = int(n)
    for kind, df in {**links, "REPORTED": financials}.items():
        if len(df):
            for source, n in df.groupby("source").size().items():
                entry(source)["links"][kind] = int(n)
    return dict(sorted(out.items()))


def shrinkage(live: dict[str, dict], new: dict[str, dict]) -> list[str]:
    """Where the new build keeps less than half of what the live graph has from a source both have."""
    drops = []
    for source in sorted(live.keys() & new.keys()):
        before, after = live[source], new[source]
        pairs = [("entities", before.get("entities", 0), after.get("entities", 0))]
        pairs += [(f"{kind} links", n, after.get("links", {}).get(kind, 0))
                  for kind, n in sorted(before.get("links", {}).items())]
        drops += [f"source {source!r}: {what} {b} -> {a}" for what, b, a in pairs if a < b / 2]
    return drops
