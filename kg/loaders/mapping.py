"""Declarative loader mappings (loaders/*.yaml): which table a file is, and what its columns mean.

The language is documented in docs/mapping.md. A mapping says how its files are read
(``read``: encoding, delimiter, header row, rows to skip), how values are written (``formats``:
decimal comma, date order), and per table: its columns (headers, value type, formats, constants,
loader parameters, a cell split into several values), defaults, and the records one row makes
(an entity, a link, a financial year, or several: a firm and its link). Every mistake in a
mapping is one line naming the file and the key (``kg mapping check FILE.yaml``).

>>> m = load_mapping()
>>> m.table_for("股权").name, m.table_for("ownership").link
('ownership', 'OWNS')
>>> m.tables["ownership"].column_for_header("持股比例")
'share'
>>> parse_mapping({"tables": {"t": {"record": "entity", "columns": {"name": {"type": "sting"}}}}}, Path("x.yaml"))
Traceback (most recent call last):
...
kg.loaders.mapping.MappingError: x.yaml: tables.t.columns.name.type: unknown type 'sting'; known: amount, board, boolean, currency, date, entity_type, exchange, instrument, integer, lei, money, programme, rate, ref, share, signed_money, source, string, ticker, uscc, vocabulary, year
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
#: Columns an entity record may fill besides the ontology's entity properties.
ENTITY_EXTRA = ("id", "type", "source")
#: How a mapping's files are read.
READ_KEYS = ("encoding", "delimiter", "header_row", "skip_rows")
#: Value formats, at the top (``formats``) or on a column.
FORMAT_KEYS = ("decimal", "date_order")
DATE_ORDERS = ("YMD", "DMY", "MDY")
COLUMN_KEYS = ("type", "required", "headers", "property", "value", "param", "percent", "unit", "split",
               "exchange_column", "vocabulary", "currency_column", "bound_column", "description", *FORMAT_KEYS)
TABLE_KEYS = ("files", "record", "link", "from", "to", "columns", "defaults", "records", "identify_by", "description")
TOP_KEYS = ("name", "description", "read", "formats", "tables", "vocabularies")
#: Default rules: the rule's key and the other keys it takes.
DEFAULT_RULES = {
    "value": (),
    "start_of_year": (),
    "year_of": (),
    "years_after": ("years",),
    "board_of": (),
    "when_contains": ("words", "value", "reason_column", "reason"),
    "copy_when": ("when", "in"),
    "share_of_total": ("per", "basis_column", "basis"),
    "batch_year": ("programme",),
}
NUMERIC_TYPES = ("share", "rate", "amount", "money", "signed_money", "integer", "year")


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
class Output:
    """One record a row makes: ``kind`` entity|link|financial_year; ``columns`` maps the record's
    column (ontology column, or from_ref/to_ref) to the table column that fills it; ``label``
    names an entity record so links of the same row can point at it (``refs``: role -> label)."""

    kind: str
    columns: dict[str, str]
    link: str | None = None
    label: str | None = None
    refs: dict[str, str] = field(default_factory=dict)  # from_ref/to_ref -> entity label of this row


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
    outputs: tuple[Output, ...] = ()
    identify_by: tuple[str, ...] = ()  # columns a file must have to be recognised without --mapping
    helpers: tuple[str, ...] = ()  # columns filled by the loader, not read: an amount's range, a rule's result

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

    @property
    def split_column(self) -> str | None:
        return next((c.name for c in self.columns.values() if c.options.get("split")), None)


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    tables: dict[str, TableSpec] = field(hash=False, compare=False)
    vocabularies: dict[str, dict[str, str]] = field(hash=False, compare=False)  # vocab -> alias key -> value
    read: dict = field(default_factory=dict, hash=False, compare=False)

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


class _Check:
    """Raises one-line errors naming the mapping file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, msg: str):
        raise MappingError(f"{self.path.name}: {key}: {msg}" if key else f"{self.path.name}: {msg}")

    def mapping(self, value, key: str, what: str = "a mapping of keys to values") -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"expected {what}, not {type(value).__name__} {value!r}")
        return value

    def keys(self, value: dict, key: str, known) -> None:
        for k in value:
            if k not in known:
                self.fail(f"{key}.{k}" if key else str(k), f"unknown key; known: {', '.join(known)}")

    def strings(self, value, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str | int | float):
            return (str(value),)
        if not isinstance(value, list):
            self.fail(key, f"expected a list of texts, not {type(value).__name__}")
        return tuple(str(v) for v in value)


def _read_options(c: _Check, data, key: str) -> dict:
    read = c.mapping(data, key)
    c.keys(read, key, READ_KEYS)
    if "encoding" in read:
        import codecs

        try:
            codecs.lookup(str(read["encoding"]))
        except LookupError:
            c.fail(f"{key}.encoding", f"unknown encoding {read['encoding']!r}; expected e.g. utf-8, gb18030, utf-16, latin-1")
    if "delimiter" in read and (not isinstance(read["delimiter"], str) or len(read["delimiter"]) != 1):
        c.fail(f"{key}.delimiter", f"expected one character such as ';', ',' or '\\t', not {read['delimiter']!r}")
    for k in ("header_row", "skip_rows"):
        v = read.get(k)
        lowest = 1 if k == "header_row" else 0
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < lowest):
            c.fail(f"{key}.{k}", f"expected a whole number of at least {lowest}, not {v!r}")
    return dict(read)


def _formats(c: _Check, data: dict, key: str) -> dict:
    out = {}
    if "decimal" in data:
        if data["decimal"] not in (".", ","):
            c.fail(f"{key}.decimal", f"expected '.' or ',', not {data['decimal']!r}")
        out["decimal"] = data["decimal"]
    if "date_order" in data:
        if str(data["date_order"]).upper() not in DATE_ORDERS:
            c.fail(f"{key}.date_order", f"expected one of {', '.join(DATE_ORDERS)}, not {data['date_order']!r}")
        out["date_order"] = str(data["date_order"]).upper()
    return out


def _column(c: _Check, cname: str, col, key: str, formats: dict, vocabs: dict, column_types) -> ColumnSpec:
    col = c.mapping(col, key)
    c.keys(col, key, COLUMN_KEYS)
    ctype = col.get("type")
    if ctype not in column_types:
        c.fail(f"{key}.type", f"unknown type {ctype!r}; known: {', '.join(sorted(column_types))}")
    if ctype == "vocabulary" and col.get("vocabulary") not in vocabs:
        c.fail(f"{key}.vocabulary", f"names no vocabulary of this mapping ({col.get('vocabulary')!r}); defined: {', '.join(sorted(vocabs)) or 'none'}")
    opts = {**formats, **_formats(c, col, key)}
    if "percent" in col and not isinstance(col["percent"], bool):
        c.fail(f"{key}.percent", f"expected true or false, not {col['percent']!r}")
    if col.get("percent") and ctype not in ("share", "rate"):
        c.fail(f"{key}.percent", f"applies to share and rate columns, not to type {ctype}")
    if "unit" in col:
        from kg.values import amount

        if ctype not in ("amount", "money", "signed_money"):
            c.fail(f"{key}.unit", f"applies to amount and money columns, not to type {ctype}")
        try:
            amount.parse("1" + str(col["unit"]))
        except ValueError:
            c.fail(f"{key}.unit", f"{col['unit']!r} is not a unit of amounts; expected e.g. 万元, 亿元, 万美元, million")
    if "split" in col:
        seps = col["split"]
        if isinstance(seps, str):
            seps = list(seps)
        if not isinstance(seps, list) or not seps or not all(isinstance(s, str) and s for s in seps):
            c.fail(f"{key}.split", f"expected the separators as text, e.g. '、，,', not {col['split']!r}")
        opts["split"] = tuple(seps)
    if "required" in col and not isinstance(col["required"], bool):
        c.fail(f"{key}.required", f"expected true or false, not {col['required']!r}")
    if "value" in col and "param" in col:
        c.fail(f"{key}.value", "a column takes a constant value or a param, not both")
    for k in ("value", "param", "percent", "unit", "exchange_column", "vocabulary", "currency_column", "bound_column"):
        if k in col:
            opts[k] = col[k]
    if col.get("required") and "param" in col:
        opts["needed"] = True  # checked by the loader: from the file, --loader-param or the title
    return ColumnSpec(
        name=cname, type=ctype, required=bool(col.get("required", False)) and "param" not in col,
        headers=c.strings(col.get("headers"), f"{key}.headers"), property=col.get("property", cname), options=opts,
    )


def _target_columns(kind: str, link: str | None) -> set[str]:
    m = model()
    if kind == "entity":
        return {p.column for p in m.props_on("Entity") if not p.derived} | set(ENTITY_EXTRA)
    if kind == "financial_year":
        return {p.column for p in m.props_on("FinancialYear") if not p.derived}
    return {p.column for p in m.links[link].properties if not p.derived} | {"source"}


def _outputs(c: _Check, t: dict, tname: str, cols: dict[str, ColumnSpec], helpers: tuple[str, ...]) -> tuple[Output, ...]:
    """The records a row makes: the ``records`` list, or the table's own record/link/from/to."""
    m = model()
    key = f"tables.{tname}"
    if "records" not in t:
        record = t.get("record")
        if record not in RECORD_KINDS:
            c.fail(f"{key}.record", f"must be one of {', '.join(RECORD_KINDS)}, not {record!r}")
        link = t.get("link")
        if record == "link" and (link not in m.links or m.links[link].derived):
            c.fail(f"{key}.link", f"link {link!r} is not a loadable link of the ontology; loadable: {', '.join(_loadable())}")
        targets = _target_columns(record, link)
        mapped: dict[str, str] = {}
        for cname, col in cols.items():
            if cname in (t.get("from"), t.get("to")):
                continue
            target = cname if record == "entity" else col.property
            if target not in targets:
                on = {"entity": "entities"}.get(record, link or "FinancialYear")
                c.fail(f"{key}.columns.{cname}", f"property {target!r} is not on {on} in the ontology")
            mapped[target] = cname
        for h in helpers:  # an amount's range and currency, a rule's result: taken where the record has them
            if h in targets:
                mapped.setdefault(h, h)
        for role, name in (("from", t.get("from")), ("to", t.get("to"))):
            if name and name not in cols:
                c.fail(f"{key}.{role}", f"names column {name!r}, which is not defined")
            if name:
                mapped[f"{role}_ref"] = name
        if record != "entity" and "from_ref" not in mapped:
            c.fail(f"{key}.from", f"a {record} table names the column that refers to its {'start' if record == 'link' else 'firm'}")
        if record == "link" and "to_ref" not in mapped:
            c.fail(f"{key}.to", "a link table names the column that refers to its end")
        return (Output(record, mapped, link),)
    for k in ("record", "link", "from", "to"):
        if k in t:
            c.fail(f"{key}.{k}", "a table with a 'records' list says the record kind in each record, not here")
    items = t["records"]
    if not isinstance(items, list) or not items:
        c.fail(f"{key}.records", "expected a list of records (entity: LABEL, link: TYPE or financial_year: LABEL)")
    labels: dict[str, int] = {}
    outs = []
    for i, item in enumerate(items):
        ikey = f"{key}.records[{i}]"
        item = c.mapping(item, ikey)
        kinds = [k for k in RECORD_KINDS if k in item]
        if len(kinds) != 1:
            c.fail(ikey, f"expected exactly one of {', '.join(RECORD_KINDS)} (the record kind), found {', '.join(kinds) or 'none'}")
        kind = kinds[0]
        c.keys(item, ikey, (kind, "from", "to", "columns"))
        link = item[kind] if kind == "link" else None
        label = str(item[kind]) if kind != "link" else None
        if kind == "link" and (link not in m.links or m.links[link].derived):
            c.fail(f"{ikey}.link", f"link {link!r} is not a loadable link of the ontology; loadable: {', '.join(_loadable())}")
        if label is not None:
            if label in labels:
                c.fail(f"{ikey}.{kind}", f"label {label!r} is used twice (records[{labels[label]}])")
            labels[label] = i
        raw = item.get("columns") or {}
        if isinstance(raw, list):
            raw = {str(x): str(x) for x in raw}
        raw = c.mapping(raw, f"{ikey}.columns", "a list of column names or a mapping record column: table column")
        targets = _target_columns(kind, link)
        mapped = {}
        for target, source in raw.items():
            if target not in targets:
                on = {"entity": "entities", "financial_year": "FinancialYear"}.get(kind, link)
                c.fail(f"{ikey}.columns.{target}", f"{target!r} is not a property of {on} in the ontology")
            if source not in cols and source not in helpers:
                c.fail(f"{ikey}.columns.{target}", f"names table column {source!r}, which is not defined")
            mapped[str(target)] = str(source)
        refs = {}
        for role in ("from", "to"):
            if role not in item:
                continue
            if kind == "entity":
                c.fail(f"{ikey}.{role}", "an entity record has no from/to")
            name = str(item[role])
            if name in labels and items[labels[name]].get("entity") is not None:
                refs[f"{role}_ref"] = name
            elif name in cols:
                mapped[f"{role}_ref"] = name
            else:
                c.fail(f"{ikey}.{role}", f"names {name!r}, which is neither a column nor an entity record of this row (entity records come first)")
        if kind == "entity":
            if "type" not in mapped:
                c.fail(f"{ikey}.columns", "an entity record needs a type (a column, or one with a constant value such as Firm)")
            if not {"name", "uscc", "lei", "ticker", "id"} & set(mapped):
                c.fail(f"{ikey}.columns", "an entity record needs a name, uscc, lei, ticker or id")
        else:
            if "from_ref" not in mapped and "from_ref" not in refs:
                c.fail(f"{ikey}.from", f"a {kind} record names its {'start' if kind == 'link' else 'firm'} (a column or an entity record)")
            if kind == "link" and "to_ref" not in mapped and "to_ref" not in refs:
                c.fail(f"{ikey}.to", "a link record names its end (a column or an entity record)")
        outs.append(Output(kind, mapped, link, label, refs))
    return tuple(outs)


def _loadable() -> list[str]:
    return sorted(r for r, lk in model().links.items() if not lk.derived and r != "REPORTED")


def _defaults(c: _Check, data, key: str, cols: dict[str, ColumnSpec], extra: set[str]) -> dict:
    data = c.mapping(data, key)
    known_cols = set(cols) | extra
    for col, rule in data.items():
        rkey = f"{key}.{col}"
        rule = c.mapping(rule, rkey)
        kinds = [k for k in DEFAULT_RULES if k in rule and k != "value"] or [k for k in ("value",) if k in rule]
        if len(kinds) != 1:
            c.fail(rkey, f"expected one rule of {', '.join(DEFAULT_RULES)}")
        kind = kinds[0]
        c.keys(rule, rkey, (kind, *DEFAULT_RULES[kind]))
        if kind != "value":
            for source in c.strings(rule[kind], f"{rkey}.{kind}") if kind == "copy_when" else [rule[kind]]:
                if source not in known_cols:
                    c.fail(f"{rkey}.{kind}", f"names column {source!r}, which is not defined")
        if kind == "when_contains" and not c.strings(rule.get("words"), f"{rkey}.words"):
            c.fail(f"{rkey}.words", "expected the words to look for, e.g. [国有独资, 国有控股]")
        if kind == "batch_year" and rule.get("programme") not in known_cols:
            c.fail(f"{rkey}.programme", f"names column {rule.get('programme')!r}, which is not defined")
        if kind == "copy_when":
            if rule.get("when") not in known_cols:
                c.fail(f"{rkey}.when", f"names column {rule.get('when')!r}, which is not defined")
            c.strings(rule.get("in"), f"{rkey}.in")
        if kind == "share_of_total":
            per = c.strings(rule.get("per"), f"{rkey}.per")
            if not per:
                c.fail(f"{rkey}.per", "expected the column(s) naming the firm whose total is the base, e.g. [firm_uscc, firm_name]")
            for p in per:
                if p not in known_cols:
                    c.fail(f"{rkey}.per", f"names column {p!r}, which is not defined")
        extra.add(col)
        known_cols.add(col)
    return dict(data)


def parse_mapping(data: dict, path: Path) -> Mapping:
    """Check a mapping document against the loader contract and the ontology."""
    from kg.loaders.columns import COLUMN_TYPES  # the column types a mapping may name

    c = _Check(path)
    m = model()
    if not isinstance(data, dict) or "tables" not in data:
        c.fail("", "a mapping needs a 'tables' section")
    c.keys(data, "", TOP_KEYS)
    read = _read_options(c, data.get("read"), "read")
    top_formats = c.mapping(data.get("formats"), "formats")
    c.keys(top_formats, "formats", FORMAT_KEYS)
    formats = _formats(c, top_formats, "formats")
    vocabs: dict[str, dict[str, str]] = {}
    for vname, values in c.mapping(data.get("vocabularies"), "vocabularies").items():
        table: dict[str, str] = {}
        for canonical, aliases in c.mapping(values, f"vocabularies.{vname}").items():
            for alias in [canonical, *c.strings(aliases, f"vocabularies.{vname}.{canonical}")]:
                table[vocab_key(alias)] = canonical
        vocabs[vname] = table
    for node_type in m.node_types:  # the ontology's own names are always understood
        if node_type not in ("Programme", "FinancialYear") and not m.node_type(node_type).derived:
            vocabs.setdefault("entity_type", {}).setdefault(vocab_key(node_type), node_type)
    for t in ("entity_type",):
        for value in set(vocabs.get(t, {}).values()):
            if value not in m.node_types:
                c.fail(f"vocabularies.{t}.{value}", f"{value!r} is not a node type of the ontology")
    tables: dict[str, TableSpec] = {}
    for tname, t in c.mapping(data["tables"], "tables").items():
        key = f"tables.{tname}"
        t = c.mapping(t, key)
        c.keys(t, key, TABLE_KEYS)
        cols: dict[str, ColumnSpec] = {}
        for cname, col in c.mapping(t.get("columns"), f"{key}.columns").items():
            cols[str(cname)] = _column(c, str(cname), col, f"{key}.columns.{cname}", formats, vocabs, COLUMN_TYPES)
        splits = [n for n, col in cols.items() if col.options.get("split")]
        if len(splits) > 1:
            c.fail(f"{key}.columns.{splits[1]}.split", f"one column per table may be split (already {splits[0]})")
        for cname, col in cols.items():
            if "exchange_column" in col.options and col.options["exchange_column"] not in cols:
                c.fail(f"{key}.columns.{cname}.exchange_column", f"names column {col.options['exchange_column']!r}, which is not defined")
            for opt in ("currency_column", "bound_column"):
                if opt in col.options and col.type != "amount":
                    c.fail(f"{key}.columns.{cname}.{opt}", f"applies to amount columns, not to type {col.type}")
        extra = set()
        for n, col in cols.items():
            if col.type == "amount":  # an amount cell also gives its currency, bound and range
                extra |= {col.options.get("currency_column", "currency"), col.options.get("bound_column", "amount_bound"),
                          f"{n}_min", f"{n}_max"}
        defaults = _defaults(c, t.get("defaults"), f"{key}.defaults", cols, extra)
        for rule in defaults.values():  # columns a rule writes besides its own
            for k, default in (("reason_column", None), ("basis_column", "share_basis")):
                if rule.get(k, default) and (k in rule or "share_of_total" in rule):
                    extra.add(rule.get(k, default))
        helpers = tuple(sorted((extra | set(defaults)) - set(cols)))
        outputs = _outputs(c, t, str(tname), cols, helpers)
        identify = c.strings(t.get("identify_by"), f"{key}.identify_by")
        for x in identify:
            if x not in cols:
                c.fail(f"{key}.identify_by", f"names column {x!r}, which is not defined")
        first = outputs[0]
        tables[str(tname)] = TableSpec(
            name=str(tname),
            files=c.strings(t.get("files"), f"{key}.files"),
            record=first.kind,
            columns=cols,
            link=first.link,
            from_col=first.columns.get("from_ref"),
            to_col=first.columns.get("to_ref"),
            defaults=defaults,
            outputs=outputs,
            identify_by=identify or tuple(n for n, col in cols.items() if col.required),
            helpers=helpers,
        )
    return Mapping(name=str(data.get("name", path.stem)), path=path, tables=tables, vocabularies=vocabs, read=read)


def load_mapping(path: Path | str | None = None) -> Mapping:
    """Load a mapping file (default: the canonical layout)."""
    p = Path(path) if path else resource_path("loaders", "canonical.yaml")
    return _load(p.resolve())


def shipped_mappings() -> list[Mapping]:
    """The mappings that ship in loaders/ (canonical first): what kg recognises without --mapping.

    >>> [m.name for m in shipped_mappings()][:1]
    ['canonical']
    """
    folder = resource_path("loaders")
    paths = sorted(folder.glob("*.yaml"), key=lambda p: (p.name != "canonical.yaml", p.name))
    return [load_mapping(p) for p in paths]


@cache
def _load(p: Path) -> Mapping:
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise MappingError(f"{p}: cannot read mapping ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise MappingError(f"{p.name}: not UTF-8 text (byte {e.start}); save the mapping as UTF-8") from None
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        raise MappingError(f"{p.name}: {line}not valid YAML ({getattr(e, 'problem', None) or str(e).splitlines()[0]})") from None
    return parse_mapping(data, p)
