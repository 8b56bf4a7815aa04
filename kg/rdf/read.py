"""Read the stored graph back as tables, driven by the ontology (for Neo4j, exports, views).

Results are serialised by Oxigraph as CSV and parsed by pandas, then typed per the ontology's
datatypes, so reading a million links does not loop over solutions in Python.

Where sources disagree on a node property (two names for one firm), a node table holds the
smallest value; every value stays in the RDF store, in its source's named graph.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db)
>>> s = open_store(db)
>>> nodes = read_nodes(s)
>>> sorted(nodes.loc[nodes.name == "Liaoning SASAC", "labels"].iloc[0])
['GovernmentBody']
>>> owns = read_links(s, "OWNS")
>>> sorted(owns["share"].round(2))
[0.1, 0.2, 0.51, 0.7, 1.0]
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pandas as pd
import pyoxigraph as ox

from kg.ontology import KG, RDF_TYPE, XSD, Property, model
from kg.rdf.nquads import split_row_iri

PROVENANCE_COLUMNS = {"source": "source", "sourceFile": "source_file", "sourceRow": "source_row"}
"""The provenance columns of link and financial-year tables: the dataset and file come from the
named graph that holds the link (a kg:SourceFile, described once), the row from the link itself."""

GRAPH_DERIVED = "https://w3id.org/accelerator-kg/id/graph/derived"


def source_files(store: ox.Store) -> pd.DataFrame:
    """``graph``, ``source``, ``source_file``: each source file's named graph and what it stands for.

    >>> source_files(ox.Store()).columns.tolist()
    ['graph', 'source', 'source_file']
    """
    f = select_frame(store, f"SELECT ?graph ?source ?source_file WHERE {{ GRAPH ?graph {{ ?graph a <{KG}SourceFile> ; "
                            f"<{KG}source> ?source ; <{KG}sourceFile> ?source_file }} }}")
    if not len(f):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ("graph", "source", "source_file")})
    return f[["graph", "source", "source_file"]].drop_duplicates("graph")


def methods(store: ox.Store) -> dict[str, str]:
    """How each kind of derived fact was computed: class local name -> kg:method text (stated
    once per kind, on the class, in the derived graph).

    >>> methods(ox.Store())
    {}
    """
    out: dict[str, str] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(KG + "method"), None, ox.NamedNode(GRAPH_DERIVED)):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(KG):
            out.setdefault(q.subject.value.removeprefix(KG), q.object.value)
    return out


def _with_provenance(f: pd.DataFrame, files: pd.DataFrame) -> pd.DataFrame:
    """``f`` (with a ``graph`` column) with the ``source`` and ``source_file`` its graph stands for."""
    f = f.drop(columns=[c for c in ("source", "source_file") if c in f]).merge(files, on="graph", how="left")
    return f


def _fill_method(f: pd.DataFrame, text: str | None, having: list[str]) -> pd.DataFrame:
    """The ``method`` column: the kind's method text on the rows that hold one of its derived facts."""
    if "method" not in f and not having:
        return f
    has = pd.Series(False, index=f.index)
    for c in having:
        if c in f:
            has |= f[c].notna()
    f["method"] = None
    if text is not None and has.any():
        f.loc[has, "method"] = text
    return f


def _weak_reason(f: pd.DataFrame) -> pd.Series:
    """A weak firm-year's reason (kg:weakReason, which the store leaves out), from its figures as
    kg.derive.performance says: revenue decline (min_revenue < revenue_3y_before), losses
    (loss_years >= 2), or both."""
    from kg.derive.performance import MIN_LOSS_YEARS

    def reason(mr, before, losses):
        if losses is None:
            return None
        decline = mr is not None and before is not None and float(mr) < float(before)
        lost = int(losses) >= MIN_LOSS_YEARS
        return "revenue decline, losses" if decline and lost else "revenue decline" if decline else "losses"

    return pd.Series([reason(*r) for r in zip(f["min_revenue"], f["revenue_3y_before"], f["loss_years"], strict=True)],
                     index=f.index, dtype=object)


WEAK_AT_LAST = "_weak_at_last"
"""A reader's helper column on financial years: the largest kg:weakAt of the node (a year-end;
kg:weakAt is on no class, so it is not a column of the table)."""


def _next_year(f: pd.DataFrame) -> pd.Series:
    """A weak firm-year's next reported year (kg:nextYear, which the store leaves out): none on
    the firm's last year (kg:weakSince), else the year after its last kg:weakAt (the year itself
    where kg:weakAt is left out, kg.derive.performance)."""
    last = f[WEAK_AT_LAST] if WEAK_AT_LAST in f else pd.Series(None, index=f.index, dtype=object)

    def nxt(since, year, at):
        if not _absent(since) or _absent(year):
            return None
        return (int(year) if _absent(at) else int(at)) + 1

    return pd.Series([nxt(*r) for r in zip(f["weak_since"], f["year"], last, strict=True)], index=f.index, dtype=object)


COMPUTED = {"weak_reason": _weak_reason, "next_year": _next_year}


def _absent(v) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))
"""Columns of a property the store does not state (``kg:stored false``) that a reader computes
from the node's other columns (typed values)."""


def fill_unstated(f: pd.DataFrame, class_local: str, having: list[str] | None = None) -> pd.DataFrame:
    """``f`` (typed rows of nodes of one class, read from the store) with what the store leaves
    out put back (kg.rdf.nquads.store_rules): a ``kg:default`` where the value is missing, a
    ``kg:defaultFrom`` from the other column, a computed column (:data:`COMPUTED`). Derived
    values come together: with ``having``, only on rows where one of those columns has a value.

    >>> f = pd.DataFrame({"state_share": [None, 0.4], "state_influence": [None, "low"], "state_controlled": [None, False]})
    >>> fill_unstated(f, "OwnershipAssessment").values.tolist()
    [[0.0, 'none', False], [0.4, 'low', False]]
    """
    from kg.rdf.nquads import store_rules

    rules = store_rules()
    on = pd.Series(True, index=f.index)
    if having:
        on = f[[c for c in having if c in f]].notna().any(axis=1) if any(c in f for c in having) else on & False
    props = [p for p in model().props_on(class_local) if p.iri in rules and p.column in f]
    for p in sorted(props, key=lambda p: rules[p.iri][0] == "unstated"):  # computed ones last
        kind, arg = rules[p.iri]
        gap = f[p.column].isna() & on
        if kind == "default":
            f.loc[gap, p.column] = arg
        elif kind == "from":
            src = next((q.column for q in model().properties.values() if q.iri == arg), None)
            if src in f:
                f.loc[gap, p.column] = f.loc[gap, src]
        elif kind == "year of":
            src = next((q.column for q in model().properties.values() if q.iri == arg), None)
            if src in f:
                f[p.column] = f[p.column].astype(object)
                f.loc[gap, p.column] = f.loc[gap, src].map(lambda d: None if _absent(d) else int(str(d)[:4]))
        elif p.column in COMPUTED:
            f[p.column] = f[p.column].astype(object)
            f.loc[gap, p.column] = COMPUTED[p.column](f.loc[gap])
    return f.astype(object).where(f.notna(), None)


def select_frame(store: ox.Store, query: str) -> pd.DataFrame:
    """Run a SELECT and return its results as a frame of strings ('' -> None).

    >>> s = ox.Store()
    >>> select_frame(s, "SELECT ?x WHERE { BIND(1 AS ?x) }")["x"].tolist()
    ['1']
    """
    res = store.query(query, use_default_graph_as_union=True)
    data = res.serialize(format=ox.QueryResultsFormat.CSV)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, na_filter=False)
    frame = frame.astype(object)
    return frame.where(frame != "", None)


def instances(var: str, class_local: str) -> str:
    """A SPARQL pattern binding ``?var`` to the nodes of a class: by rdf:type where the store
    states it, else by the property that says it (kg.rdf.nquads.type_stated): the link's source
    role (``?var kg:owner []``) or the link pointing at the node (``[] kg:reported ?var``).

    >>> instances("o", "Ownership")
    '?o <https://w3id.org/accelerator-kg/ont#owner> [] .'
    >>> instances("a", "SizeAssessment")
    '[] <https://w3id.org/accelerator-kg/ont#hasSizeAssessment> ?a .'
    """
    from kg.rdf.nquads import type_stated
    from kg.rdf.stats import _pointer

    m = model()
    if type_stated(KG + class_local):
        return f"?{var} a <{KG}{class_local}> ."
    role = next((lk.source_role for lk in m.links.values() if lk.qualified_class == class_local), None)
    if role:
        return f"?{var} <{KG}{role}> [] ."
    return f"[] <{_pointer(KG + class_local)}> ?{var} ."


def carriers(class_local: str) -> dict[str, str]:
    """Property IRI -> the object property of the class whose target states it for the class's
    nodes (``kg:carries``, kg.rdf.nquads.carried): a look-through flow's amount is its funding's.

    >>> carriers("LookThroughFunding")[KG + "amount"].rsplit("#")[-1]
    'lookThroughOf'
    """
    import rdflib

    from kg.ontology import graph
    from kg.rdf.nquads import carried

    out = {}
    for via, props in carried().items():
        if rdflib.URIRef(KG + class_local) in set(graph().objects(rdflib.URIRef(via), rdflib.RDFS.domain)):
            out |= dict.fromkeys(props, via)
    return out


def _values_clause(var: str, iris: Iterable[str] | None) -> str:
    """A VALUES block restricting ?var to IRIs taken from the store itself (never user text)."""
    if iris is None:
        return ""
    items = " ".join(f"<{i}>" for i in iris if ">" not in i and " " not in i)
    return f"VALUES ?{var} {{ {items} }}"


def typed(col: pd.Series, datatype: str) -> pd.Series:
    """Convert a column of lexical forms to Python values per an XSD datatype."""
    if datatype in (XSD + "decimal", XSD + "double", XSD + "float"):
        return pd.to_numeric(col, errors="coerce").astype(object).where(col.notna(), None)
    if datatype == XSD + "integer":
        return col.map(lambda v: None if v is None else int(v))
    if datatype == XSD + "boolean":
        return col.map(lambda v: None if v is None else v in ("true", "1"))
    return col


def _prop_frame(store: ox.Store, cls: str, p: Property, iris) -> pd.DataFrame:
    q = (f"SELECT ?s (MIN(?v) AS ?val) WHERE {{ {_values_clause('s', iris)} ?s a <{KG}{cls}> ; <{p.iri}> ?v }} "
         "GROUP BY ?s")
    f = select_frame(store, q)
    f = f.rename(columns={"val": p.column})
    f[p.column] = typed(f[p.column], p.datatype)
    return f


def read_nodes(store: ox.Store, iris: Iterable[str] | None = None, types: Iterable[str] | None = None) -> pd.DataFrame:
    """Nodes (not financial years) with their labels and ontology properties, one row each."""
    m = model()
    iris = list(iris) if iris is not None else None
    names = [t for t in (types or m.node_types) if t != "FinancialYear" and not m.node_type(t).derived]
    tf = select_frame(store, f"SELECT ?s ?t WHERE {{ {_values_clause('s', iris)} ?s a ?t . "
                             f"VALUES ?t {{ {' '.join(f'<{KG}{t}>' for t in names)} }} }}")
    if not len(tf):
        return pd.DataFrame(columns=["iri", "labels"])
    tf["t"] = tf["t"].str.removeprefix(KG)
    order = {t: i for i, t in enumerate(m.node_types)}
    # the label set of each node, most specific first; few distinct sets, so map patterns
    flags = pd.crosstab(tf["s"], tf["t"]).astype(bool)
    cols = sorted(flags.columns, key=lambda t: (-len(m.node_type(t).labels), order[t]))
    flags = flags[cols]
    pattern = pd.Series(list(map(tuple, flags.to_numpy())), index=flags.index)
    sets = {pat: tuple(c for c, on in zip(cols, pat, strict=True) if on) for pat in set(pattern)}
    out = pd.DataFrame({"iri": flags.index, "labels": pattern.map(sets).to_numpy()})
    seen = {m.prop("method").iri}  # stated on the class (see _entity_method)
    for cls in ("Entity", "Exchange", "Programme"):
        for p in m.props_on(cls):
            if p.iri in seen:
                continue
            seen.add(p.iri)
            f = _prop_frame_any(store, p, iris)
            f = f[f["s"].isin(out["iri"])]
            if len(f):
                f = f.sort_values(["s", p.column]).drop_duplicates("s")  # the smallest value per node
                f[p.column] = typed(f[p.column], p.datatype)
                out[p.column] = out["iri"].map(f.set_index("s")[p.column])
                if p.datatype == XSD + "integer":  # mapping through NaN made them floats
                    out[p.column] = out[p.column].map(lambda v: None if v is None or v != v else int(v))
    out = _entity_method(out, methods(store))
    return _nones(out.sort_values("iri").reset_index(drop=True))


def _entity_method(nodes: pd.DataFrame, texts: dict[str, str]) -> pd.DataFrame:
    """The ``method`` column of a node table: the entity method on the nodes with a derived state
    share or size class (what the build derives per entity), placed where kg:method is among the
    ontology's entity properties."""
    text = texts.get("Entity")
    if text is None or not any(c in nodes for c in ("state_share", "size_class")):
        return nodes
    nodes = _fill_method(nodes, text, ["state_share", "size_class"])
    m = model()
    order = {c: i for i, c in enumerate(dict.fromkeys(["iri", "labels", *(p.column for cls in ("Entity", "Exchange", "Programme")
                                                                           for p in m.props_on(cls))]))}
    return nodes[sorted(nodes.columns, key=lambda c: order.get(c, len(order)))]


def _prop_frame_any(store: ox.Store, p: Property, iris) -> pd.DataFrame:
    q = f"SELECT ?s ?v WHERE {{ {_values_clause('s', iris)} ?s <{p.iri}> ?v }}"
    return select_frame(store, q).rename(columns={"v": p.column})


def _with_props(base: pd.DataFrame, store: ox.Store, key: str, columns: dict[str, str]) -> pd.DataFrame:
    """``base`` left-joined with each property (IRI -> column) read in one scan of its own.

    The same rows as OPTIONAL patterns would give (several values of a property multiply the
    rows), but each property is one index scan instead of a lookup per row: for the financial
    years (most of a graph's nodes, properties found only on them) about twice as fast in
    Oxigraph. Links keep OPTIONALs: their provenance properties are shared with every node.
    """
    for iri, column in columns.items():
        f = select_frame(store, f"SELECT ?s ?v WHERE {{ ?s <{iri}> ?v }}")
        f = f.rename(columns={"s": key, "v": column})
        f = f[f[key].isin(base[key])] if len(f) else pd.DataFrame({key: pd.Series(dtype=object), column: pd.Series(dtype=object)})
        base = base.merge(f, on=key, how="left")
    return base


def read_financial_years(store: ox.Store, firms: Iterable[str] | None = None) -> pd.DataFrame:
    """FinancialYear nodes with the firm that reported them and their provenance."""
    m = model()
    props = [p for p in m.props_on("FinancialYear") if p.column not in PROVENANCE_COLUMNS.values()]
    base = select_frame(store, f"SELECT ?firm ?fy ?graph WHERE {{ {_values_clause('firm', firms)} "
                               f"GRAPH ?graph {{ ?firm <{m.link('REPORTED').predicate}> ?fy }} }}").rename(columns={"fy": "iri"})
    if not len(base):
        base = pd.DataFrame({"firm": pd.Series(dtype=object), "iri": pd.Series(dtype=object),
                             "graph": pd.Series(dtype=object)})
    columns = {p.iri: p.column for p in props if p.local != "method"} | {KG + "sourceRow": "source_row"}
    f = _with_props(base, store, "iri", columns)
    at = select_frame(store, f"SELECT ?iri (MAX(?v) AS ?{WEAK_AT_LAST}) WHERE {{ ?iri <{KG}weakAt> ?v }} GROUP BY ?iri")
    f = f.merge(at, on="iri", how="left") if len(at) else f.assign(**{WEAK_AT_LAST: None})
    f = _row_from_iri(f)
    f = _with_provenance(f, source_files(store)).drop(columns="graph")
    f = _fill_method(f, methods(store).get("FinancialYear"),
                     [p.column for p in props if p.derived and p.local != "method"])
    f = f[["firm", "iri", *[p.column for p in props], *PROVENANCE_COLUMNS.values(), WEAK_AT_LAST]]
    f = f.sort_values(["iri", "firm"], kind="stable").reset_index(drop=True)
    f = f.astype(object).where(f.notna(), None)
    for p in props:
        f[p.column] = typed(f[p.column], p.datatype)
    f["source_row"] = typed(f["source_row"], XSD + "integer")
    f = fill_unstated(f, "FinancialYear", having=_stated_derived("FinancialYear")).drop(columns=WEAK_AT_LAST)
    return _nones(f)


def _row_from_iri(f: pd.DataFrame) -> pd.DataFrame:
    """Financial years and link nodes as the tables name them: the store names each by its row
    (``kg:rowInIri``, kg.rdf.nquads.row_iri), which is split off into ``source_row``."""
    if not len(f):
        return f
    parts = [split_row_iri(i) for i in f["iri"]]
    f = f.assign(iri=[a for a, _ in parts])
    rows = pd.Series([b for _, b in parts], index=f.index, dtype=object)
    f["source_row"] = f["source_row"].where(f["source_row"].notna(), rows) if "source_row" in f else rows
    return f


def _stated_derived(class_local: str) -> list[str]:
    """The derived columns of a class that the store states as they are (no rule of
    kg.rdf.nquads.store_rules): where one has a value, the node holds the derived facts."""
    from kg.rdf.nquads import store_rules

    rules = store_rules()
    return [p.column for p in model().props_on(class_local) if p.derived and p.local != "method" and p.iri not in rules]


def read_links(store: ox.Store, rel: str, ends: Iterable[str] | None = None, *, provenance: bool = True) -> pd.DataFrame:
    """Links of one kind with ``from``, ``to``, ``iri``, their properties and provenance.

    ``ends`` restricts to links whose start or end is one of the given IRIs.
    """
    m = model()
    link = m.link(rel)
    if link.qualified_class is None:
        raise ValueError(f"{rel} has no qualified node; use read_financial_years")
    props = [p for p in link.properties if p.local != "method"]  # the method is stated on the class
    via = carriers(link.qualified_class)
    opt = " ".join(f"OPTIONAL {{ ?l <{via[p.iri]}>/<{p.iri}> ?{p.column} }}" if p.iri in via else
                   f"OPTIONAL {{ ?l <{p.iri}> ?{p.column} }}" for p in props)
    if provenance:
        opt += f" OPTIONAL {{ ?l <{KG}sourceRow> ?source_row }}"
    restrict = ""
    if ends is not None:
        ends = list(ends)
        restrict = f"{{ {_values_clause('from', ends)} }} UNION {{ {_values_clause('to', ends)} }}"
    q = (f"SELECT ?l ?from ?to {' '.join('?' + p.column for p in props)} {'?graph ?source_row' if provenance else ''} "
         f"WHERE {{ {restrict} GRAPH ?graph {{ ?l <{KG}{link.source_role}> ?from }} ?l <{KG}{link.target_role}> ?to . "
         f"{opt} }}")
    f = select_frame(store, q).rename(columns={"l": "iri"})
    for c in ["from", "to", *(p.column for p in props), *(("graph", "source_row") if provenance else ())]:
        if c not in f:
            f[c] = pd.Series(dtype=object)
    for p in props:
        f[p.column] = typed(f[p.column], p.datatype)
    if any(p.local == "method" for p in link.properties):
        f = _fill_method(f, methods(store).get(link.qualified_class), ["from"])
    cols = ["iri", "from", "to", *(p.column for p in link.properties)]
    f = fill_unstated(f, link.qualified_class)  # what the store leaves out (kg:defaultYearOf ...)
    f = f.where(f != "", None)  # as select_frame reads an empty literal (a direct flow's via)
    if provenance:
        f = _row_from_iri(f)
        f = _with_provenance(f, source_files(store))
        f["source_row"] = typed(f["source_row"], XSD + "integer")
        cols += list(PROVENANCE_COLUMNS.values())
    elif len(f):
        f["iri"] = [split_row_iri(i)[0] for i in f["iri"]]
    f = f[cols]
    f.attrs["rel"] = rel
    return _own_names(_nones(f), rel)


def _own_names(f: pd.DataFrame, rel: str, keep: bool = False) -> pd.DataFrame:
    """Links of a kind the store may state on another kind's node (``kg:sharesNodeOf``: a
    control on its integrated ownership's node) under their own names, as the tables name them
    (kg.resolve.link_iri of the key); with ``keep``, ``f.attrs["store_iris"]`` maps each name to
    the node it was read from. Other kinds are returned as they are."""
    from kg.rdf.nquads import shares_node_of
    from kg.resolve import link_iris
    from kg.tables.derived import DERIVED_LINKS

    link = model().link(rel)
    if not link.qualified_class or shares_node_of(KG + link.qualified_class) is None or rel not in DERIVED_LINKS:
        return f
    spec = DERIVED_LINKS[rel]
    names = {spec.source: "from", spec.target: "to"}
    stored = f["iri"].tolist()
    if len(f):
        f = f.assign(iri=link_iris(rel, *(f[names.get(k, k)].astype(object) for k in spec.key)))
    f.attrs["rel"] = rel
    if keep:  # (pandas copies attrs along: only for the few links of a subgraph)
        f.attrs["store_iris"] = dict(zip(f["iri"], stored, strict=True))
    return f


def link_statements(rel: str) -> frozenset[str]:
    """The predicates of a link's qualified node: its two roles and its properties.

    >>> sorted(p.rsplit("#")[-1] for p in link_statements("CONTROLS"))[:3]
    ['controlled', 'controller', 'explanation']
    """
    link = model().link(rel)
    return frozenset({KG + link.source_role, KG + link.target_role, *(p.iri for p in link.properties)})


def read_object_links(store: ox.Store, predicate: str) -> pd.DataFrame:
    """``from`` and ``to`` of every triple of a node-to-node object property that is not a
    qualified link (``kg:ultimateController``), one row per distinct pair.

    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode(KG + "ultimateController"), ox.NamedNode("http://e/b"), ox.DefaultGraph()))
    >>> read_object_links(s, KG + "ultimateController").to_dict("records")
    [{'from': 'http://e/a', 'to': 'http://e/b'}]
    """
    f = select_frame(store, f"SELECT DISTINCT ?from ?to WHERE {{ ?from <{predicate}> ?to . FILTER(isIRI(?to)) }}")
    if not len(f):
        return pd.DataFrame({"from": pd.Series(dtype=object), "to": pd.Series(dtype=object)})
    return _nones(f[["from", "to"]])


def _nones(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype(object)
    return df.where(df.notna(), None)


# ---------------------------------------------------------------- reads by IRI (subgraphs)
#
# The functions below read given nodes / links only, with index lookups per subject, so their
# cost follows the size of the selection and not the size of the graph: kg.subgraph reads a
# few hundred nodes of a graph of millions this way. They work on the quads themselves
# (``subject_quads``), so a caller that also needs the RDF (kg.export.rdf) reads it once.

_CHUNK = 2000


def _safe_iris(iris: Iterable[str]) -> list[str]:
    """IRIs that can stand in <...> unescaped (the store's own IRIs always can)."""
    return [i for i in dict.fromkeys(iris) if i and not any(c in i for c in '<>" {}|\\^`\n\r\t')]


HUB_ROWS = 200
"""A subject with more statements than this (a bank's thousands of direct ``kg:funded``
triples) is read with one lookup per ontology property instead of a scan of all its triples."""


def big_subjects(store: ox.Store, iris: list[str], rows: int | None = None) -> set[str]:
    """The subjects among ``iris`` with more than ``rows`` statements (counted in the store,
    which decodes nothing, so this costs little even for a hub).

    >>> big_subjects(ox.Store(), ["http://e/a"])
    set()
    """
    out: set[str] = set()
    rows = HUB_ROWS if rows is None else rows
    for k in range(0, len(iris), _CHUNK):
        values = " ".join(f"<{i}>" for i in iris[k:k + _CHUNK])
        f = select_frame(store, f"SELECT ?s WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }} GROUP BY ?s "
                                f"HAVING (COUNT(*) > {int(rows)})")
        out.update(f["s"])
    return out


def link_predicates() -> frozenset[str]:
    """The direct link predicates (kg:owns, kg:funded, ..., kg:reported)."""
    return frozenset(link.predicate for link in model().links.values())


def _node_predicates() -> list[str]:
    """What a hub is read by: rdf:type and every kg: property that is not a direct link."""
    from rdflib.namespace import OWL, RDF

    from kg.ontology import graph

    g = graph()
    props = {str(s) for t in (OWL.DatatypeProperty, OWL.ObjectProperty) for s in g.subjects(RDF.type, t)
             if str(s).startswith(KG)}
    return [RDF_TYPE, *sorted(props - link_predicates())]


def subject_quads(store: ox.Store, iris: Iterable[str], *, hubs: bool = True,
                  skip: Iterable[str] = ()) -> list[ox.Quad]:
    """Every quad whose subject is one of ``iris`` (in the order given), by index lookups.

    With ``hubs``, a subject with more than :data:`HUB_ROWS` statements is read property by
    property (rdf:type and the ontology's non-link properties), so a bank's thousands of
    direct ``kg:funded`` triples are never decoded. Quads with a predicate in ``skip`` are
    left out.

    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode("http://e/p"), ox.Literal("1"), ox.NamedNode("http://e/g")))
    >>> [str(q.object) for q in subject_quads(s, ["http://e/a", "http://e/b"])]
    ['"1"']
    """
    iris = _safe_iris(iris)
    big = big_subjects(store, iris) if hubs and iris else set()
    skip = frozenset(skip)
    preds = [ox.NamedNode(p) for p in _node_predicates() if p not in skip] if big else []
    out: list[ox.Quad] = []
    for i in iris:
        node = ox.NamedNode(i)
        if i in big:
            for p in preds:
                out.extend(store.quads_for_pattern(node, p, None, None))
        elif skip:
            out.extend(q for q in store.quads_for_pattern(node, None, None, None) if q.predicate.value not in skip)
        else:
            out.extend(store.quads_for_pattern(node, None, None, None))
    return out


def _long_frame(quads: Iterable[ox.Quad]) -> pd.DataFrame:
    """Quads as a frame of strings (s, p, o, g): lexical forms, IRIs bare, blank nodes out."""
    rows = [(q.subject.value, q.predicate.value, q.object.value,
             q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None)
            for q in quads if not isinstance(q.object, ox.BlankNode) and isinstance(q.subject, ox.NamedNode)]
    return pd.DataFrame(rows, columns=["s", "p", "o", "g"], dtype=object)


def _pivot(long: pd.DataFrame, props: Iterable[Property], index: pd.Index) -> dict[str, pd.Series]:
    """One typed column per property: the smallest value each subject has (as read_nodes)."""
    out: dict[str, pd.Series] = {}
    by_p = {p: g for p, g in long.groupby("p", sort=False)} if len(long) else {}
    for p in props:
        g = by_p.get(p.iri)
        if g is None:
            continue
        f = pd.DataFrame({"s": g["s"].values, "v": typed(g["o"], p.datatype).values})
        f = f[f["v"].notna()]
        if not len(f):
            continue
        if not f["s"].is_unique:  # several values (sources disagree): keep the smallest
            f = f.sort_values(["s", "v"], kind="stable").drop_duplicates("s")
        out[p.column] = pd.Series(f["v"].values, index=f["s"].values, dtype=object).reindex(index)
    return out


def context_quads(store: ox.Store, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """What the quads need to be read on their own: the description of each source file's graph
    they are in (``kg:source``, ``kg:sourceFile``) and, when some are derived, the method of each
    derived kind (stated once, on its class).

    >>> s = ox.Store()
    >>> g = ox.NamedNode("http://e/g")
    >>> s.add(ox.Quad(g, ox.NamedNode(KG + "sourceFile"), ox.Literal("a.csv"), g))
    >>> q = ox.Quad(ox.NamedNode("http://e/l"), ox.NamedNode(KG + "sourceRow"), ox.Literal("2"), g)
    >>> [x.object.value for x in context_quads(s, [q])]
    ['a.csv']
    """
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    out: list[ox.Quad] = []
    for g in sorted(graphs - {GRAPH_DERIVED}):
        node = ox.NamedNode(g)
        out.extend(store.quads_for_pattern(node, None, None, node))
    if GRAPH_DERIVED in graphs:
        out.extend(store.quads_for_pattern(None, ox.NamedNode(KG + "method"), None, ox.NamedNode(GRAPH_DERIVED)))
    return out


def _provenance_of(long: pd.DataFrame, graphs: pd.Series) -> dict[str, pd.Series]:
    """``source`` and ``source_file`` for each subject, from the description of its graph among
    the quads (see :func:`context_quads`)."""
    out = {}
    for local, col in (("source", "source"), ("sourceFile", "source_file")):
        desc = long[(long["p"] == KG + local) & (long["s"] == long["g"])].drop_duplicates("s").set_index("s")["o"]
        out[col] = graphs.map(desc)
    return out


def _methods_of(long: pd.DataFrame) -> dict[str, str]:
    f = long[(long["p"] == KG + "method") & long["s"].str.startswith(KG)]
    return dict(zip(f["s"].str.removeprefix(KG), f["o"], strict=True))


def nodes_from_quads(quads: Iterable[ox.Quad]) -> pd.DataFrame:
    """The node table (as :func:`read_nodes`) of the subjects of some quads (the method of
    derived entity facts comes from the quads of :func:`context_quads`)."""
    m = model()
    long = _long_frame(quads)
    names = [t for t in m.node_types if t != "FinancialYear" and not m.node_type(t).derived]
    wanted = {KG + t: t for t in names}
    tf = long[(long["p"] == RDF_TYPE) & long["o"].isin(list(wanted))]
    if not len(tf):
        return pd.DataFrame(columns=["iri", "labels"])
    order = {t: i for i, t in enumerate(m.node_types)}
    rank = {t: (-len(m.node_type(t).labels), order[t]) for t in names}
    labels = {s: tuple(sorted(set(ts), key=rank.__getitem__))
              for s, ts in tf.assign(t=tf["o"].map(wanted)).groupby("s", sort=True)["t"]}
    out = pd.DataFrame({"iri": list(labels), "labels": list(labels.values())})
    props, seen = [], {m.prop("method").iri}
    for cls in ("Entity", "Exchange", "Programme"):
        for p in m.props_on(cls):
            if p.iri not in seen:
                seen.add(p.iri)
                props.append(p)
    cols = _pivot(long[long["s"].isin(set(out["iri"]))], props, pd.Index(out["iri"]))
    for p in props:
        if p.column in cols:
            out[p.column] = cols[p.column].values
    out = _entity_method(out, _methods_of(long))
    return _nones(out)


def read_nodes_by_iri(store: ox.Store, iris: Iterable[str]) -> pd.DataFrame:
    """Like :func:`read_nodes` for the given IRIs only, read with index lookups per node.

    Same columns as ``read_nodes(store, iris=...)``: ``iri``, ``labels`` (most specific first)
    and the property columns some of the nodes have. IRIs that are not nodes are left out.

    >>> s = ox.Store()
    >>> s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode(RDF_TYPE), ox.NamedNode(KG + "Firm"), ox.DefaultGraph()))
    >>> s.add(ox.Quad(ox.NamedNode("http://e/a"), ox.NamedNode(KG + "name"), ox.Literal("A"), ox.DefaultGraph()))
    >>> read_nodes_by_iri(s, ["http://e/a"]).to_dict("records")
    [{'iri': 'http://e/a', 'labels': ('Firm',), 'name': 'A'}]
    """
    quads = subject_quads(store, iris, skip=link_predicates())
    return nodes_from_quads(quads + context_quads(store, quads))


def links_from_quads(rel: str, quads: Iterable[ox.Quad]) -> pd.DataFrame:
    """The link table (as :func:`read_links`, plus ``graph``) of the qualified nodes of
    one kind among the subjects of some quads (with the quads of :func:`context_quads` for
    their provenance and method)."""
    m = model()
    link = m.link(rel)
    if link.qualified_class is None:
        raise ValueError(f"{rel} has no qualified node; use read_financial_years")
    props = [p for p in link.properties if p.local != "method"]
    cols = ["iri", "from", "to", *[p.column for p in link.properties], *PROVENANCE_COLUMNS.values(), "graph"]
    long = _long_frame(quads)
    qual = long[long["p"] == KG + link.source_role]
    if not len(qual):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    index = pd.Index(sorted(set(qual["s"])))
    mine = long[long["s"].isin(set(index))]
    out = pd.DataFrame({"iri": list(index)})
    for name, role in (("from", link.source_role), ("to", link.target_role)):
        r = mine[mine["p"] == KG + role].drop_duplicates("s").set_index("s")["o"]
        out[name] = r.reindex(index).values
    piv = _pivot(mine, [*props, m.prop("sourceRow")], index)
    for c in [p.column for p in props] + ["source_row"]:
        out[c] = piv[c].values if c in piv else None
    via = carriers(link.qualified_class)
    for v in set(via.values()):  # values the pointed node states for the link (kg:carries)
        target = mine[mine["p"] == v].drop_duplicates("s").set_index("s")["o"].reindex(index)
        theirs = long[long["s"].isin(set(target.dropna()))]
        tpiv = _pivot(theirs, [p for p in props if via.get(p.iri) == v], pd.Index(target.values))
        for c, col in tpiv.items():
            out[c] = col.values
    graphs = qual.drop_duplicates("s").set_index("s")["g"].reindex(index)
    out["graph"] = graphs.values
    for c, v in _provenance_of(long, graphs).items():
        out[c] = v.values
    if len(props) < len(link.properties):
        out = _fill_method(out, _methods_of(long).get(link.qualified_class), ["from"])
    out = _row_from_iri(fill_unstated(out, link.qualified_class))
    out = out[cols]
    out.attrs["rel"] = rel
    return _own_names(_nones(out), rel, keep=True)


def read_links_by_iri(store: ox.Store, rel: str, iris: Iterable[str]) -> pd.DataFrame:
    """Like :func:`read_links` for the given qualified link nodes only, plus ``graph``.

    Columns: ``iri``, ``from``, ``to``, the link's property columns, ``source``,
    ``source_file``, ``source_row`` and ``graph`` (the named graph holding the link).

    >>> s = ox.Store()
    >>> g = ox.NamedNode("http://e/g")
    >>> for p, o in [(KG + "owner", ox.NamedNode("http://e/a")), (KG + "owned", ox.NamedNode("http://e/b")),
    ...              (KG + "share", ox.Literal("0.5", datatype=ox.NamedNode(XSD + "decimal")))]:
    ...     s.add(ox.Quad(ox.NamedNode("http://e/l"), ox.NamedNode(p), o, g))
    >>> r = read_links_by_iri(s, "OWNS", ["http://e/l"]).iloc[0]
    >>> r["from"], r["to"], r["share"], r["graph"]
    ('http://e/a', 'http://e/b', 0.5, 'http://e/g')
    """
    quads = subject_quads(store, iris, hubs=False)
    return links_from_quads(rel, quads + context_quads(store, quads) + carried_quads(store, quads))


def carried_quads(store: ox.Store, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The statements of the nodes some link nodes point at by a ``kg:carries`` property (a
    look-through flow's funding), which :func:`links_from_quads` reads the carried values from.

    >>> carried_quads(ox.Store(), [])
    []
    """
    from kg.rdf.nquads import carried

    vias = carried()
    targets = sorted({q.object.value for q in quads if q.predicate.value in vias and isinstance(q.object, ox.NamedNode)})
    if not targets:
        return []
    wanted = frozenset().union(*vias.values())
    return [q for q in subject_quads(store, targets, hubs=False) if q.predicate.value in wanted]


def financial_years_from_quads(quads: Iterable[ox.Quad], firm_of: dict[str, str]) -> pd.DataFrame:
    """The financial-year table (as :func:`read_financial_years`) of the FinancialYear nodes
    among the subjects of some quads (with the quads of :func:`context_quads` for their
    provenance and method); ``firm_of`` maps each year's IRI to its firm.

    >>> s = ox.Store()
    >>> fy, g = ox.NamedNode("http://e/fy"), ox.DefaultGraph()
    >>> s.add(ox.Quad(fy, ox.NamedNode(KG + "year"), ox.Literal("2023", datatype=ox.NamedNode(XSD + "integer")), g))
    >>> s.add(ox.Quad(fy, ox.NamedNode(KG + "revenue"), ox.Literal("1.5", datatype=ox.NamedNode(XSD + "decimal")), g))
    >>> financial_years_from_quads(subject_quads(s, ["http://e/fy"]), {"http://e/fy": "http://e/a"})[["firm", "year", "revenue"]].values.tolist()
    [['http://e/a', 2023, 1.5]]
    """
    m = model()
    props = [p for p in m.props_on("FinancialYear") if p.column not in PROVENANCE_COLUMNS.values()]
    cols = ["firm", "iri", *[p.column for p in props], *PROVENANCE_COLUMNS.values()]
    long = _long_frame(quads)
    mine = long[long["s"].isin(set(firm_of))]
    index = pd.Index(sorted(set(mine["s"])))
    if not len(index):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.DataFrame({"firm": [firm_of[i] for i in index], "iri": list(index)})
    values = [p for p in props if p.local != "method"]
    piv = _pivot(mine, [*values, m.prop("sourceRow")], index)
    for c in [p.column for p in values] + ["source_row"]:
        out[c] = piv[c].values if c in piv else None
    at = mine[mine["p"] == KG + "weakAt"]
    out[WEAK_AT_LAST] = (at.assign(o=at["o"].map(int)).groupby("s")["o"].max().reindex(index).values
                         if len(at) else None)
    # the graph of each year's source file: that of a value it always states (its row is in its name)
    rows = mine[mine["p"] == KG + "year"].drop_duplicates("s").set_index("s")["g"].reindex(index)
    for c, v in _provenance_of(long, rows).items():
        out[c] = v.values
    out = _fill_method(out, _methods_of(long).get("FinancialYear"), [p.column for p in values if p.derived])
    out = fill_unstated(out, "FinancialYear", having=_stated_derived("FinancialYear")).drop(columns=WEAK_AT_LAST)
    out = _row_from_iri(out)
    return _nones(out[cols])
