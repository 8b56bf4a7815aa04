"""Write resolved records and derived facts as N-Quads text, streamed in chunks of rows.

The model (ontology/kg.ttl; docs/architecture.md):

* **one named graph per source file** (``id/graph/source/<dataset>/<file>``), described once
  inside itself: ``<g> a kg:SourceFile ; kg:source "<dataset>" ; kg:sourceFile "<file>"``;
* an **entity row** gives the entity's types (materialised: GuidanceFund and Fund), its
  attributes and ``kg:sourceRow`` (and ``kg:sourceRecord`` for a nested source) in the graph of
  its file: where and what the row said, in one reference;
* a **link** is a qualified node (``kg:owner``, ``kg:owned`` and its properties) in its file's
  graph, without a direct ``?a kg:owns ?b`` triple beside it and without its rdf:type (the
  domain of ``kg:owner`` says it: ``kg:typeStated false``); a **financial year** is a node the
  firm ``kg:reported``, with its values. Both are named by their row, ``<table IRI>/row/<n>``
  (``kg:rowInIri``; :func:`row_iri`), instead of a ``kg:sourceRow`` statement;
* **derived facts** go into the derived graph; how each kind was computed is stated once, on its
  class (``kg:IntegratedOwnership kg:method "..."``), not on every fact;
* what the ontology says a query can compute is left out (:func:`store_rules`: lookups the
  queries compute, values equal to a declared default, a look-through flow's values that its
  funding states); kg/rdf/read.py puts it back when reading.

Text is built with f-strings over plain lists (3-5x faster than pandas string concatenation on
a 700k-row column), one property over a slice of :data:`CHUNK` rows at a time, so nothing is
held per quad for the whole graph.

>>> literal_terms(pd.Series(['a"b', None]), XSD + "string")
['"a\\\\"b"', None]
>>> decimal_text(1.5e8), decimal_text(0.51), decimal_text(1e-05)
('150000000', '0.51', '0.00001')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from functools import cache
from json.encoder import encode_basestring
from urllib.parse import quote

import numpy as np
import pandas as pd
import rdflib

from kg.ontology import ID, KG, RDF_TYPE, XSD, Property, model
from kg.resolve import Resolved
from kg.resources import resource_path

GRAPH_REFERENCE = f"{ID}graph/reference"
GRAPH_ONTOLOGY = f"{ID}graph/ontology"
GRAPH_DERIVED = f"{ID}graph/derived"

CHUNK = 100_000
"""Rows per slice: each text chunk holds one property of at most this many rows."""

_LANG = str(rdflib.RDF.langString)


@cache
def source_graph(source: str, file: str) -> str:
    """The named graph of one source file of a dataset.

    >>> source_graph("merics 2024", "lists/2023.xlsx")
    'https://w3id.org/accelerator-kg/id/graph/source/merics%202024/lists%2F2023.xlsx'
    """
    return f"{ID}graph/source/{quote(str(source), safe='')}/{quote(str(file), safe='')}"


def decimal_text(x: float) -> str:
    """A float as an xsd:decimal lexical form (no exponent; at most 18 fractional digits, which is
    what Oxigraph's xsd:decimal holds: a longer one would be an invalid literal there)."""
    return np.format_float_positional(float(x), precision=18, unique=True, fractional=True, trim="-")


def _lexical(value, datatype: str, position: str | None) -> str:
    if datatype == XSD + "date":
        if isinstance(value, dt.date):
            return value.isoformat()
        d = value.last_day() if position == "end" else value.first_day()
        return d.isoformat()
    if datatype == XSD + "decimal":
        return decimal_text(value)
    if datatype == XSD + "integer":
        return str(int(value))
    if datatype == XSD + "boolean":
        return "true" if value else "false"
    return str(value)


def _present(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The values of a column as an object array and the mask of those that are not missing."""
    vals = s.to_numpy(dtype=object)
    return vals, ~pd.isna(vals)


def _number_lexical(vals: np.ndarray, datatype: str, position: str | None) -> list[str]:
    """Lexical forms of numbers: whole ones in bulk, the rest one by one."""
    arr = pd.to_numeric(pd.Series(vals, dtype=object), errors="coerce").to_numpy(dtype=float)
    whole = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2**53)
    out = np.empty(len(vals), dtype=object)
    out[whole] = arr[whole].astype(np.int64).astype(str)
    for i in np.flatnonzero(~whole):
        out[i] = _lexical(vals[i], datatype, position)
    return out.tolist()


def literal_terms(s: pd.Series, datatype: str | None, position: str | None = None) -> list[str | None]:
    """A column of Python values as N-Triples literals (missing values stay None)."""
    vals, have = _present(s)
    out: list[str | None] = [None] * len(vals)
    idx = np.flatnonzero(have)
    if not len(idx):
        return out
    v = vals[idx]
    if datatype in (XSD + "string", None):
        terms = [encode_basestring(str(x)) for x in v]
    elif datatype == _LANG:
        terms = [f"{encode_basestring(str(x))}@zh" for x in v]
    else:
        if datatype in (XSD + "decimal", XSD + "integer"):
            lex = _number_lexical(v, datatype, position)
        else:  # dates, booleans: once per distinct value
            table = {x: _lexical(x, datatype, position) for x in set(v.tolist())}
            lex = [table[x] for x in v.tolist()]
        tail = f'"^^<{datatype}>'
        terms = [f'"{x}{tail}' for x in lex]
    for i, t in zip(idx.tolist(), terms, strict=True):
        out[i] = t
    return out


def iri_terms(s: pd.Series) -> list[str | None]:
    """A column of IRIs as N-Triples terms (missing values stay None).

    >>> iri_terms(pd.Series(["http://e/a", None]))
    ['<http://e/a>', None]
    """
    vals, have = _present(s)
    return [f"<{v}>" if h else None for v, h in zip(vals.tolist(), have.tolist(), strict=True)]


def lines(subj: Sequence[str], pred: str, obj: Sequence[str | None], graph: Sequence[str] | str) -> str:
    """N-Quads of one predicate: ``subj[i] pred obj[i] graph[i]`` where ``obj[i]`` is not None.

    >>> lines(["http://e/a", "http://e/b"], "http://e/p", ['"1"', None], "http://e/g")
    '<http://e/a> <http://e/p> "1" <http://e/g> .\\n'
    """
    p = f"> <{pred}> "
    if isinstance(graph, str):
        tail = f" <{graph}> .\n"
        return "".join([f"<{s}{p}{o}{tail}" for s, o in zip(subj, obj, strict=True) if o is not None])
    return "".join([f"<{s}{p}{o} <{g}> .\n" for s, o, g in zip(subj, obj, graph, strict=True) if o is not None])


def _const(term: str, n: int) -> list[str]:
    return [term] * n


def _slices(frame) -> Iterator[pd.DataFrame]:
    """A frame's rows, :data:`CHUNK` at a time; a table streamed in slices
    (kg.tables.read.FrameSlices) as it comes."""
    if not isinstance(frame, pd.DataFrame | pd.Series):
        yield from frame
        return
    for k in range(0, len(frame), CHUNK):
        yield frame.iloc[k:k + CHUNK]


def _distinct(frame, columns: list[str]) -> list[tuple]:
    """The distinct rows of a few columns of a frame or of a streamed table (read in Arrow)."""
    if isinstance(frame, pd.DataFrame):
        return list(frame[columns].drop_duplicates().itertuples(index=False, name=None))
    return frame.distinct(columns)


def _whole(frame):
    """A frame, or a table streamed in slices read into one (where all its rows are compared)."""
    return frame if frame is None or isinstance(frame, pd.DataFrame) else frame.whole()


def _columns(frame, columns: list[str], among=None) -> pd.DataFrame:
    """The ``columns`` a frame (or a streamed table) has; of a streamed table only the rows whose
    ``iri`` is one of ``among`` when given (an Arrow array: all others are not asked about)."""
    if isinstance(frame, pd.DataFrame):
        return frame[[c for c in dict.fromkeys(columns) if c in frame]]
    return frame.read(columns, where=None if among is None else ("iri", among))


def _precision_terms(s: pd.Series) -> list[str | None]:
    """The precision literal ("year", "month") of each partial date; None for full dates."""
    vals, have = _present(s)
    table = {d: (None if d.precision == "day" else encode_basestring(d.precision))
             for d in set(vals[have].tolist()) if hasattr(d, "precision")}
    return [table.get(v) if h else None for v, h in zip(vals.tolist(), have.tolist(), strict=True)]


@cache
def store_rules() -> dict[str, tuple[str, object]]:
    """What the ontology says the store leaves out, by property IRI: ``("unstated", None)``
    (``kg:stored false``: queries compute it), ``("default", value)`` (``kg:default``: values
    equal to it are left out), ``("from", property IRI)`` (``kg:defaultFrom``: left out where
    equal to that property of the same node) or ``("year of", property IRI)``
    (``kg:defaultYearOf``: left out where it is the year of that date of the same node).

    >>> store_rules()[KG + "stateInfluence"], store_rules()[KG + "certYear"]
    (('default', 'none'), ('unstated', None))
    """
    from kg.ontology import graph

    g, k = graph(), rdflib.Namespace(KG)
    out: dict[str, tuple[str, object]] = {}
    for p in g.subjects(k.stored, rdflib.Literal(False)):
        out[str(p)] = ("unstated", None)
    for p, v in g.subject_objects(k.default):
        v = v.toPython()
        out[str(p)] = ("default", float(v) if type(v).__name__ == "Decimal" else v)
    for p, q in g.subject_objects(k.defaultFrom):
        out[str(p)] = ("from", str(q))
    for p, q in g.subject_objects(k.defaultYearOf):
        out[str(p)] = ("year of", str(q))
    return out


@cache
def carried() -> dict[str, frozenset[str]]:
    """Object property IRI -> the property IRIs whose values the node it points at states for
    the node that has it (``kg:carries``): the store states them only there.

    >>> sorted(p.rsplit("#")[-1] for p in carried()[KG + "lookThroughOf"])
    ['amount', 'date', 'datePrecision', 'instrument']
    """
    from kg.ontology import graph

    out: dict[str, set[str]] = {}
    for via, p in graph().subject_objects(rdflib.URIRef(KG + "carries")):
        out.setdefault(str(via), set()).add(str(p))
    return {k: frozenset(v) for k, v in out.items()}


def _is_default(v, default) -> bool:
    if v is None or (not isinstance(v, str) and pd.isna(v)) or isinstance(v, bool | np.bool_) != isinstance(default, bool):
        return False
    return bool(v == default)


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))


def own_values(res: Resolved, among=None) -> dict[str, pd.Series]:
    """For each property some ``kg:defaultFrom`` names: its value on each node that states it
    exactly once (an entity with one name, a financial year's revenue), by IRI. What the derived
    graph compares against (see :func:`store_rules`); and ``row``, the row of each financial year
    and link node that the store names by its row (:func:`row_iri`). ``res`` may hold streamed
    tables (kg.tables.read.ResolvedSlices); ``among`` then names the only nodes asked about
    (those the derived frames' :data:`REFERRING` columns name), so only theirs are read."""
    m = model()
    wanted = {q: next((p.column for p in m.properties.values() if p.iri == q), None)
              for kind, q in store_rules().values() if kind == "from"}
    wanted = {q: c for q, c in wanted.items() if c}
    cols = list(wanted.values())
    fy_named = row_in_iri(KG + "FinancialYear")
    ent = _columns(res.entity_rows, ["iri", *cols], among) if len(res.entity_rows) else None
    fin = _columns(res.financials, ["iri", "row", *cols], among) if len(res.financials) else None
    own_fin = fin
    if fy_named and fin is not None and len(fin):  # by the store's names of the years
        own_fin = fin.assign(iri=_fy_iris(fin["iri"].tolist(), fin["row"].tolist()))
    frames = [f for f in (ent, own_fin) if f is not None]
    out = {}
    for q, col in wanted.items():
        parts = [f[["iri", col]] for f in frames if col in f and len(f)]
        if not parts:
            continue
        v = pd.concat(parts)
        v = v[v[col].notna()]
        v = v[~v["iri"].duplicated(keep=False)]
        out[q] = v.set_index("iri")[col]
    named = [fin if fy_named else None]
    named += [_columns(f, ["iri", "row"], among) for rel, f in res.links.items()
              if model().link(rel).qualified_class and row_in_iri(KG + model().link(rel).qualified_class) and len(f)]
    named = [f for f in named if f is not None and len(f)]
    if named:  # the rows that name financial years and link nodes in the store (row_iri)
        out["row"] = pd.concat([f[["iri", "row"]] for f in named]).drop_duplicates("iri").set_index("iri")["row"]
    return out


REFERRING = (("performance", "iri"), ("flows", "funding"), ("display_names", "iri"), ("cert_years", "iri"),
             ("superseded", "iri"))
"""The derived frames' columns that name loaded nodes (by their tables' IRIs): the only nodes
:func:`own_values` is asked about (:func:`store_iris` and the ``kg:defaultFrom`` comparisons)."""


def store_iris(iris: list[str], own: dict[str, pd.Series] | None) -> list[str]:
    """The store's names of nodes given by their table IRIs (derived facts refer to loaded
    financial years and links by those): :func:`row_iri` where the node is named by its row."""
    rows = (own or {}).get("row")
    if rows is None:
        return iris
    return _fy_iris(iris, pd.Series(iris, dtype=object).map(rows).tolist())


def _prop_text(frame: pd.DataFrame, subj: list[str], graph, props: Sequence[Property],
               own: dict[str, pd.Series] | None = None) -> Iterator[str]:
    """The quads of each property of ``props`` that ``frame`` has a column for (and of the
    precision of each date property), without what the ontology says the store leaves out
    (:func:`store_rules`; ``own`` holds the values ``kg:defaultFrom`` compares with)."""
    m = model()
    rules = store_rules()
    for p in props:
        if p.local.endswith("Precision") or p.column not in frame:
            continue
        col = frame[p.column]
        kind, arg = rules.get(p.iri, (None, None))
        if kind == "unstated":
            continue
        if kind == "default":
            col = col.where(~col.map(lambda v, d=arg: _is_default(v, d)).astype(bool), None)
        elif kind == "year of":
            src = next((q.column for q in m.properties.values() if q.iri == arg), None)
            if src in frame:
                years = [getattr(d, "year", None) if not _missing(d) else None for d in frame[src].tolist()]
                same = [not _missing(v) and y is not None and int(v) == y for v, y in zip(col.tolist(), years, strict=True)]
                col = col.where(~np.array(same, dtype=bool), None)
        elif kind == "from":
            other = (own or {}).get(arg)
            if other is not None:
                mine = pd.Series(subj, index=col.index).map(other)
                same = [not _missing(a) and not _missing(b) and a == b
                        for a, b in zip(col.tolist(), mine.tolist(), strict=True)]
                col = col.where(~np.array(same, dtype=bool), None)
        yield lines(subj, p.iri, literal_terms(col, p.datatype, p.date_position), graph)
        precision = m.properties.get(p.local + "Precision")
        if p.datatype == XSD + "date" and precision is not None:
            yield lines(subj, precision.iri, _precision_terms(col), graph)


def _row_text(frame: pd.DataFrame, subj: list[str], graph: list[str]) -> Iterator[str]:
    """The one provenance reference of each node or link: its row (and record id) in the file
    its graph stands for."""
    m = model()
    yield lines(subj, m.prop("sourceRow").iri, literal_terms(frame["row"], XSD + "integer"), graph)
    if "source_record" in frame:  # the record or statement id of a nested source (GLEIF, BODS, FtM)
        yield lines(subj, m.prop("sourceRecord").iri, literal_terms(frame["source_record"], XSD + "string"), graph)


def _graphs(frame: pd.DataFrame) -> list[str]:
    return [source_graph(s, f) for s, f in zip(frame["source"].tolist(), frame["file"].tolist(), strict=True)]


@cache
def type_stated(class_iri: str) -> bool:
    """False for a class the ontology marks ``kg:typeStated false``: the store leaves its
    rdf:type out, since the domain of its role properties (or the range of the property that
    points at it) says it.

    >>> type_stated(KG + "Ownership"), type_stated(KG + "IntegratedOwnership"), type_stated(KG + "Firm")
    (False, True, True)
    """
    from kg.ontology import graph

    return rdflib.Literal(False) not in set(graph().objects(rdflib.URIRef(class_iri), rdflib.URIRef(KG + "typeStated")))


@cache
def row_in_iri(class_iri: str) -> bool:
    """True for a class the ontology marks ``kg:rowInIri``: the store names its nodes by their
    row (:func:`row_iri`) instead of stating ``kg:sourceRow``.

    >>> row_in_iri(KG + "FinancialYear"), row_in_iri(KG + "Ownership"), row_in_iri(KG + "IntegratedOwnership")
    (True, True, False)
    """
    from kg.ontology import graph

    return rdflib.Literal(True) in set(graph().objects(rdflib.URIRef(class_iri), rdflib.URIRef(KG + "rowInIri")))


@cache
def shares_node_of(class_iri: str) -> str | None:
    """The class whose nodes the store states a derived link class's equal facts on
    (``kg:sharesNodeOf``), or None.

    >>> shares_node_of(KG + "Control").rsplit("#")[-1], shares_node_of(KG + "IntegratedOwnership")
    ('IntegratedOwnership', None)
    """
    from kg.ontology import graph

    host = graph().value(rdflib.URIRef(class_iri), rdflib.URIRef(KG + "sharesNodeOf"))
    return None if host is None else str(host)


def _key_text(col: pd.Series) -> list[str]:
    """A column as text for comparing rows exactly (floats by repr, missing as one marker)."""
    return ["\x00" if _missing(v) else repr(float(v)) if isinstance(v, float | np.floating) else str(v)
            for v in col.tolist()]


def shared_nodes(rel: str, frame: pd.DataFrame, d) -> list[str | None]:
    """For each fact of a derived link kind whose class shares nodes (:func:`shares_node_of`):
    the IRI of the host kind's fact with the same ends, period and values, on whose node the
    store states it, or None (it gets a node of its own). ``d`` holds the derived frames.

    The values compared are the columns of every property of either link that the other
    link has too, so nothing the host node states differs from the fact's own values."""
    from kg.resolve import link_iris
    from kg.tables.derived import DERIVED_LINKS

    m = model()
    link = m.link(rel)
    host_class = shares_node_of(KG + link.qualified_class)
    host_rel = next((r for r, lk in m.links.items() if host_class and KG + (lk.qualified_class or "") == host_class), None)
    none: list[str | None] = [None] * len(frame)
    if host_rel is None or not len(frame):
        return none
    spec, hspec = DERIVED_LINKS[rel], DERIVED_LINKS[host_rel]
    host = _whole(getattr(d, hspec.frame, None))
    if host is None or not len(host):
        return none
    mine = {p.column for p in link.properties if p.local != "method"}
    theirs = {p.column for p in m.link(host_rel).properties if p.local != "method"}
    if any(c in frame for c in mine - theirs):  # a value of its own the host node cannot state
        return none
    cols = sorted(c for c in mine & theirs if c in frame or c in host)
    pairs = [(hspec.source, spec.source), (hspec.target, spec.target), *((c, c) for c in cols)]
    # each row's key (ends and values, compared as text) as one integer, a column at a time:
    # no tuple of texts per row is held (2.6 M of them at 10^6 firms took ~2 GB)
    key = np.zeros(len(host) + len(frame), dtype=np.int64)
    for hc, fc in pairs:
        text = [*(_key_text(host[hc]) if hc in host else ["\x00"] * len(host)),
                *(_key_text(frame[fc]) if fc in frame else ["\x00"] * len(frame))]
        codes, uniq = pd.factorize(np.asarray(text, dtype=object))
        del text
        key, _ = pd.factorize(key * len(uniq) + codes)  # distinct keys stay distinct, and small
    first, at = np.unique(key[:len(host)], return_index=True)  # the first host fact of each key
    pos = np.searchsorted(first, key[len(host):])
    found = (pos < len(first)) & (first[np.minimum(pos, len(first) - 1)] == key[len(host):])
    host_iris = link_iris(host_rel, *(host[k] for k in hspec.key))
    return [host_iris[at[p]] if f else None for p, f in zip(pos.tolist(), found.tolist(), strict=True)]


ROW_MARK = "/row/"


def row_iri(iri: str, row) -> str:
    """The store's IRI of a node named by its row: the table's IRI, ``/row/`` and the row.

    >>> row_iri("https://w3id.org/accelerator-kg/id/fy/ab12", 7)
    'https://w3id.org/accelerator-kg/id/fy/ab12/row/7'
    >>> split_row_iri(_)
    ('https://w3id.org/accelerator-kg/id/fy/ab12', 7)
    """
    return iri if _missing(row) else f"{iri}{ROW_MARK}{int(row)}"


def split_row_iri(iri: str) -> tuple[str, int | None]:
    """The table's IRI and the row of a store IRI made by :func:`row_iri` (row None if none)."""
    head, mark, tail = iri.rpartition(ROW_MARK)
    if mark and tail.isdigit():
        return head, int(tail)
    return iri, None


def _type_text(subj: Sequence[str], class_iri: str, graph) -> str:
    if not type_stated(class_iri):
        return ""
    return lines(subj, RDF_TYPE, _const(f"<{class_iri}>", len(subj)), graph)


def _join(parts: Iterator[str]) -> Iterator[str]:
    for text in parts:
        if text:
            yield text


# ---------------------------------------------------------------- loaded facts


def source_file_quads(res: Resolved) -> Iterator[str]:
    """Each source file's graph, described once inside itself: ``a kg:SourceFile``, its dataset
    (``kg:source``) and file name (``kg:sourceFile``)."""
    m = model()
    frames = [res.entity_rows, res.financials, *res.links.values()]
    pairs = sorted({pair for frame in frames if len(frame) for pair in _distinct(frame, ["source", "file"])})
    out = []
    for s, f in pairs:
        g = source_graph(s, f)
        out.append(f"<{g}> <{RDF_TYPE}> <{KG}SourceFile> <{g}> .\n"
                   f"<{g}> <{m.prop('source').iri}> {encode_basestring(str(s))} <{g}> .\n"
                   f"<{g}> <{m.prop('sourceFile').iri}> {encode_basestring(str(f))} <{g}> .\n")
    yield "".join(out)


def entity_quads(res: Resolved) -> Iterator[str]:
    """Entity rows: types, attributes and the row reference, in the graph of the row's file."""
    m = model()
    entity_props = [p for p in m.props_on("Entity") if not p.derived]
    for rows in _slices(res.entity_rows):
        g = _graphs(rows)
        subj = rows["iri"].tolist()
        types = rows["type"].to_numpy(dtype=object)
        for t in m.node_types:
            sel = np.flatnonzero(types == t)
            if len(sel):
                ss, gg = [subj[i] for i in sel], [g[i] for i in sel]
                for label in m.node_type(t).labels:
                    yield _type_text(ss, KG + label, gg)
        yield from _prop_text(rows, subj, g, entity_props)
        yield from _row_text(rows, subj, g)


def link_quads(res: Resolved) -> Iterator[str]:
    """Each link as its qualified node: class, both ends, properties and row reference."""
    m = model()
    for rel, frame in res.links.items():
        link = m.link(rel)
        for df in _slices(frame):
            g = _graphs(df)
            named = row_in_iri(KG + link.qualified_class)
            q = _fy_iris(df["iri"].tolist(), df["row"].tolist()) if named else df["iri"].tolist()
            yield _type_text(q, KG + link.qualified_class, g)
            yield lines(q, KG + link.source_role, iri_terms(df["from_iri"]), g)
            yield lines(q, KG + link.target_role, iri_terms(df["to_iri"]), g)
            yield from _prop_text(df, q, g, link.properties)
            if named:  # the row is in the IRI; a nested source's record id stays a statement
                if "source_record" in df:
                    yield lines(q, model().prop("sourceRecord").iri, literal_terms(df["source_record"], XSD + "string"), g)
            else:
                yield from _row_text(df, q, g)


def financial_quads(res: Resolved) -> Iterator[str]:
    """REPORTED links to FinancialYear nodes that carry the values and the row reference."""
    m = model()
    props = [p for p in m.props_on("FinancialYear") if not p.derived and not p.local.startswith("source")]
    named = row_in_iri(KG + "FinancialYear")
    for df in _slices(res.financials):
        g = _graphs(df)
        fy = _fy_iris(df["iri"].tolist(), df["row"].tolist()) if named else df["iri"].tolist()
        yield lines(df["from_iri"].tolist(), m.link("REPORTED").predicate, [f"<{x}>" for x in fy], g)
        yield _type_text(fy, KG + "FinancialYear", g)
        yield from _prop_text(df, fy, g, props)
        if named:  # the row is in the IRI; a nested source's record id stays a statement
            if "source_record" in df:
                yield lines(fy, m.prop("sourceRecord").iri, literal_terms(df["source_record"], XSD + "string"), g)
        else:
            yield from _row_text(df, fy, g)


def _fy_iris(iris: list[str], rows: list) -> list[str]:
    return [row_iri(i, r) for i, r in zip(iris, rows, strict=True)]


def static_nquads() -> str:
    """The ontology and the reference entities as N-Quads in their own graphs."""
    out = []
    for name, graph in (("kg.ttl", GRAPH_ONTOLOGY), ("reference.ttl", GRAPH_REFERENCE)):
        g = rdflib.Graph()
        g.parse(resource_path("ontology", name), format="turtle")
        for s, p, o in sorted(g):
            out.append(f"{s.n3()} {p.n3()} {o.n3()} <{graph}> .\n")
    return "".join(out)


def resolved_nquads(res: Resolved) -> Iterator[str]:
    """All quads of the loaded sources, as text chunks."""
    for gen in (source_file_quads(res), entity_quads(res), link_quads(res), financial_quads(res)):
        yield from _join(gen)


# ---------------------------------------------------------------- derived facts


def derived_quads(d, own: dict[str, pd.Series] | None = None) -> Iterator[str]:
    """Derived facts (kg.derive.timeline.DerivedPeriods) in the derived graph, as text chunks.

    Each fact states the period it holds for, ``kg:validFrom`` .. ``kg:validTo`` (inclusive;
    absent = open; the ontology's date conventions): derived links (IntegratedOwnership, Control,
    LookThroughFunding) on their qualified node, entity facts on an OwnershipAssessment or
    SizeAssessment node per period that the entity points at (``kg:hasOwnershipAssessment``,
    ``kg:hasSizeAssessment``). The method of each kind is stated once, on its class. Values the
    ontology says the store leaves out are left out (:func:`store_rules`; ``own``: the loaded
    values ``kg:defaultFrom`` compares with, from :func:`own_values`)."""
    from kg.resolve import link_iri
    from kg.tables.derived import DERIVED_LINKS, DERIVED_NODES, LINK_CLASSES, assessment_iri
    from kg.tables.derived import methods as method_texts

    m = model()
    g = GRAPH_DERIVED
    said = []
    for rel in ("ULTIMATELY_OWNS", "CONTROLS"):
        spec = DERIVED_LINKS[rel]
        frame = getattr(d, spec.frame)
        link = m.link(rel)
        if shares_node_of(KG + link.qualified_class):  # compared with its host's facts: read whole
            frame = _whole(frame)
        if len(frame):
            said.append(LINK_CLASSES[rel])
        hosts = shared_nodes(rel, frame, d)
        if any(h is not None for h in hosts):  # stated on the host's node: its two roles only
            on = np.array([h is not None for h in hosts], dtype=bool)
            for df, hs in zip(_slices(frame[on]), _slices(pd.Series([h for h in hosts if h is not None], dtype=object)),
                              strict=True):
                q = hs.tolist()
                yield lines(q, KG + link.source_role, iri_terms(df[spec.source]), g)
                yield lines(q, KG + link.target_role, iri_terms(df[spec.target]), g)
            frame = frame[~on]
        for df in _slices(frame):
            q = [link_iri(rel, *parts) for parts in zip(*(df[k].tolist() for k in spec.key), strict=True)]
            yield _type_text(q, KG + link.qualified_class, g)
            yield lines(q, KG + link.source_role, iri_terms(df[spec.source]), g)
            yield lines(q, KG + link.target_role, iri_terms(df[spec.target]), g)
            yield from _join(_prop_text(df, q, g, [p for p in link.properties if p.local != "method"]))
    for nt, spec in DERIVED_NODES.items():
        frame = getattr(d, spec.frame, None)
        if frame is None or not len(frame) or nt not in m.node_types:
            continue
        said.append(nt)
        link = next(lk for lk in m.links.values() if lk.rel_type == spec.rel)
        props = [p for p in m.props_on(nt) if p.column in frame and p.local != "method"]
        for df in _slices(frame):
            subj = [assessment_iri(nt, e, v) for e, v in zip(df[spec.entity].tolist(), df["valid_from"].tolist(), strict=True)]
            yield lines(df[spec.entity].tolist(), link.predicate, _const_iris(subj), g)
            yield _type_text(subj, KG + nt, g)
            if "ultimate_controller" in df:
                yield lines(subj, KG + "ultimateController", iri_terms(df["ultimate_controller"]), g)
            yield from _join(_prop_text(df, subj, g, props))
    flows = getattr(d, "flows", None)
    if flows is not None and len(flows):
        said.append("LookThroughFunding")
        yield from _join(_flow_quads(flows, g, own))
    perf = getattr(d, "performance", None)
    if perf is not None and len(perf):
        said.append("FinancialYear")
        yield from _join(_performance_quads(perf, g, own))
    yield from _join(_lookup_quads(d, g, own))
    text = method_texts(d.floor)
    yield "".join(f"<{KG}{cls}> <{m.prop('method').iri}> {encode_basestring(text[cls])} <{g}> .\n" for cls in said)


def _const_iris(iris: list[str]) -> list[str]:
    return [f"<{x}>" for x in iris]


def _flow_quads(flows: pd.DataFrame, g: str, own=None) -> Iterator[str]:
    """Look-through flows of state capital (kg.derive.flows) as LookThroughFunding link nodes."""
    from kg.resolve import link_iri
    from kg.tables.derived import DERIVED_LINKS

    link = model().link("LOOK_THROUGH_FUNDED")
    key = DERIVED_LINKS["LOOK_THROUGH_FUNDED"].key
    funding_states = carried().get(KG + "lookThroughOf", frozenset())  # the funding's own values
    props = [p for p in link.properties if p.local != "method" and p.iri not in funding_states]
    for df in _slices(flows):
        q = [link_iri("LOOK_THROUGH_FUNDED", *parts) for parts in zip(*(df[k].tolist() for k in key), strict=True)]
        yield _type_text(q, KG + link.qualified_class, g)
        yield lines(q, KG + link.source_role, iri_terms(df["source"]), g)
        yield lines(q, KG + link.target_role, iri_terms(df["recipient"]), g)
        yield lines(q, KG + "lookThroughOf", [f"<{x}>" for x in store_iris(df["funding"].tolist(), own)], g)
        yield from _prop_text(df, q, g, props)


def _performance_quads(perf: pd.DataFrame, g: str, own=None) -> Iterator[str]:
    """Weak firm-years (kg.derive.performance) as derived properties of their FinancialYear nodes."""
    m = model()
    perf = _whole(perf)
    props = [p for p in m.props_on("FinancialYear") if p.derived and p.column in perf and p.local != "method"]

    def subjects(df):  # the store's names of the years (row_iri), from the loaded rows
        return store_iris(df["iri"].tolist(), own)

    for df in _slices(perf):
        yield from _prop_text(df, subjects(df), g, props, own)
    at = perf[["iri", "weak_at"]]
    if store_rules().get(m.prop("weakAt").iri, (None,))[0] == "from" and "year" in perf:
        # only the year itself (the next reported year follows it): left out (kg:defaultFrom kg:year)
        only = [isinstance(w, list | tuple | np.ndarray) and len(w) == 1 and int(w[0]) == int(y)
                for w, y in zip(perf["weak_at"].tolist(), perf["year"].tolist(), strict=True)]
        at = at[~np.array(only, dtype=bool)]
    at = at.explode("weak_at").dropna(subset=["weak_at"])
    for df in _slices(at):
        yield lines(subjects(df), m.prop("weakAt").iri, literal_terms(df["weak_at"], XSD + "integer"), g)


def _lookup_quads(d, g: str, own=None) -> Iterator[str]:
    """Lookups for SPARQL (kg.derive.lookups): display names, certification years and first
    counted days, superseding starts. They hold for every as_of, so they carry no method of their
    own (the ontology describes them)."""
    m = model()
    for attr, cols in (("display_names", ("display_name",)), ("cert_years", ("cert_year", "counts_from")),
                       ("superseded", ("superseded_from",))):
        frame = getattr(d, attr, None)
        if frame is None or not len(frame):
            continue
        props = [p for p in m.properties.values() if p.column in cols]
        for df in _slices(frame):
            yield from _prop_text(df, store_iris(df["iri"].tolist(), own), g, props, own)
