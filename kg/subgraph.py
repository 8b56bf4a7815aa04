"""One subgraph selection for ``kg export`` and ``kg viz``: the neighbourhood of an entity.

``around(store, "leaderdrive", Selection(hops=2))`` resolves the reference (id, USCC, LEI,
ticker or name) and walks the graph hop by hop from it; ``select(store, [iri, ...], ...)``
starts from given IRIs (e.g. the entities of a canned query's rows). What it follows:

* **links** (``--links``, default OWNS, FUNDED, CERTIFIED_AS, LISTED_ON, DECLARED_CONTROL): relationship types of
  the ontology that have a qualified node (``kg:relType``; REPORTED is not a link here, a
  firm's financial years come with the firm). Links whose far end is a reference entity
  (CERTIFIED_AS -> Programme, LISTED_ON -> Exchange: the ontology's ``rdfs:range`` is not an
  Entity) are *attributes*: every selected entity gets them, they do not count as a hop, and
  the walk never continues from a programme or an exchange (each is a hub of thousands).
* **direction**: ``up`` follows links towards owners and funders (from a link's target to its
  source), ``down`` towards what is owned or funded, ``both`` either way.
* **as of** a date: links not valid on that day are left out, and not walked: a start-like
  date property (start, date, valid_from, listed: ``kg:datePosition "start"``) after the day,
  or an end-like one (end, valid_to, delisted) before it. Financial years after its year are
  left out. Derived links (CONTROLS, ULTIMATELY_OWNS, ...) hold for their periods (valid_from,
  valid_to) and are filtered the same way; the nodes carry their derived facts of the day
  (today without one): :func:`derived_at`.
* **min share**: OWNS and ULTIMATELY_OWNS links with a share below it are left out.
* **limit** (default 500 entities): the walk stops when it is reached. Each hop expands the
  nodes with the fewest links first and reads a hub's links only up to a budget, so a hub
  (a bank lending to 100,000 firms) costs no more than the limit. ``truncated`` says what was
  cut. The programmes and exchanges of the selected entities come on top of the limit.

The result holds every link *between* the selected nodes (of the selected kinds, valid as of
the date), not just those the walk took, so a cross-holding between two neighbours is kept.

Every step is an indexed lookup: a SPARQL ``VALUES`` join over the frontier's IRIs on the
qualified-node role properties (``kg:owner``/``kg:owned``...), counts first so that hubs are
known before their links are read; the reference is resolved with exact-match
``quads_for_pattern`` lookups. No query text contains user input: the as-of date and the
minimum share are pre-bound parameters (kg.rdf.prebind), IRIs come from the store.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[1] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> sub = around(open_store(db), "sub", Selection(hops=1, direction="up", links=("OWNS",)))
>>> sorted(sub.nodes["name"])
['Example Drive Co.', 'Example Holding Co.']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import pyoxigraph as ox

from kg.errors import InputError
from kg.ontology import ID, KG, RDF_TYPE, XSD, Link, graph, model
from kg.rdf.nquads import row_iri
from kg.rdf.read import (
    _safe_iris,
    carried_quads,
    context_quads,
    fill_unstated,
    financial_years_from_quads,
    link_predicates,
    link_statements,
    links_from_quads,
    nodes_from_quads,
    read_links_by_iri,
    select_frame,
    subject_quads,
)

__all__ = [
    "DEFAULT_LINKS",
    "DIRECTIONS",
    "SHARE_FILTERED",
    "Selection",
    "Subgraph",
    "around",
    "select",
    "resolve_ref",
    "parse_links",
    "parse_as_of",
    "parse_min_share",
    "terminal_links",
    "reference_classes",
    "link_interval",
]

DEFAULT_LINKS = ("OWNS", "FUNDED", "CERTIFIED_AS", "LISTED_ON", "DECLARED_CONTROL")
"""Relationship types followed when ``--links`` is not given."""

DIRECTIONS = ("up", "down", "both")

SHARE_FILTERED = ("OWNS", "ULTIMATELY_OWNS")
"""Link kinds ``--min-share`` applies to (ownership shares; CONTROLS is yes/no)."""


# ---------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Selection:
    """How far and along what to walk from the focus (see the module docstring).

    >>> Selection().links
    ('OWNS', 'FUNDED', 'CERTIFIED_AS', 'LISTED_ON', 'DECLARED_CONTROL')
    >>> Selection(hops=1, as_of=dt.date(2021, 12, 31)).describe()["as_of"]
    '2021-12-31'
    """

    hops: int = 2
    direction: str = "both"
    links: tuple[str, ...] = DEFAULT_LINKS
    as_of: dt.date | None = None
    min_share: float | None = None
    limit: int = 500

    def __post_init__(self) -> None:
        if self.hops < 0:
            raise InputError(f"--hops {self.hops} is negative; expected 0 or more")
        if self.direction not in DIRECTIONS:
            raise InputError(f"--direction {self.direction!r} is not one of {', '.join(DIRECTIONS)}")
        if self.limit < 1:
            raise InputError(f"--limit {self.limit} is below 1; expected a number of nodes, e.g. 500")
        if self.min_share is not None and not 0 <= self.min_share <= 1:
            raise InputError(f"--min-share {self.min_share} is outside 0..1")
        object.__setattr__(self, "links", parse_links(self.links))

    def describe(self) -> dict[str, Any]:
        """The parameters as plain values (for metadata and file headers)."""
        return {"hops": self.hops, "direction": self.direction, "links": list(self.links),
                "as_of": self.as_of.isoformat() if self.as_of else None,
                "min_share": self.min_share, "limit": self.limit}


def parse_links(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Relationship types from ``OWNS,FUNDED`` (or a list), checked against the ontology.

    >>> parse_links("owns, funded")
    ('OWNS', 'FUNDED')
    >>> parse_links("OWNS,SELLS")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: --links: 'SELLS' is not a link type; expected some of OWNS, FUNDED, CERTIFIED_AS, LISTED_ON, DECLARED_CONTROL, CONTROLS, ULTIMATELY_OWNS, LOOK_THROUGH_FUNDED
    """
    if value is None:
        return DEFAULT_LINKS
    items = value.split(",") if isinstance(value, str) else list(value)
    allowed = selectable_links()
    out: list[str] = []
    for item in items:
        name = str(item).strip().upper()
        if not name:
            continue
        if name not in allowed:
            raise InputError(f"--links: {str(item).strip()!r} is not a link type; expected some of {', '.join(allowed)}")
        if name not in out:
            out.append(name)
    if not out:
        raise InputError(f"--links is empty; expected some of {', '.join(allowed)}")
    return tuple(out)


@cache
def selectable_links() -> tuple[str, ...]:
    """Relationship types that can be selected: the ontology's links with a qualified node.

    >>> "REPORTED" in selectable_links(), "CONTROLS" in selectable_links()
    (False, True)
    """
    return tuple(r for r, link in model().links.items() if link.qualified_class)


def parse_as_of(value: str | dt.date | None) -> dt.date | None:
    """An as-of date; a partial date means the end of its period ("2021" -> 31 Dec 2021).

    >>> parse_as_of("2021"), parse_as_of("2021-07-15")
    (datetime.date(2021, 12, 31), datetime.date(2021, 7, 15))
    """
    if value is None or isinstance(value, dt.date):
        return value
    from kg.values import dates
    from kg.values.errors import ValueProblem

    try:
        return dates.parse(value).last_day()
    except ValueProblem as e:
        raise InputError(f"--as-of: {e}") from None


def parse_min_share(value: str | float | None) -> float | None:
    """A minimum share: 0.25, 25% or 25 (a number above 1 is a percent).

    >>> parse_min_share("25%"), parse_min_share("0.5"), parse_min_share(None)
    (0.25, 0.5, None)
    """
    if value is None:
        return None
    from kg.values import share
    from kg.values.errors import ValueProblem

    try:
        return share.parse(value)
    except ValueProblem as e:
        raise InputError(f"--min-share: {e}") from None


@cache
def reference_classes() -> frozenset[str]:
    """Classes of the shipped reference entities: those carrying ``kg:code`` in the ontology.

    >>> sorted(reference_classes())
    ['Exchange', 'Programme']
    """
    return frozenset(model().prop("code").on)


@cache
def terminal_links() -> frozenset[str]:
    """Links whose target is a reference entity or not an entity: attributes, never walked.

    >>> sorted(terminal_links())
    ['CERTIFIED_AS', 'LISTED_ON', 'REPORTED']
    """
    import rdflib
    from rdflib.namespace import RDFS

    g = graph()
    entity = rdflib.URIRef(KG + "Entity")
    out = set()
    for rel, link in model().links.items():
        rng = g.value(rdflib.URIRef(link.predicate), RDFS.range)
        if (rng is None or str(rng).removeprefix(KG) in reference_classes()
                or entity not in set(g.transitive_objects(rng, RDFS.subClassOf))):
            out.add(rel)
    return frozenset(out)


def link_interval(rel: str) -> tuple[list[str], list[str]]:
    """Columns of a link kind that start and end its validity (from ``kg:datePosition``).

    >>> link_interval("OWNS"), link_interval("FUNDED"), link_interval("CERTIFIED_AS")
    ((['start'], ['end']), (['date'], []), (['valid_from'], ['valid_to']))
    """
    props = model().link(rel).properties
    return ([p.column for p in props if p.date_position == "start" and p.datatype == XSD + "date"],
            [p.column for p in props if p.date_position == "end" and p.datatype == XSD + "date"])


# ---------------------------------------------------------------- the result


@dataclass
class Subgraph:
    """A selected subgraph, as frames.

    * ``nodes``: one row per node: ``iri``, ``labels`` (most specific first), the ontology's
      node properties (derived ones such as ``state_share``, ``state_controlled`` included),
      ``hop`` (distance from the focus; reference entities one more than their firm) and
      ``focus``;
    * ``links``: relationship type -> frame with ``iri`` (the qualified node), ``from``, ``to``,
      the link's properties, ``source``, ``source_file``, ``source_row`` and ``graph``;
    * ``certifications``: the CERTIFIED_AS links of the selected entities (valid as of the
      date), whether or not CERTIFIED_AS is among the selected links;
    * ``financials``: the financial years the selected firms reported, up to the as-of year:
      all of them for the focus entities, the latest one for every other firm;
    * ``records``: the source rows describing each node (``iri``, ``source``,
      ``source_file``, ``source_row``);
    * ``focus``: the IRIs the walk started from; ``selection``: its parameters;
      ``truncated``: what the limit cut (None when nothing was cut); ``found``: how many nodes
      the walk found (an upper bound when a hub was cut); ``quads``: the stored statements
      of the nodes (without ``kg:reported``), of the links' qualified nodes and of the
      financial years, as read, with the descriptions of the source files' graphs they are in
      and the methods of the derived facts among them.
    """

    store: ox.Store = field(repr=False)
    focus: tuple[str, ...]
    selection: Selection
    nodes: pd.DataFrame
    links: dict[str, pd.DataFrame]
    certifications: pd.DataFrame
    financials: pd.DataFrame
    records: pd.DataFrame
    truncated: str | None = None
    found: int = 0
    quads: list[ox.Quad] = field(default_factory=list, repr=False)

    @property
    def node_iris(self) -> list[str]:
        """The IRIs of the nodes, focus first.

        >>> [i.rsplit("/", 1)[-1] for i in Subgraph.example().node_iris]
        ['a', 'b']
        """
        return list(self.nodes["iri"])

    def link_count(self) -> int:
        """How many links the subgraph holds.

        >>> Subgraph.example().link_count()
        1
        """
        return sum(len(f) for f in self.links.values())

    def edges(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(rel, row)`` for every link, rows as dicts without empty values, in a stable order.

        >>> [(rel, r["start"]) for rel, r in Subgraph.example().edges()]
        [('OWNS', '2019-01-01')]
        """
        for rel in self.selection.links:
            frame = self.links.get(rel)
            if frame is None or not len(frame):
                continue
            cols = list(frame.columns)
            for row in frame.itertuples(index=False, name=None):
                yield rel, {c: v for c, v in zip(cols, row, strict=True) if not _missing(v)}

    def edges_of(self, rel: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(rel, row)`` for the links of one kind.

        >>> len(list(Subgraph.example().edges_of("FUNDED")))
        0
        """
        return ((r, row) for r, row in self.edges() if r == rel)

    def node_rows(self) -> Iterator[dict[str, Any]]:
        """Every node as a dict without empty values (``labels`` a tuple).

        >>> next(Subgraph.example().node_rows())["labels"]
        ('Firm',)
        """
        cols = list(self.nodes.columns)
        for row in self.nodes.itertuples(index=False, name=None):
            yield {c: v for c, v in zip(cols, row, strict=True) if not _missing(v)}

    def display_name(self, iri: str) -> str:
        """Name, else Chinese name, else local id, else the end of the IRI.

        >>> Subgraph.example().display_name(ID + "entity/b")
        'B Bureau'
        """
        row = self._by_iri().get(iri, {})
        for key in ("name", "name_zh", "id", "code"):
            if row.get(key):
                return str(row[key])
        return iri.rsplit("/", 1)[-1]

    def _by_iri(self) -> dict[str, dict[str, Any]]:
        cache_ = self.__dict__.get("_node_index")
        if cache_ is None:
            cache_ = {r["iri"]: r for r in self.node_rows()}
            self.__dict__["_node_index"] = cache_
        return cache_

    def node(self, iri: str) -> dict[str, Any]:
        """The node row of an IRI (empty dict if absent).

        >>> Subgraph.example().node(ID + "entity/a")["name_zh"]
        '甲公司'
        """
        return self._by_iri().get(iri, {})

    def meta(self) -> dict[str, Any]:
        """Focus, parameters and what was cut, as plain values.

        >>> Subgraph.example().meta()["link_count"]
        1
        """
        return {"focus": self.focus[0] if len(self.focus) == 1 else list(self.focus),
                **self.selection.describe(), "node_count": len(self.nodes), "link_count": self.link_count(),
                "truncated": self.truncated}

    @classmethod
    def example(cls) -> Subgraph:
        """A tiny hand-made subgraph (no store behind it) for examples: the firm ``a`` (甲公司),
        60% owned since 2019 by the government body ``b``, one financial year, one source row each.

        >>> sub = Subgraph.example()
        >>> [r["name"] for r in sub.node_rows()], [(rel, r["share"]) for rel, r in sub.edges()]
        (['A Co.', 'B Bureau'], [('OWNS', 0.6)])
        """
        a, b, g = ID + "entity/a", ID + "entity/b", ID + "graph/source/demo/ownership.csv"
        nodes = pd.DataFrame({"iri": [a, b], "labels": [("Firm",), ("GovernmentBody",)], "name": ["A Co.", "B Bureau"],
                              "name_zh": ["甲公司", None], "country": ["CN", "CN"], "id": ["a", "b"],
                              "state_controlled": [True, True], "state_share": [0.6, None],
                              "hop": [0, 1], "focus": [True, False]}, dtype=object)
        owns = pd.DataFrame({"iri": [ID + "link/owns/1"], "from": [b], "to": [a], "end": [None], "end_precision": [None],
                             "share": [0.6], "start": ["2019-01-01"], "start_precision": ["year"], "source": ["demo"],
                             "source_file": ["ownership.csv"], "source_row": [2], "graph": [g]}, dtype=object)
        fin = pd.DataFrame({"firm": [a], "iri": [ID + "fy/1"], "year": [2023], "revenue": [1.5e8], "source": ["demo"],
                            "source_file": ["financials.csv"], "source_row": [2]}, dtype=object)
        records = pd.DataFrame({"iri": [a, b], "source": ["demo", "demo"],
                                "source_file": ["entities.csv", "entities.csv"], "source_row": [2, 3]}, dtype=object)
        return cls(store=ox.Store(), focus=(a,), selection=Selection(hops=1, links=("OWNS",)), nodes=nodes,
                   links={"OWNS": owns}, certifications=pd.DataFrame(columns=["iri", "from", "to"]),
                   financials=fin, records=records, found=2)


def _missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return False


# ---------------------------------------------------------------- resolving a reference

_ID_PROPS = ("localId", "uscc", "lei", "ticker")


def _entity_types() -> frozenset[str]:
    """IRIs of node types whose nodes can be a focus (Entity subclasses)."""
    import rdflib
    from rdflib.namespace import RDFS

    g = graph()
    entity = rdflib.URIRef(KG + "Entity")
    out = set()
    for name, nt in model().node_types.items():
        if name not in reference_classes() and entity in set(g.transitive_objects(rdflib.URIRef(nt.iri), RDFS.subClassOf)):
            out.add(KG + name)
    return frozenset(out)


def _is_entity(store: ox.Store, node: ox.NamedNode) -> bool:
    types = _entity_types()
    return any(q.object.value in types for q in store.quads_for_pattern(node, ox.NamedNode(RDF_TYPE), None, None)
               if isinstance(q.object, ox.NamedNode))


def _subjects(store: ox.Store, prop: str, value: ox.Literal) -> set[str]:
    return {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(KG + prop), value, None)
            if isinstance(q.subject, ox.NamedNode)}


def _entities(store: ox.Store, iris: Iterable[str]) -> list[str]:
    return sorted(i for i in iris if _is_entity(store, ox.NamedNode(i)))


def _id_candidates(ref: str) -> list[tuple[str, str]]:
    """(property, value) pairs to look a reference up by, most specific first."""
    from kg.values import lei as lei_mod
    from kg.values import ticker as ticker_mod
    from kg.values import uscc as uscc_mod
    from kg.values.errors import ValueProblem

    out = [(p, ref) for p in _ID_PROPS]
    for prop, parse in (("uscc", uscc_mod.parse), ("lei", lei_mod.parse)):
        try:
            out.append((prop, parse(ref)))
        except ValueProblem:
            pass
    try:
        out.append(("ticker", ticker_mod.parse(ref).canonical))
    except ValueProblem:
        pass
    return list(dict.fromkeys(out))


def resolve_ref(store: ox.Store, ref: str) -> str:
    """The IRI of the entity a reference names: an IRI, id, USCC, LEI, ticker or name.

    Identifiers and exact names are exact-match index lookups (``quads_for_pattern``, no query
    text at all), so the usual case costs a few index seeks at any graph size; a text shaped
    like a USCC, LEI or ticker that no entity has fails at once. Anything else goes to the
    canned queries' resolver (kg.queries.refs: names compared after
    :func:`kg.values.text.normalise_name`, then a unique partial name), so ``kg export``,
    ``kg viz`` and ``kg query`` read a reference the same way; that is a scan of every name
    (minutes at 10^6 firms). Several matches raise an InputError (exit 2) listing the
    candidates; none raises InputError.

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[1] / "tests" / "fixtures" / "mini"], db, derive=False)
    >>> s = open_store(db)
    >>> resolve_ref(s, "688017") == resolve_ref(s, "Suzhou Gear Co.") == resolve_ref(s, "lg2")
    True
    """
    ref = str(ref).strip()
    if not ref:
        raise InputError("the reference is empty; give an id, USCC, LEI, ticker or name")
    if ref.startswith(("http://", "https://")):
        if ref in _safe_iris([ref]) and _is_entity(store, ox.NamedNode(ref)):
            return ref
        raise InputError(f"no entity has the IRI {ref}")
    for prop, value in _id_candidates(ref):
        hits = _entities(store, _subjects(store, prop, ox.Literal(value)))
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise _ambiguous(store, ref, hits, "identifier")
    hits = _entities(store, _subjects(store, "name", ox.Literal(ref))
                     | _subjects(store, "nameZh", ox.Literal(ref, language="zh"))
                     | _subjects(store, "nameZh", ox.Literal(ref)))
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise _ambiguous(store, ref, hits, "name")
    kind = _identifier_kind(ref)
    if kind:  # shaped like an identifier: no name can match, and a name search scans every name
        raise InputError(f"no entity has the {kind} {ref!r}; give an id, USCC, LEI, ticker or name of an entity in the graph")
    from kg.queries.refs import EmbeddedLookup
    from kg.queries.refs import resolve_ref as resolve_by_name

    iri = resolve_by_name(EmbeddedLookup(store), ref)
    if not _is_entity(store, ox.NamedNode(iri)):
        raise InputError(f"{ref!r} names {_describe(store, iri)}, a reference entity; give a firm, bank, fund, "
                         "government body or person (an id, USCC, LEI, ticker or name)")
    return iri


def _identifier_kind(ref: str) -> str | None:
    """"USCC", "LEI" or "ticker" when the text is one (check characters included), else None.

    >>> _identifier_kind("91350200776049653A"), _identifier_kind("688017"), _identifier_kind("Siasun")
    ('USCC', 'ticker', None)
    """
    from kg.values import lei as lei_mod
    from kg.values import ticker as ticker_mod
    from kg.values import uscc as uscc_mod
    from kg.values.errors import ValueProblem

    for kind, parse in (("USCC", uscc_mod.parse), ("LEI", lei_mod.parse), ("ticker", ticker_mod.parse)):
        try:
            parse(ref)
            return kind
        except ValueProblem:
            continue
    return None


def _describe(store: ox.Store, iri: str) -> str:
    node = ox.NamedNode(iri)

    def first(prop: str) -> str | None:
        vals = sorted(q.object.value for q in store.quads_for_pattern(node, ox.NamedNode(KG + prop), None, None))
        return vals[0] if vals else None

    types = sorted(q.object.value.removeprefix(KG) for q in store.quads_for_pattern(node, ox.NamedNode(RDF_TYPE), None, None)
                   if q.object.value.startswith(KG))
    name = first("name") or first("nameZh") or first("code") or iri.rsplit("/", 1)[-1]
    bits = ", ".join(x for x in (types[0] if types else "", f"id {first('localId')}" if first("localId") else "") if x)
    return f"{name} ({bits}) <{iri}>" if bits else f"{name} <{iri}>"


def _ambiguous(store: ox.Store, ref: str, hits: Sequence[str], how: str) -> InputError:
    shown = "\n".join(f"  {_describe(store, h)}" for h in hits[:20])
    more = f"\n  ... and {len(hits) - 20} more" if len(hits) > 20 else ""
    return InputError(f"{ref!r} is ambiguous: {len(hits)} entities match by {how}; give an id, USCC, LEI or "
                      f"ticker, or the full name:\n{shown}{more}")


# ---------------------------------------------------------------- walking


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _filters(rel: str, sel: Selection, var: str = "l") -> tuple[str, dict[str, ox.Literal]]:
    """FILTER clauses leaving out links not valid as of the date / below the minimum share."""
    link = model().link(rel)
    parts: list[str] = []
    binds: dict[str, ox.Literal] = {}
    if sel.as_of is not None:  # derived links too: each holds for its period (valid_from..valid_to)
        starts, ends = link_interval(rel)
        cols = {p.column: p for p in link.properties}
        for i, c in enumerate(starts):
            parts.append(f"FILTER NOT EXISTS {{ ?{var} <{cols[c].iri}> ?s{i} FILTER(?s{i} > ?asof) }}")
        for i, c in enumerate(ends):
            parts.append(f"FILTER NOT EXISTS {{ ?{var} <{cols[c].iri}> ?e{i} FILTER(?e{i} < ?asof) }}")
        if parts:
            binds["asof"] = ox.Literal(sel.as_of.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    if sel.min_share is not None and rel in SHARE_FILTERED:
        share = next((p for p in link.properties if p.column == "share"), None)
        if share is not None:
            parts.append(f"FILTER NOT EXISTS {{ ?{var} <{share.iri}> ?sh FILTER(?sh < ?minshare) }}")
            from kg.rdf.nquads import decimal_text

            binds["minshare"] = ox.Literal(decimal_text(sel.min_share), datatype=ox.NamedNode(XSD + "decimal"))
    return " ".join(parts), binds


def _run(store: ox.Store, query: str, binds: dict[str, ox.Literal], values: dict[str, list[str]]) -> pd.DataFrame:
    """Run a query template: pre-bind the parameters (the as-of date, the minimum share) in
    the small template, then fill each ``VALUES ?v { }`` with store IRIs. The template keeps
    the pre-binding cheap however many IRIs the frontier has."""
    if binds:
        from kg.rdf.prebind import prebind

        query = prebind(query, binds)
    for var, iris in values.items():
        slot = f"VALUES ?{var} {{ }}"
        if query.count(slot) != 1:
            raise RuntimeError(f"query template has no single {slot!r}")
        query = query.replace(slot, f"VALUES ?{var} {{ {_values(iris)} }}")
    return select_frame(store, query)


def _run_chunked(store: ox.Store, query: str, binds: dict[str, ox.Literal], var: str, iris: list[str],
                 columns: list[str], fixed: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """:func:`_run` over ``iris`` in slices of 2,000 for ``VALUES ?var``, results concatenated."""
    frames = [_run(store, query, binds, {var: iris[k:k + 2000], **(fixed or {})}) for k in range(0, len(iris), 2000)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _roles(link: Link, way: str) -> tuple[str, str]:
    """(role of the node we stand on, role of the node we go to) for a direction."""
    if way == "down":
        return KG + link.source_role, KG + link.target_role
    return KG + link.target_role, KG + link.source_role


def _count(store: ox.Store, rel: str, way: str, frontier: list[str]) -> dict[str, int]:
    """Links of a kind at each frontier node, in one direction (unfiltered; index-only)."""
    me, _ = _roles(model().link(rel), way)
    out: dict[str, int] = {}
    for k in range(0, len(frontier), 2000):
        f = select_frame(store, f"SELECT ?f (COUNT(?l) AS ?n) WHERE {{ VALUES ?f {{ {_values(frontier[k:k + 2000])} }} "
                                f"?l <{me}> ?f }} GROUP BY ?f")
        out.update({a: int(n) for a, n in zip(f["f"], f["n"], strict=True)})
    return out


def _fetch(store: ox.Store, rel: str, way: str, nodes: list[str], sel: Selection, limit: int | None) -> pd.DataFrame:
    """(f, o, l): links of a kind from the given nodes in one direction, filtered."""
    me, other = _roles(model().link(rel), way)
    flt, binds = _filters(rel, sel)
    q = (f"SELECT ?f ?o ?l WHERE {{ VALUES ?f {{ }} ?l <{me}> ?f ; <{other}> ?o . {flt} }}"
         + (f" LIMIT {int(limit)}" if limit is not None else ""))
    return _run(store, q, binds, {"f": nodes})


@dataclass(order=True)
class _Item:
    n: int
    rel_order: int
    node: str
    rel: str = field(compare=False)
    way: str = field(compare=False)


def _walk(store: ox.Store, focus: Sequence[str], sel: Selection) -> tuple[dict[str, int], str | None, int]:
    """BFS from the focus; returns (node -> hop, truncation note, nodes found)."""
    if len(focus) > sel.limit:  # a canned query gave more entities than the limit
        note = (f"kept {sel.limit:,} of {len(focus):,} start entities (no hop walked); "
                "raise --limit to see more")
        return {f: 0 for f in focus[:sel.limit]}, note, len(focus)
    seen: dict[str, int] = {f: 0 for f in focus}
    walk_rels = [r for r in sel.links if r not in terminal_links()]
    ways = ("up", "down") if sel.direction == "both" else (sel.direction,)
    frontier = list(focus)
    budget_per_hop = max(5 * sel.limit, 1000)
    truncated = None
    found_extra = 0
    upper = False
    for hop in range(1, sel.hops + 1):
        if not frontier or not walk_rels:
            break
        items: list[_Item] = []
        for ri, rel in enumerate(walk_rels):
            for way in ways:
                for node, n in _count(store, rel, way, frontier).items():
                    items.append(_Item(n, ri * 2 + (way == "down"), node, rel, way))
        items.sort()
        budget = budget_per_hop
        nxt: list[str] = []
        pos = 0
        hub_note = None
        while pos < len(items) and len(seen) < sel.limit and budget > 0:
            batch = [items[pos]]
            total = items[pos].n
            pos += 1
            while pos < len(items) and total + items[pos].n <= budget and len(batch) < 2000:
                batch.append(items[pos])
                total += items[pos].n
                pos += 1
            partial = total > budget
            if partial:  # one hub: read only as many of its links as the budget allows
                it = batch[0]
                hub_note = (it.node, it.n, it.rel)
                found_extra += it.n - budget
                upper = True
            rank = {(it.node, it.rel, it.way): i for i, it in enumerate(batch)}
            rows = []
            groups: dict[tuple[str, str], list[str]] = {}
            for it in batch:
                groups.setdefault((it.rel, it.way), []).append(it.node)
            room = sel.limit - len(seen)
            for (rel, way), nodes in groups.items():  # a hub: twice the room left is plenty
                f = _fetch(store, rel, way, nodes, sel, min(budget, max(2 * room, 100)) if partial else None)
                for a, o in zip(f["f"], f["o"], strict=True):
                    rows.append((rank[(a, rel, way)], o))
            budget -= min(total, budget)
            rows.sort()
            new = list(dict.fromkeys(o for _, o in rows if o not in seen))
            room = sel.limit - len(seen)
            for o in new[:room]:
                seen[o] = hop
                nxt.append(o)
            if len(new) > room:
                found_extra += len(new) - room
        rest = items[pos:]
        if rest:
            found_extra += sum(it.n for it in rest)
            upper = True
        if found_extra and hub_note is None and items:
            big = max(rest or items, key=lambda it: it.n)
            hub_note = (big.node, big.n, big.rel)
        if found_extra:
            kept = len(seen)
            total = kept + found_extra
            about = "up to " if upper else ""
            note = f"kept {kept:,} of {about}{total:,} nodes within {hop} hop{'s' if hop > 1 else ''}"
            if hop < sel.hops:
                note += f" (hop{'s' if sel.hops - hop > 1 else ''} {hop + 1}{'-' + str(sel.hops) if sel.hops - hop > 1 else ''} not walked)"
            if hub_note is not None:
                note += f"; {_display(store, hub_note[0])} has {hub_note[1]:,} {hub_note[2]} links"
            truncated = note + "; raise --limit to see more"
            return seen, truncated, total
        frontier = nxt
    return seen, truncated, len(seen)


def _display(store: ox.Store, iri: str) -> str:
    node = ox.NamedNode(iri)
    for prop in ("name", "nameZh", "localId"):
        vals = sorted(q.object.value for q in store.quads_for_pattern(node, ox.NamedNode(KG + prop), None, None))
        if vals:
            return vals[0]
    return iri.rsplit("/", 1)[-1]


def _links_among(store: ox.Store, rel: str, nodes: list[str], sel: Selection) -> pd.DataFrame:
    """(l, a, b): links of a kind whose both ends are among the nodes (read from the targets)."""
    link = model().link(rel)
    flt, binds = _filters(rel, sel)
    q = (f"SELECT ?l ?a ?b WHERE {{ VALUES ?b {{ }} ?l <{KG}{link.target_role}> ?b ; "
         f"<{KG}{link.source_role}> ?a . VALUES ?a {{ }} {flt} }}")
    return _run_chunked(store, q, binds, "b", nodes, ["l", "a", "b"], {"a": nodes})


def _links_from(store: ox.Store, rel: str, nodes: list[str], sel: Selection) -> pd.DataFrame:
    """(l, a, b): links of a kind starting at the nodes (for attribute links)."""
    link = model().link(rel)
    flt, binds = _filters(rel, sel)
    q = (f"SELECT ?l ?a ?b WHERE {{ VALUES ?a {{ }} ?l <{KG}{link.source_role}> ?a ; "
         f"<{KG}{link.target_role}> ?b . {flt} }}")
    return _run_chunked(store, q, binds, "a", nodes, ["l", "a", "b"])


def _financials(store: ox.Store, firms: list[str], focus: set[str], sel: Selection) -> tuple[pd.DataFrame, list[ox.Quad]]:
    """Financial years: every year (up to the as-of year) of the focus entities, the latest
    one of every other selected firm; as a frame (as read_financial_years) and their quads."""
    reported = model().link("REPORTED").predicate
    q = f"SELECT ?firm ?fy ?year WHERE {{ VALUES ?firm {{ }} ?firm <{reported}> ?fy . ?fy <{KG}year> ?year }}"
    years = _run_chunked(store, q, {}, "firm", firms, ["firm", "fy", "year"])
    years["year"] = years["year"].map(int)
    if sel.as_of is not None:
        years = years[years["year"] <= sel.as_of.year]
    latest = years.sort_values(["firm", "year", "fy"], kind="stable").groupby("firm").tail(1)
    keep = pd.concat([years[years["firm"].isin(focus)], latest]).drop_duplicates("fy")
    firm_of = dict(zip(keep["fy"], keep["firm"], strict=True))
    quads = subject_quads(store, list(firm_of), hubs=False)
    fin = financial_years_from_quads(quads + context_quads(store, quads), firm_of)
    return fin.sort_values(["firm", "year", "iri"], kind="stable").reset_index(drop=True), quads


def _records(node_quads: list[ox.Quad], context: list[ox.Quad]) -> pd.DataFrame:
    """The source rows describing the nodes (each entity row's ``kg:sourceRow`` in the graph of
    its file) as a frame (``iri``, ``source``, ``source_file``, ``source_row``)."""
    cols = ["iri", "source", "source_file", "source_row"]
    files: dict[str, dict[str, str]] = {}
    for q in context:
        local = q.predicate.value.removeprefix(KG)
        if local in ("source", "sourceFile") and q.subject == q.graph_name:
            files.setdefault(q.subject.value, {}).setdefault(local, q.object.value)
    rows = [(q.subject.value, files.get(q.graph_name.value, {}).get("source"),
             files.get(q.graph_name.value, {}).get("sourceFile"), int(q.object.value))
            for q in node_quads if q.predicate.value == KG + "sourceRow" and isinstance(q.graph_name, ox.NamedNode)]
    f = pd.DataFrame(list(dict.fromkeys(rows)), columns=cols, dtype=object)
    f = f.sort_values(["iri", "source", "source_file", "source_row"], na_position="last", kind="stable")
    return f.reset_index(drop=True).astype(object)


def derived_at(store: ox.Store, iri: str, day: dt.date) -> tuple[dict[str, Any], list[ox.Quad]]:
    """An entity's derived facts that hold on ``day``: the values of its OwnershipAssessment and
    SizeAssessment whose period contains it (by ontology column, Python values;
    ``ultimate_controller`` an IRI), and their quads with the entity's links to them. Read by
    index lookups.

    >>> derived_at(ox.Store(), "https://w3id.org/accelerator-kg/id/entity/x", dt.date(2024, 1, 1))
    ({}, [])
    """
    props = {p.iri: p for p in model().properties.values()}
    iso = day.isoformat()
    out: dict[str, Any] = {}
    quads: list[ox.Quad] = []
    for link in ("hasOwnershipAssessment", "hasSizeAssessment"):
        for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(KG + link), None, None):
            own = list(store.quads_for_pattern(q.object, None, None, None))
            values = {p.predicate.value: p.object for p in own}
            vf, vt = values.get(KG + "validFrom"), values.get(KG + "validTo")
            if (vf is not None and vf.value > iso) or (vt is not None and vt.value < iso):
                continue
            quads.append(q)
            quads.extend(own)
            if link == "hasOwnershipAssessment":  # the defaults the store leaves out (kg:default)
                out.update(fill_unstated(pd.DataFrame([{p.column: None for p in model().props_on("OwnershipAssessment")}]),
                                         "OwnershipAssessment").iloc[0].dropna().to_dict())
            for pred, obj in values.items():
                if pred == KG + "ultimateController":
                    out["ultimate_controller"] = obj.value
                elif pred in props and props[pred].local not in ("validFrom", "validTo"):
                    p, v = props[pred], obj.value
                    out[p.column] = (float(v) if p.datatype in (XSD + "decimal", XSD + "double") else int(v)
                                     if p.datatype == XSD + "integer" else v == "true" if p.datatype == XSD + "boolean"
                                     else v)
    return out, quads


_DERIVED_NODE_COLUMNS = ("state_share", "state_influence", "state_controlled", "path", "size_class", "size_year")


def select(store: ox.Store, focus: str | Sequence[str], selection: Selection | None = None) -> Subgraph:
    """The subgraph around one or more entity IRIs (see the module docstring).

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[1] / "tests" / "fixtures" / "mini"], db, derive=False)
    >>> s = open_store(db)
    >>> sub = select(s, resolve_ref(s, "hold"), Selection(hops=1, links=("OWNS",)))
    >>> sub.link_count(), len(sub.nodes)
    (2, 3)
    """
    sel = selection or Selection()
    focus = (focus,) if isinstance(focus, str) else tuple(dict.fromkeys(focus))
    if not focus:
        raise InputError("nothing to start from: the selection has no focus entity")
    hops, truncated, found = _walk(store, focus, sel)
    entities = list(hops)
    link_iris: dict[str, list[str]] = {}
    extra: dict[str, int] = {}
    for rel in sel.links:
        if rel in terminal_links():
            f = _links_from(store, rel, entities, sel)
            for a, b in zip(f["a"], f["b"], strict=True):
                extra.setdefault(b, hops[a] + 1)
                extra[b] = min(extra[b], hops[a] + 1)
        else:
            f = _links_among(store, rel, entities, sel)
        link_iris[rel] = sorted(set(f["l"]))
    cert_rel = "CERTIFIED_AS" if "CERTIFIED_AS" in model().links else None
    all_hops = {**hops, **{b: h for b, h in extra.items() if b not in hops}}
    node_quads = subject_quads(store, list(all_hops), skip=link_predicates())
    link_quads = {rel: subject_quads(store, link_iris[rel], hubs=False) for rel in sel.links}
    context = context_quads(store, node_quads + [q for quads in link_quads.values() for q in quads])
    nodes = nodes_from_quads(node_quads + context)
    order = {iri: i for i, iri in enumerate(all_hops)}
    nodes["hop"] = nodes["iri"].map(all_hops)
    nodes["focus"] = nodes["iri"].isin(set(focus))
    # the entities' derived facts of the selection's date (today without one), with their quads
    day = sel.as_of or dt.date.today()
    facts = {}
    derived_quads: list[ox.Quad] = []
    for i in nodes["iri"]:
        values, dq = derived_at(store, i, day)
        if values:
            facts[i] = values
            derived_quads.extend(dq)
    for c in _DERIVED_NODE_COLUMNS:
        if any(c in v for v in facts.values()):
            nodes[c] = pd.Series([facts.get(i, {}).get(c) for i in nodes["iri"]], index=nodes.index, dtype=object)
    nodes = nodes.assign(_o=nodes["iri"].map(order)).sort_values("_o").drop(columns="_o").reset_index(drop=True)
    present = set(nodes["iri"])
    links: dict[str, pd.DataFrame] = {}
    kept_quads: list[ox.Quad] = []
    for rel in sel.links:
        quads = link_quads[rel]
        f = links_from_quads(rel, quads + context + carried_quads(store, quads))  # (not exported: the funding's)
        f = f[f["from"].isin(present) & f["to"].isin(present)]
        kept = {row_iri(i, r) for i, r in zip(f["iri"], f["source_row"], strict=True)} | set(f["iri"])  # store names
        # a control stated on its integrated ownership's node (kg:sharesNodeOf): that node's statements of the control
        shared = {f.attrs["store_iris"][i] for i in f["iri"]} - kept if "store_iris" in f.attrs else set()
        own = link_statements(rel) if shared else frozenset()
        kept_quads.extend(q for q in quads if q.subject.value in kept
                          or (q.subject.value in shared and q.predicate.value in own))
        links[rel] = f.sort_values(["from", "to", "iri"], kind="stable").reset_index(drop=True)
    if cert_rel in links:
        certs = links[cert_rel]
    elif cert_rel:
        f = _links_from(store, cert_rel, entities, sel)
        certs = read_links_by_iri(store, cert_rel, sorted(set(f["l"])))
    else:
        certs = pd.DataFrame(columns=["iri", "from", "to"])
    fin, fin_quads = _financials(store, entities, set(focus), sel)
    records = _records(node_quads, context)
    quads = node_quads + derived_quads + kept_quads + fin_quads
    return Subgraph(store=store, focus=focus, selection=sel, nodes=nodes, links=links,
                    certifications=certs.reset_index(drop=True), financials=fin, records=records,
                    truncated=truncated, found=found, quads=quads + context_quads(store, quads))


def around(store: ox.Store, ref: str, selection: Selection | None = None) -> Subgraph:
    """The subgraph around the entity a reference names (id, USCC, LEI, ticker or name).

    >>> import tempfile, pathlib
    >>> from kg.build import build
    >>> from kg.rdf.store import open_store
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
    >>> _ = build([pathlib.Path(__file__).parents[1] / "tests" / "fixtures" / "mini"], db, derive=False)
    >>> sub = around(open_store(db), "Example Drive Co.", Selection(hops=2, direction="up", links=("OWNS",)))
    >>> sub.display_name(sub.focus[0]), len(sub.nodes), sub.link_count()
    ('Example Drive Co.', 3, 2)
    """
    return select(store, resolve_ref(store, ref), selection)
