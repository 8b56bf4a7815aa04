"""Run catalog queries on the embedded store (SPARQL) or on Neo4j (Cypher), same rows from both.

:func:`run_query` parses and checks the parameters, resolves references to entity IRIs, binds
the values (SPARQL: Jena-style pre-binding of typed terms; Cypher: Bolt parameters), runs the
query and returns ``(columns, rows)`` after the shared row normalisation
(:func:`normalise_value`): floats rounded to 9 significant digits (never coarser than 0.01, so
amounts in yuan keep their fen), dates as ISO text, Decimals as floats. Both backends' answers
go through it, which is what makes them comparable.

>>> import tempfile, pathlib, datetime
>>> from kg.build import build
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
>>> cols, rows = run_query(db, "sme-threshold-breaches", {}, as_of="2023-12-31")
>>> cols[:3], sorted(r[1] for r in rows)[:1]
(['firm', 'firm_name', 'year'], ['Anhui Qingyun Intelligent Equipment Group Co., Ltd.'])
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import cache, total_ordering
from operator import itemgetter
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError, KgError
from kg.ontology import ID, KG, model
from kg.queries import cohort
from kg.queries.catalog import Query, get_query
from kg.queries.params import AS_OF, cypher_params, parse_params, sparql_bindings
from kg.queries.refs import EmbeddedLookup, Neo4jLookup, resolve_ref

__all__ = ["EmbeddedBackend", "Neo4jBackend", "as_backend", "prepare", "run_query", "run_prepared",
           "normalise_value", "normalise_rows", "entity_iris", "same_rows", "uses_derived",
           "has_derived", "check_derived", "neo4j_backend"]


class EmbeddedBackend:
    """The embedded Oxigraph store; runs a query's SPARQL text.

    >>> EmbeddedBackend(ox.Store()).name
    'embedded'
    """

    name = "embedded"

    def __init__(self, store: ox.Store):
        self.store = store
        self.lookup = EmbeddedLookup(store)

    #: rows come back already through :func:`normalise_value`
    normalised = True

    def execute(self, query: Query, values: Mapping[str, Any]) -> tuple[list[str], list[list]]:
        """Run ``query.sparql`` with ``values`` pre-bound (unbound when None); normalised rows.

        A final ``ORDER BY`` of plain variables is done here in Python (:func:`split_order`)."""
        from kg.rdf.prebind import query_variables

        if query.sparql is None:
            raise InputError(f"query {query.name} has no SPARQL version ({query.name}.rq); run it with --backend neo4j")
        bindings = sparql_bindings(query.params, values, query_variables(query.sparql))
        return run_sparql_rows(self.store, query.sparql, bindings)


class Neo4jBackend:
    """A Neo4j server (an open driver and its settings); runs a query's Cypher text.

    >>> from kg.neo4j.connect import Settings
    >>> Neo4jBackend(None, Settings()).name
    'neo4j'
    """

    name = "neo4j"

    def __init__(self, driver, settings):
        self.driver, self.settings = driver, settings
        self.lookup = Neo4jLookup(driver, settings)

    def execute(self, query: Query, values: Mapping[str, Any]) -> tuple[list[str], list[list]]:
        """Run ``query.cypher`` with every declared parameter as a Bolt parameter."""
        from kg.neo4j.cypher import run_cypher

        if query.cypher is None:
            raise InputError(f"query {query.name} has no Cypher version ({query.name}.cypher); run it with --backend embedded")
        return run_cypher(self.driver, self.settings, query.cypher, cypher_params(query.params, values))


@contextmanager
def neo4j_backend(settings):
    """A :class:`Neo4jBackend` for ``settings`` (kg.neo4j.connect.Settings), closed afterwards.

    >>> from kg.neo4j.connect import Settings  # needs a server: # doctest: +SKIP
    >>> with neo4j_backend(Settings(uri, password=pw)) as b:  # doctest: +SKIP
    ...     run_query(b, "weak-performers", {})
    """
    from kg.neo4j.connect import open_driver

    with open_driver(settings) as driver:
        yield Neo4jBackend(driver, settings)


def as_backend(x):
    """A backend from a backend (embedded SPARQL, embedded Cypher, Neo4j), a pyoxigraph Store or
    a database folder (its SPARQL store).

    >>> as_backend(ox.Store()).name
    'embedded'
    """
    if isinstance(x, (EmbeddedBackend, Neo4jBackend)) or getattr(x, "name", None) == "cypher":
        return x
    if isinstance(x, ox.Store):
        return EmbeddedBackend(x)
    if isinstance(x, (str, Path)):
        from kg.rdf.store import open_store

        return EmbeddedBackend(open_store(Path(x)))
    raise TypeError(f"not a backend, store or database folder: {type(x).__name__}")


def prepare(query: Query, params: Mapping[str, Any] | None, as_of: Any = None, backend=None) -> dict[str, Any]:
    """Typed parameter values: checked, defaults filled in, ``as_of`` set, references resolved.

    >>> from kg.queries.catalog import get_query
    >>> v = prepare(get_query("expiring-certifications"), {"window_days": "30"}, "2023-12-31")
    >>> v["window_days"], v["as_of"]
    (30, datetime.date(2023, 12, 31))
    """
    given = dict(params or {})
    if as_of is not None:
        if AS_OF in given and given[AS_OF] not in (None, "") and str(given[AS_OF]) != str(as_of):
            raise InputError("as_of is given twice (as --as-of and as -p as_of=...); give it once")
        given[AS_OF] = as_of
    values = parse_params(query.params, given, f"query {query.name}")
    cohort.resolve(query.cohort, values, given)
    if backend is not None:
        check_derived(query, backend)
        for name, spec in query.params.items():
            if spec.type == "ref" and values.get(name) is not None:
                try:
                    values[name] = resolve_ref(backend.lookup, values[name])
                except InputError as e:
                    raise InputError(f"parameter {name}: {e}") from None
    return values


def run_prepared(backend, query: Query, values: Mapping[str, Any]) -> tuple[list[str], list[list]]:
    """Run with already prepared values (:func:`prepare`); normalised rows, output columns."""
    cols, rows = backend.execute(query, values)
    if not getattr(backend, "normalised", False):
        rows = normalise_rows(rows)
    want = query.output_columns(values)
    if want and all(c in cols for c in want) and want != cols:
        idx = [cols.index(c) for c in want]
        rows = [[r[i] for i in idx] for r in rows]
        cols = want
    return cols, rows


def run_query(store_or_backend, name: str | Query, params: Mapping[str, Any] | None = None,
              as_of: Any = None, *, dirs: Iterable[Path | str] = (), catalog=None) -> tuple[list[str], list[list]]:
    """Run a catalog query by name and return ``(columns, rows)``.

    ``store_or_backend``: a pyoxigraph Store, a database folder, an :class:`EmbeddedBackend` or
    a :class:`Neo4jBackend`. ``params``: name -> text (as from ``-p``) or Python value.
    ``as_of``: a date or date text (default today). Raises InputError for unknown or bad
    parameters and unresolvable references.

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
    >>> cols, rows = run_query(db, "ultimate-owners", {"ref": "junli-logistics"}, "2023-12-31")
    >>> [(r[1], r[2]) for r in rows][:2]
    [('SIASUN Robot & Automation Co., Ltd.', 0.7), ('Shenyang Hunhe Robotics Holding Co., Ltd.', 0.7)]
    """
    backend = as_backend(store_or_backend)
    query = name if isinstance(name, Query) else get_query(name, dirs, catalog=catalog)
    values = prepare(query, params, as_of, backend)
    return run_prepared(backend, query, values)


# --------------------------------------------------------------------------- rows


def _round(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0 if x == 0 else x
    digits = max(2, 9 - (math.floor(math.log10(abs(x))) + 1))
    return round(x, digits) + 0.0


def round_many(xs: Sequence[float]) -> list[float]:
    """:func:`_round` of each float, the digits worked out for all at once (numpy), the rounding
    itself by Python's ``round`` as there: the same values, several times faster.

    >>> xs = [0.1 + 0.2, 70588235.29411765, -0.0, 999.9999999999999, 1e-300, float("inf"), 123456.7894999]
    >>> round_many(xs) == [_round(x) for x in xs]
    True
    """
    import numpy as np

    a = np.abs(np.asarray(xs, dtype=float))
    out = np.array(xs, dtype=object)
    out[a == 0] = 0.0  # -0.0 too
    with np.errstate(invalid="ignore"):
        todo = np.flatnonzero(np.isfinite(a) & (a != np.floor(a)))  # whole numbers are kept by any round(x, d >= 0)
    if len(todo):
        lg = np.log10(a[todo])
        exp = np.floor(lg)
        # near a power of ten numpy's log10 may land on the other side of an integer than math.log10
        unsure = np.flatnonzero(np.abs(lg - np.rint(lg)) < 1e-9)
        exp[unsure] = [math.floor(math.log10(a[todo[i]])) for i in unsure.tolist()]
        picked = out[todo].tolist()
        out[todo] = list(map(round, picked, np.maximum(2, 8 - exp).astype(np.int64).tolist()))
    return out.tolist()


def normalise_value(v: Any) -> Any:
    """One value as both backends should show it.

    >>> normalise_value(0.1 + 0.2), normalise_value(70588235.29411765), normalise_value(Decimal("1.50"))
    (0.3, 70588235.29, 1.5)
    >>> normalise_value(dt.date(2021, 7, 1)), normalise_value(-0.0), normalise_value(True)
    ('2021-07-01', 0.0, True)
    """
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return _round(v)
    if isinstance(v, Decimal):
        return _round(float(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    iso = getattr(v, "iso_format", None)
    if callable(iso):
        return iso()
    if isinstance(v, (list, tuple)):
        return [normalise_value(x) for x in v]
    if isinstance(v, dict):
        return {k: normalise_value(x) for k, x in v.items()}
    return v


def normalise_rows(rows: Iterable[Sequence]) -> list[list]:
    """Every value of every row through :func:`normalise_value`."""
    return [[normalise_value(v) for v in r] for r in rows]


def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    return v


def same_rows(a: Sequence[Sequence], b: Sequence[Sequence], ordered: bool) -> bool:
    """Whether two normalised row lists are equal: in order, or as multisets.

    >>> same_rows([[1, "a"], [2, "b"]], [[2, "b"], [1.0, "a"]], ordered=False)
    True
    """
    ta = [tuple(_hashable(x) for x in r) for r in a]
    tb = [tuple(_hashable(x) for x in r) for r in b]
    return ta == tb if ordered else Counter(ta) == Counter(tb)


def entity_iris(columns: Sequence[str], rows: Iterable[Sequence], query: Query | None = None) -> list[str]:
    """Entity IRIs in the rows, first appearance order: the query's ``iri_columns``, else every
    column whose values are all entity IRIs (for subgraph exports: ``--from-query``).

    >>> entity_iris(["firm", "n"], [[ID + "entity/a", 1], [ID + "entity/b", 2], [None, 3]])
    ['https://w3id.org/accelerator-kg/id/entity/a', 'https://w3id.org/accelerator-kg/id/entity/b']
    """
    rows = list(rows)
    if query is not None and query.iri_columns:
        idx = [columns.index(c) for c in query.iri_columns if c in columns]
    else:
        idx = [i for i in range(len(columns))
               if any(r[i] is not None for r in rows)
               and all(r[i] is None or (isinstance(r[i], str) and r[i].startswith(ID)) for r in rows)]
    seen: dict[str, None] = {}
    for r in rows:
        for i in idx:
            v = r[i]
            if isinstance(v, str) and v.startswith(ID) and "/link/" not in v:
                seen.setdefault(v, None)
    return list(seen)


# --------------------------------------------------------------------------- SPARQL rows, fast

# Oxigraph decodes a text term from its dictionary on every comparison while sorting, so an ORDER
# BY over names costs ~50 us per row at 10^5 firms (2.5 s for 50,000 rows); Python sorts the same
# rows in milliseconds. Results come back as SPARQL TSV (serialised in Rust) and are read by
# kg.rdf.query.tsv_columns, each distinct cell once, 3-4 times faster than term by term.

_ORDER_KEY = r"(?:(?:ASC|DESC)\s*\(\s*[?$]\w+\s*\)|[?$]\w+)"
_ORDER_RE = re.compile(rf"\bORDER\s+BY((?:\s+{_ORDER_KEY})+)\s*$", re.IGNORECASE)


def split_order(sparql: str) -> tuple[str, list[tuple[str, bool]]]:
    r"""The query without a final ``ORDER BY`` of plain variables, and its keys ``(name, desc)``.

    Only an ORDER BY that ends the query (so it belongs to the outermost SELECT and no LIMIT or
    OFFSET follows) and whose keys are variables, optionally in ASC()/DESC(), is split off;
    otherwise the query is returned as it is, with no keys.

    >>> split_order("SELECT ?a ?b WHERE { ?a <p> ?b } ORDER BY DESC(?b) ?a\n")
    ('SELECT ?a ?b WHERE { ?a <p> ?b } ', [('b', True), ('a', False)])
    >>> split_order("SELECT ?a WHERE { ?a <p> ?b } ORDER BY STR(?a)")[1]
    []
    """
    body = "\n".join(line for line in sparql.splitlines() if not line.lstrip().startswith("#"))
    m = _ORDER_RE.search(body)
    if m is None:
        return sparql, []
    keys = [(k.split("(")[-1].strip(" )?$"), k.upper().startswith("DESC"))
            for k in re.findall(_ORDER_KEY, m.group(1), flags=re.IGNORECASE)]
    return body[:m.start()], keys


@total_ordering
class _Unbound:
    """Sorts before every value (SPARQL puts unbound first); stands in for None while sorting."""

    def __eq__(self, other):
        return other is self

    def __lt__(self, other):
        return other is not self

    __hash__ = object.__hash__


_UNBOUND = _Unbound()


def _sort_order(columns: list[list], idx: list[tuple[int, bool]]) -> list[int] | None:
    """Row numbers in the order of the key columns ``(column, desc)``; None if values do not
    compare (mixed kinds).

    Keys of one direction next to each other are sorted in one pass (a tuple key); passes run
    last key first, each stable, which gives the order of all keys together. Unbound cells sort
    first (:data:`_UNBOUND`).

    >>> _sort_order([[1, None, 1, 0.5], ["b", "a", "a", "c"]], [(0, True), (1, False)])
    [2, 0, 3, 1]
    """
    groups: list[tuple[list[int], bool]] = []
    for i, desc in idx:
        if groups and groups[-1][1] == desc:
            groups[-1][0].append(i)
        else:
            groups.append(([i], desc))
    keyed = {i: [_UNBOUND if v is None else v for v in columns[i]] if None in columns[i] else columns[i]
             for i, _ in idx}
    order = list(range(len(columns[0]) if columns else 0))
    try:
        for cols, desc in reversed(groups):
            keys = keyed[cols[0]] if len(cols) == 1 else list(zip(*(keyed[i] for i in cols), strict=True))
            order.sort(key=keys.__getitem__, reverse=desc)
    except TypeError:
        return None
    return order


def _normalised(column: list) -> list:
    """A column through :func:`normalise_value`: only floats change (each distinct one rounded once)."""
    if float not in set(map(type, column)):
        return column
    rounded: dict[float, float] = {}
    out = []
    for v in column:
        if type(v) is float:
            n = rounded.get(v)
            if n is None:
                n = rounded[v] = _round(v)
            v = n
        out.append(v)
    return out


def run_sparql_rows(store: ox.Store, sparql: str, bindings: Mapping[str, Any] | None = None) -> tuple[list[str], list[list]]:
    r"""Run a SELECT (parameters pre-bound) and return ``(columns, normalised rows)``.

    The same answer as :func:`kg.rdf.query.run_sparql` followed by :func:`normalise_rows`, with a
    final ORDER BY of plain variables sorted in Python (SPARQL order: unbound first, numbers by
    value, text by code point, dates as ISO text). A key column whose values do not compare
    (mixed kinds) falls back to Oxigraph's own ORDER BY.

    >>> s = ox.Store()
    >>> run_sparql_rows(s, 'SELECT ?x ?y WHERE { VALUES (?x ?y) { (2 "b") (1.5 "a\\tb") (UNDEF "c") } } ORDER BY DESC(?x)')
    (['x', 'y'], [[2, 'b'], [1.5, 'a\tb'], [None, 'c']])
    """
    from kg.rdf.query import evaluate, result_rows, run_sparql, tsv_columns

    text, keys = split_order(sparql)
    res = evaluate(store, text, bindings)
    if not isinstance(res, ox.QuerySolutions):
        cols, rows = result_rows(res)  # ASK / CONSTRUCT: no ORDER BY to honour
        return cols, normalise_rows(rows)
    variables = [v.value for v in res.variables]
    try:
        data = res.serialize(format=ox.QueryResultsFormat.TSV)
    except OSError as e:
        raise InputError(f"SPARQL evaluation failed: {e}") from None
    cols, columns = tsv_columns(data)
    cols = cols or variables
    order = None
    if keys:
        idx = [(cols.index(k), desc) for k, desc in keys if k in cols]
        order = _sort_order(columns, idx) if len(idx) == len(keys) else None
        if order is None:
            # a key is not projected, or its values do not compare: Oxigraph sorts, at a second run
            cols, rows = run_sparql(store, sparql, bindings)
            return cols, normalise_rows(rows)
    columns = [_normalised(c) for c in columns]
    if order is not None and len(order) > 1:
        columns = [itemgetter(*order)(c) for c in columns]
    return cols, list(map(list, zip(*columns, strict=True)))


# --------------------------------------------------------------------------- derived facts


@cache
def _derived_names(any_as_of: bool = False) -> tuple[frozenset[str], frozenset[str]]:
    """Derived terms: kg: local names (SPARQL) and column / relationship names (Cypher); those
    exact for any as_of (kg:anyAsOf) only with ``any_as_of``."""
    m = model()
    dated = [p for p in m.properties.values() if p.derived and (any_as_of or not p.any_as_of)]
    local = {p.local for p in dated}
    cols = {p.column for p in dated if p.column not in ("method", "hops")}
    for rel, link in m.links.items():
        if link.derived:
            local |= {link.local, link.qualified_class or ""}
            cols.add(rel)
    local |= {"ultimateController", "integratedOwner", "integratedOwned", "controller", "controlled"}
    return frozenset(x for x in local if x), frozenset(cols)


def uses_derived(query: Query) -> bool:
    """Whether a query reads derived facts (integrated ownership, control, state share, size).

    >>> from kg.queries.catalog import get_query
    >>> uses_derived(get_query("ultimate-owners")), uses_derived(get_query("certified-listings-share"))
    (True, False)
    >>> uses_derived(get_query("weak-performers"))  # its stored facts hold for every as_of
    False
    """
    return _mentions_derived(query.sparql, query.cypher, any_as_of=False)


def _mentions_derived(sparql: str | None, cypher: str | None, any_as_of: bool) -> bool:
    """Whether the SPARQL text names a derived kg: term, or the Cypher text a derived column or type."""
    local, cols = _derived_names(any_as_of)
    if sparql and any(re.search(rf"\bkg:{re.escape(x)}\b|{re.escape(KG + x)}>", sparql) for x in local):
        return True
    return bool(cypher and any(re.search(rf"\b{re.escape(x)}\b", cypher) for x in cols))


def check_derived(query: Query, backend) -> None:
    """Raise InputError when the query reads facts derived at build (any of them, the lookups
    for SPARQL included) and the backend's graph holds none (built with ``--no-derive``):
    its rows would silently miss them.

    >>> from kg.queries.catalog import get_query
    >>> check_derived(get_query("certified-listings-share"), EmbeddedBackend(ox.Store()))  # reads none
    >>> check_derived(get_query("ultimate-owners"), EmbeddedBackend(ox.Store()))
    Traceback (most recent call last):
    ...
    kg.errors.InputError: query ultimate-owners reads facts derived at build (integrated ownership, state share, display names ...), and this graph holds none: build it again without --no-derive
    """
    embedded = isinstance(backend, EmbeddedBackend)
    if not _mentions_derived(query.sparql if embedded else None, None if embedded else query.cypher, any_as_of=True):
        return
    if getattr(backend, "_has_derived", None) is None:  # asked once per backend
        backend._has_derived = has_derived(backend)
    if not backend._has_derived:
        raise InputError(f"query {query.name} reads facts derived at build (integrated ownership, state share, display "
                         f"names ...), and this graph holds none: build it again without --no-derive")


def has_derived(backend) -> bool:
    """Whether the backend's graph holds derived facts (their ``method`` is stated)."""
    try:
        if isinstance(backend, EmbeddedBackend):
            from kg.rdf.query import run_sparql

            rows = run_sparql(backend.store, f"SELECT ?m WHERE {{ ?x <{KG}method> ?m }} LIMIT 1")[1]
        else:
            rows = backend.lookup._run("MATCH (n:KgNode) WHERE n.method IS NOT NULL RETURN n.method LIMIT 1", {})
    except KgError:
        return False
    return bool(rows)
