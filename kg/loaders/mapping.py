"""Declarative loader mappings (loaders/*.yaml): which table a file is, and what its columns mean.

>>> m = load_mapping()
>>> m.table_for("股权").name, m.table_for("ownership").link
('ownership', 'OWNS')
>>> m.tables["ownership"].column_for_header("持股比例")
'share'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from kg.ontology import model
from kg.resources import resource_path
from kg.values.text import to_halfwidth

RECORD_KINDS = ("entity", "link", "financial_year")


class MappingError(Exception):
    """A mapping file that does not fit the loader contract (one line)."""


def header_key(h: str) -> str:
    """Normalise a header or table name for matching: half-width, case-folded, '_' for spaces.

    >>> header_key(" Net Profit ")
    'net_profit'
    """
    return "_".join(to_halfwidth(str(h)).strip().casefold().replace("-", " ").split())


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    required: bool = False
    headers: tuple[str, ...] = ()
    property: str | None = None  # ontology column it fills (links / financial years)
    options: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class TableSpec:
    name: str
    files: tuple[str, ...]
    record: str
    columns: dict[str, ColumnSpec] = field(hash=False, compare=False)
    link: str | None = None
    from_col: str | None = None
    to_col: str | None = None
    defaults: dict = field(default_factory=dict, hash=False, compare=False)

    def column_for_header(self, header: str) -> str | None:
        """The column a header names (its own name or one of its accepted headers)."""
        key = header_key(header)
        for c in self.columns.values():
            if key == header_key(c.name) or any(key == header_key(h) for h in c.headers):
                return c.name
        return None

    def accepted_headers(self, column: str) -> str:
        c = self.columns[column]
        return ", ".join((c.name, *c.headers))


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    tables: dict[str, TableSpec] = field(hash=False, compare=False)
    vocabularies: dict[str, dict[str, str]] = field(hash=False, compare=False)  # vocab -> alias key -> value

    def table_for(self, table_name: str) -> TableSpec | None:
        """The table spec a file stem or sheet name belongs to, if any."""
        key = header_key(table_name)
        for t in self.tables.values():
            if key == header_key(t.name) or any(key == header_key(f) for f in t.files):
                return t
        return None


def vocab_key(v: str) -> str:
    """Key for matching vocabulary values: half-width, case-folded, no spaces or quotes."""
    s = to_halfwidth(str(v)).casefold()
    for ch in ' _-"“”\'‘’「」':
        s = s.replace(ch, "")
    return s


def _fail(path: Path, msg: str):
    raise MappingError(f"{path.name}: {msg}")


def parse_mapping(data: dict, path: Path) -> Mapping:
    """Check a mapping document against the loader contract and the ontology."""
    from kg.loaders.columns import COLUMN_TYPES  # the column types a mapping may name

    m = model()
    if not isinstance(data, dict) or "tables" not in data:
        _fail(path, "a mapping needs a 'tables' section")
    vocabs: dict[str, dict[str, str]] = {}
    for vname, values in (data.get("vocabularies") or {}).items():
        table: dict[str, str] = {}
        for canonical, aliases in values.items():
            for alias in [canonical, *(aliases or [])]:
                table[vocab_key(alias)] = canonical
        vocabs[vname] = table
    for t in ("entity_type",):
        for value in set(vocabs.get(t, {}).values()):
            if value not in m.node_types:
                _fail(path, f"vocabulary {t}: {value!r} is not a node type of the ontology")
    tables: dict[str, TableSpec] = {}
    for tname, t in data["tables"].items():
        record = t.get("record")
        if record not in RECORD_KINDS:
            _fail(path, f"table {tname}: record must be one of {', '.join(RECORD_KINDS)}, not {record!r}")
        link = t.get("link")
        link_props = set()
        if record == "link":
            if link not in m.links or m.links[link].derived:
                _fail(path, f"table {tname}: link {link!r} is not a loadable link of the ontology")
            link_props = {p.column for p in m.links[link].properties}
        if record == "financial_year":
            link_props = {p.column for p in m.props_on("FinancialYear")}
        cols: dict[str, ColumnSpec] = {}
        for cname, c in (t.get("columns") or {}).items():
            ctype = c.get("type")
            if ctype not in COLUMN_TYPES:
                _fail(path, f"table {tname}, column {cname}: unknown type {ctype!r}; known: {', '.join(sorted(COLUMN_TYPES))}")
            prop = c.get("property", cname)
            roles = {t.get("from"), t.get("to"), "source"}
            if record != "entity" and cname not in roles and prop not in link_props:
                _fail(path, f"table {tname}, column {cname}: property {prop!r} is not on {link or 'FinancialYear'} in the ontology")
            options = {k: v for k, v in c.items() if k not in ("type", "required", "headers", "property")}
            cols[cname] = ColumnSpec(
                name=cname,
                type=ctype,
                required=bool(c.get("required", False)),
                headers=tuple(str(h) for h in c.get("headers") or ()),
                property=prop,
                options=options,
            )
        for role in ("from", "to"):
            if t.get(role) and t[role] not in cols:
                _fail(path, f"table {tname}: {role} names column {t[role]!r}, which is not defined")
        tables[tname] = TableSpec(
            name=tname,
            files=tuple(str(f) for f in t.get("files") or ()),
            record=record,
            columns=cols,
            link=link,
            from_col=t.get("from"),
            to_col=t.get("to"),
            defaults=t.get("defaults") or {},
        )
    return Mapping(name=str(data.get("name", path.stem)), path=path, tables=tables, vocabularies=vocabs)


def load_mapping(path: Path | str | None = None) -> Mapping:
    """Load a mapping file (default: the canonical layout)."""
    p = Path(path) if path else resource_path("loaders", "canonical.yaml")
    return _load(p.resolve())


@cache
def _load(p: Path) -> Mapping:
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise MappingError(f"{p}: cannot read mapping ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise MappingError(f"{p.name}: not valid YAML ({str(e).splitlines()[0]})") from None
    return parse_mapping(data, p)
