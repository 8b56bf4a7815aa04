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

from kg.ontology import KG, XSD, Property, model

PROVENANCE_COLUMNS = {"source": "source", "sourceFile": "source_file", "sourceRow": "source_row"}


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
    names = [t for t in (types or m.node_types) if t != "FinancialYear"]
    tf = select_frame(store, f"SELECT ?s ?t WHERE {{ {_values_clause('s', iris)} ?s a ?t . "
                             f"VALUES ?t {{ {' '.join(f'<{KG}{t}>' for t in names)} }} }}")
    if not len(tf):
        return pd.DataFrame(columns=["iri", "labels"])
    tf["t"] = tf["t"].str.removeprefix(KG)
    order = {t: i for i, t in enumerate(m.node_types)}
    labels = tf.groupby("s")["t"].agg(lambda ts: tuple(sorted(set(ts), key=lambda t: (-len(m.node_type(t).labels), order[t]))))
    out = labels.rename("labels").reset_index().rename(columns={"s": "iri"})
    seen = set()
    for cls in ("Entity", "Exchange", "Programme"):
        for p in m.props_on(cls):
            if p.iri in seen:
                continue
            seen.add(p.iri)
            f = _prop_frame_any(store, p, iris)
            if len(f):
                out = out.merge(f, left_on="iri", right_on="s", how="left").drop(columns="s")
                if p.datatype == XSD + "integer":  # the merge turned them into floats
                    out[p.column] = out[p.column].map(lambda v: None if v is None or v != v else int(v))
    return _nones(out)


def _prop_frame_any(store: ox.Store, p: Property, iris) -> pd.DataFrame:
    q = (f"SELECT ?s (MIN(?v) AS ?val) WHERE {{ {_values_clause('s', iris)} ?s <{p.iri}> ?v . "
         f"FILTER NOT EXISTS {{ ?s a <{KG}Link> }} FILTER NOT EXISTS {{ ?s a <{KG}FinancialYear> }} }} GROUP BY ?s")
    f = select_frame(store, q).rename(columns={"val": p.column})
    f[p.column] = typed(f[p.column], p.datatype)
    return f


def read_financial_years(store: ox.Store, firms: Iterable[str] | None = None) -> pd.DataFrame:
    """FinancialYear nodes with the firm that reported them and their provenance."""
    m = model()
    props = [p for p in m.props_on("FinancialYear") if p.column not in ("source", "source_file", "source_row")]
    opt = " ".join(f"OPTIONAL {{ ?fy <{p.iri}> ?{p.column} }}" for p in props)
    prov = " ".join(f"OPTIONAL {{ ?fy <{KG}{k}> ?{v} }}" for k, v in PROVENANCE_COLUMNS.items())
    q = (f"SELECT ?firm ?fy {' '.join('?' + p.column for p in props)} {' '.join('?' + v for v in PROVENANCE_COLUMNS.values())} "
         f"WHERE {{ {_values_clause('firm', firms)} ?firm <{m.link('REPORTED').predicate}> ?fy . {opt} {prov} }}")
    f = select_frame(store, q).rename(columns={"fy": "iri"})
    for p in props:
        f[p.column] = typed(f[p.column], p.datatype)
    f["source_row"] = typed(f["source_row"], XSD + "integer")
    return _nones(f)


def read_links(store: ox.Store, rel: str, ends: Iterable[str] | None = None, *, provenance: bool = True) -> pd.DataFrame:
    """Links of one kind with ``from``, ``to``, ``iri``, their properties and provenance.

    ``ends`` restricts to links whose start or end is one of the given IRIs.
    """
    m = model()
    link = m.link(rel)
    if link.qualified_class is None:
        raise ValueError(f"{rel} has no qualified node; use read_financial_years")
    props = [p for p in link.properties]
    opt = " ".join(f"OPTIONAL {{ ?l <{p.iri}> ?{p.column} }}" for p in props)
    prov_vars = ""
    if provenance:
        opt += " " + " ".join(f"OPTIONAL {{ ?l <{KG}{k}> ?{v} }}" for k, v in PROVENANCE_COLUMNS.items())
        prov_vars = " ".join("?" + v for v in PROVENANCE_COLUMNS.values())
    restrict = ""
    if ends is not None:
        ends = list(ends)
        restrict = f"{{ {_values_clause('from', ends)} }} UNION {{ {_values_clause('to', ends)} }}"
    q = (f"SELECT ?l ?from ?to {' '.join('?' + p.column for p in props)} {prov_vars} WHERE {{ "
         f"{restrict} ?l a <{KG}{link.qualified_class}> ; <{KG}{link.source_role}> ?from ; "
         f"<{KG}{link.target_role}> ?to . {opt} }}")
    f = select_frame(store, q).rename(columns={"l": "iri"})
    for p in props:
        f[p.column] = typed(f[p.column], p.datatype)
    if provenance and "source_row" in f:
        f["source_row"] = typed(f["source_row"], XSD + "integer")
    f.attrs["rel"] = rel
    return _nones(f)


def _nones(df: pd.DataFrame) -> pd.DataFrame:
    df = df.astype(object)
    return df.where(df.notna(), None)
