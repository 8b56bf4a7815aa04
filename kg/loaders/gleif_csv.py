"""The gleif-csv loader: GLEIF Golden Copy files in CSV, as GLEIF publishes them (also the
.csv.zip downloads): LEI records (LEI-CDF 3.1 columns) and relationship records (RR-CDF 2.1).

A file is recognised by its header: ``LEI`` and ``Entity.LegalName`` make an LEI file;
``Relationship.StartNode.NodeID``, ``Relationship.EndNode.NodeID`` and
``Relationship.RelationshipType`` a relationship file. Only the columns kg uses are parsed
(:data:`LEI_COLUMNS`, :data:`RR_COLUMNS`; the published files have ~200 and ~40), in chunks of
:data:`CHUNK_ROWS` records with pandas' C parser, so memory stays bounded by what is kept. What
the values mean in kg terms is :mod:`kg.loaders.gleif`; a relationship's dates are those of its
``RELATIONSHIP_PERIOD`` (one of ``Relationship.Period.1..5``; accounting and filing periods are
not the relationship's validity). Rows are numbered as a spreadsheet shows them (header = 1).

>>> import tempfile
>>> from kg.records import Records
>>> p = Path(tempfile.mkdtemp()) / "lei.csv"
>>> _ = p.write_text('"LEI","Entity.LegalName","Entity.LegalAddress.Country","Entity.EntityStatus"\\n'
...                  '"506700GE1G29325QX363","Global Legal Entity Identifier Foundation","CH","ACTIVE"\\n')
>>> sniff(p, p.read_bytes())
True
>>> recs = Records()
>>> load(p, recs, None)
>>> recs.entities[0][["lei", "country", "entity_status", "row"]].to_dict("records")
[{'lei': '506700GE1G29325QX363', 'country': 'CH', 'entity_status': 'ACTIVE', 'row': 2}]
"""

from __future__ import annotations

import csv
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd

from kg.loaders.gleif import add_entities, add_relationships, count_file, skipped_warning
from kg.records import Records
from kg.sources.tabular import SourceError

#: LEI-CDF Golden Copy column -> field (kg.loaders.gleif.ENTITY_FIELDS).
LEI_COLUMNS = {
    "LEI": "lei",
    "Entity.LegalName": "name",
    "Entity.LegalName.xmllang": "lang",
    "Entity.EntityCategory": "category",
    "Entity.LegalAddress.Country": "country",
    "Entity.LegalJurisdiction": "jurisdiction",
    "Entity.EntityStatus": "entity_status",
    "Registration.RegistrationStatus": "lei_status",
}
LEI_REQUIRED = ("LEI", "Entity.LegalName")

PERIODS = range(1, 6)
#: RR-CDF Golden Copy column -> field (kg.loaders.gleif.RELATIONSHIP_FIELDS); the periods'
#: columns Relationship.Period.N.startDate / endDate / periodType are read too.
RR_COLUMNS = {
    "Relationship.StartNode.NodeID": "child",
    "Relationship.StartNode.NodeIDType": "child_type",
    "Relationship.EndNode.NodeID": "parent",
    "Relationship.EndNode.NodeIDType": "parent_type",
    "Relationship.RelationshipType": "rel_type",
    "Relationship.RelationshipStatus": "status",
    "Registration.RegistrationStatus": "record_status",
}
RR_REQUIRED = ("Relationship.StartNode.NodeID", "Relationship.EndNode.NodeID", "Relationship.RelationshipType")
PERIOD_COLUMNS = tuple(f"Relationship.Period.{i}.{part}" for i in PERIODS for part in ("startDate", "endDate", "periodType"))

#: Records per chunk: ~100 MB of parsed columns at most, whatever the file's size.
CHUNK_ROWS = 200_000


def _header(path: Path, head: bytes) -> list[str]:
    """The column names in the first line of ``head`` (a zip: of its one CSV member)."""
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.lower().endswith(".csv")]
                if len(names) != 1:
                    return []
                with z.open(names[0]) as f:
                    head = f.read(len(head) or 65536)
        except (zipfile.BadZipFile, OSError):
            return []
    line = head.decode("utf-8-sig", errors="replace").split("\n", 1)[0].rstrip("\r")
    try:
        return next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return []


def layout(columns: list[str]) -> str | None:
    """'lei' (LEI-CDF), 'rr' (RR-CDF) or None, from a header.

    >>> layout(["LEI", "Entity.LegalName"]), layout(list(RR_REQUIRED)), layout(["id", "name"])
    ('lei', 'rr', None)
    """
    have = set(columns)
    if all(c in have for c in LEI_REQUIRED):
        return "lei"
    if all(c in have for c in RR_REQUIRED):
        return "rr"
    return None


def sniff(path: Path, head: bytes) -> bool:
    """Is this a GLEIF Golden Copy CSV (or a zip holding one)?"""
    return layout(_header(path, head)) is not None


def _chunks(path: Path, columns: list[str], encoding: str | None, zipped: bool):
    return pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False, na_filter=False,
                       chunksize=CHUNK_ROWS, encoding=encoding or "utf-8-sig",
                       compression="zip" if zipped else None, engine="c")


def _relationship_period(chunk: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Start and end of each record's first RELATIONSHIP_PERIOD among periods 1..5."""
    start = pd.Series([None] * len(chunk), index=chunk.index, dtype=object)
    end = start.copy()
    taken = pd.Series(False, index=chunk.index)
    for i in PERIODS:
        kind = chunk.get(f"Relationship.Period.{i}.periodType")
        if kind is None:
            continue
        uniq = kind.unique()
        pick = kind.map(dict(zip(uniq, (str(u).strip().upper() == "RELATIONSHIP_PERIOD" for u in uniq), strict=True)))
        pick = pick.astype(bool) & ~taken
        for col, out in (("startDate", start), ("endDate", end)):
            values = chunk.get(f"Relationship.Period.{i}.{col}")
            if values is not None:
                out[pick] = values[pick]
        taken |= pick
    return start, end


def load(path: Path, records: Records, options) -> None:
    """The gleif-csv loader (registry entry in kg.loaders.registry)."""
    label = path.name
    try:
        with path.open("rb") as f:
            head = f.read(1 << 16)
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror})") from None
    header = _header(path, head)
    kind = layout(header)
    if kind is None:
        raise SourceError(
            f"{label}:1: not a GLEIF Golden Copy CSV; expected the columns {' and '.join(LEI_REQUIRED)} (LEI-CDF) "
            f"or {', '.join(RR_REQUIRED)} (RR-CDF)")
    wanted = LEI_COLUMNS if kind == "lei" else {**RR_COLUMNS, **dict.fromkeys(PERIOD_COLUMNS, "")}
    columns = [c for c in header if c in wanted]
    encoding = getattr(options, "encoding", None)
    skipped: Counter = Counter()
    n = 0
    headers = {field: col for col, field in (LEI_COLUMNS if kind == "lei" else RR_COLUMNS).items()}
    headers |= {"start": "Relationship.Period.N.startDate (RELATIONSHIP_PERIOD)",
                "end": "Relationship.Period.N.endDate (RELATIONSHIP_PERIOD)"}
    try:
        for chunk in _chunks(path, columns, encoding, head.startswith(b"PK")):
            chunk.index = pd.RangeIndex(n, n + len(chunk))
            plain = chunk.rename(columns={c: f for c, f in wanted.items() if f})
            plain["row"] = plain.index + 2
            if kind == "lei":
                add_entities(records, plain, label, headers)
            else:
                plain["start"], plain["end"] = _relationship_period(chunk)
                skipped += add_relationships(records, plain, label, headers)
            n += len(chunk)
    except UnicodeDecodeError as e:
        raise SourceError(f"{label}: byte {e.start} of a chunk is not {encoding or 'UTF-8'}; "
                          "GLEIF files are UTF-8 (use --encoding to name another)") from None
    except (pd.errors.ParserError, ValueError, zipfile.BadZipFile) as e:
        raise SourceError(f"{label}: not a readable CSV ({str(e).splitlines()[0]})") from None
    count_file(records, label, "lei-cdf" if kind == "lei" else "rr-cdf", n - sum(skipped.values()))
    warning = skipped_warning(label, skipped)
    if warning:
        records.warnings.append(warning)

