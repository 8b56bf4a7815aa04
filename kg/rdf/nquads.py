"""Write resolved records as N-Quads, column by column (vectorised string building).

One named graph per source dataset; the reference entities and the ontology get graphs of
their own; derived facts are written by kg.derive into the derived graph.

>>> literal_series(pd.Series(['a"b', None]), XSD + "string").tolist()
['"a\\\\"b"', None]
>>> decimal_text(1.5e8), decimal_text(0.51), decimal_text(1e-05)
('150000000', '0.51', '0.00001')
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
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


def source_graph(source: str) -> str:
    """The named graph of a source dataset.

    >>> source_graph("merics 2024")
    'https://w3id.org/accelerator-kg/id/graph/source/merics%202024'
    """
    return f"{ID}graph/source/{quote(str(source), safe='')}"


def escape_series(s: pd.Series) -> pd.Series:
    """N-Triples string escaping for a column of text."""
    s = s.astype(str)
    for a, b in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r")):
        s = s.str.replace(a, b, regex=False)
    return s


def decimal_text(x: float) -> str:
    """A float as an xsd:decimal lexical form (no exponent; at most 18 fractional digits, which is
    what Oxigraph's xsd:decimal holds: a longer one would be an invalid literal there)."""
    return np.format_float_positional(float(x), precision=18, unique=True, fractional=True, trim="-")


def _lexical(value, datatype: str, position: str | None):
    if datatype == XSD + "date":
        d = value.last_day() if position == "end" else value.first_day()
        return d.isoformat()
    if datatype == XSD + "decimal":
        return decimal_text(value)
    if datatype == XSD + "integer":
        return str(int(value))
    if datatype == XSD + "boolean":
        return "true" if value else "false"
    return str(value)


def _lexical_series(vals: pd.Series, datatype: str, position: str | None) -> pd.Series:
    """Lexical forms of non-missing values; bulk paths for numbers, once per distinct value otherwise."""
    if datatype in (XSD + "decimal", XSD + "integer"):
        num = pd.to_numeric(vals, errors="coerce")
        arr = num.to_numpy(dtype=float)
        whole = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2**53)
        out = pd.Series([None] * len(vals), index=vals.index, dtype=object)
        out[whole] = arr[whole].astype(np.int64).astype(str)
        rest = ~whole
        if rest.any():
            out[rest] = vals[rest].map(lambda v: _lexical(v, datatype, position))
        return out
    uniq = vals.unique()
    return vals.map(dict(zip(uniq, (_lexical(v, datatype, position) for v in uniq), strict=True)))


def literal_series(s: pd.Series, datatype: str, position: str | None = None) -> pd.Series:
    """Serialise a column of Python values as N-Triples literals (None stays None)."""
    mask = s.notna()
    out = pd.Series([None] * len(s), index=s.index, dtype=object)
    if not mask.any():
        return out
    vals = s[mask]
    if datatype in (XSD + "string", None):
        out[mask] = '"' + escape_series(vals) + '"'
    elif datatype == str(rdflib.RDF.langString):
        out[mask] = '"' + escape_series(vals) + '"@zh'
    else:
        lex = _lexical_series(vals, datatype, position)
        out[mask] = '"' + escape_series(lex) + '"^^<' + datatype + ">"
    return out


def _quads(subj: pd.Series, pred: str, obj: pd.Series, graph: pd.Series | str) -> pd.Series:
    mask = obj.notna() & subj.notna()
    g = graph[mask] if isinstance(graph, pd.Series) else graph
    return "<" + subj[mask] + "> <" + pred + "> " + obj[mask] + " <" + g + "> .\n"


def _iri_obj(s: pd.Series) -> pd.Series:
    out = pd.Series([None] * len(s), index=s.index, dtype=object)
    mask = s.notna()
    out[mask] = "<" + s[mask].astype(str) + ">"
    return out


def _precision(values: pd.Series) -> pd.Series:
    uniq = [v for v in values.unique() if v is not None]
    table = {d: (d.precision if d.precision != "day" else None) for d in uniq}
    return values.map(table).astype(object).where(values.notna(), None)


def _prop_quads(frame: pd.DataFrame, subj: pd.Series, graph: pd.Series, props: list[Property]) -> Iterator[pd.Series]:
    m = model()
    for p in props:
        if p.local.endswith("Precision") or p.column not in frame:
            continue
        col = frame[p.column]
        yield _quads(subj, p.iri, literal_series(col, p.datatype, p.date_position), graph)
        if p.datatype == XSD + "date":
            prec = m.prop(p.local + "Precision")
            yield _quads(subj, prec.iri, literal_series(_precision(col), XSD + "string"), graph)


def _provenance(frame: pd.DataFrame, subj: pd.Series, graph: pd.Series) -> Iterator[pd.Series]:
    m = model()
    yield _quads(subj, m.prop("source").iri, literal_series(frame["source"], XSD + "string"), graph)
    yield _quads(subj, m.prop("sourceFile").iri, literal_series(frame["file"], XSD + "string"), graph)
    yield _quads(subj, m.prop("sourceRow").iri, literal_series(frame["row"], XSD + "integer"), graph)
    if "source_record" in frame:  # the record or statement id of a nested source (GLEIF, BODS, FtM)
        yield _quads(subj, m.prop("sourceRecord").iri, literal_series(frame["source_record"], XSD + "string"), graph)


def _type_quads(subj: pd.Series, class_iri: str, graph) -> pd.Series:
    return _quads(subj, RDF_TYPE, pd.Series([f"<{class_iri}>"] * len(subj), index=subj.index), graph)


def entity_quads(res: Resolved) -> Iterator[pd.Series]:
    """Entity rows: types, attributes and a SourceRecord each, in the row's source graph."""
    m = model()
    rows = res.entity_rows
    if not len(rows):
        return
    g = rows["source"].map(source_graph)
    subj = rows["iri"]
    for t in m.node_types:
        sel = rows["type"] == t
        if sel.any():
            for label in m.node_type(t).labels:
                yield _type_quads(subj[sel], KG + label, g[sel])
    yield _quads(subj, m.prop("localId").iri, literal_series(rows["id"], XSD + "string"), g)
    entity_props = [p for p in m.props_on("Entity") if not p.derived and p.local != "localId"]
    yield from _prop_quads(rows, subj, g, entity_props)
    rec = pd.Series(
        [f"{ID}record/{_h(s, f, r)}" for s, f, r in zip(rows["source"], rows["file"], rows["row"], strict=True)],
        index=rows.index,
    )
    yield _quads(subj, KG + "describedBy", _iri_obj(rec), g)
    yield _quads(rec, KG + "describes", _iri_obj(subj), g)
    yield _type_quads(rec, KG + "SourceRecord", g)
    yield from _provenance(rows, rec, g)


def _h(*parts) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:20]


def link_quads(res: Resolved) -> Iterator[pd.Series]:
    """Each link: the direct triple and its qualified node with properties and provenance."""
    m = model()
    for rel, df in res.links.items():
        if not len(df):
            continue
        link = m.link(rel)
        g = df["source"].map(source_graph)
        once = ~pd.DataFrame({"f": df["from_iri"], "t": df["to_iri"], "g": g}).duplicated().to_numpy()
        # the direct triple once per pair and source graph (renewed certifications, repeated fundings)
        yield _quads(df["from_iri"][once], link.predicate, _iri_obj(df["to_iri"][once]), g[once])
        q = df["iri"]
        yield _type_quads(q, KG + link.qualified_class, g)
        yield _type_quads(q, KG + "Link", g)
        yield _quads(q, KG + link.source_role, _iri_obj(df["from_iri"]), g)
        yield _quads(q, KG + link.target_role, _iri_obj(df["to_iri"]), g)
        yield from _prop_quads(df, q, g, list(link.properties))
        yield from _provenance(df, q, g)


def financial_quads(res: Resolved) -> Iterator[pd.Series]:
    """REPORTED links to FinancialYear nodes that carry the values and provenance."""
    m = model()
    df = res.financials
    if not len(df):
        return
    g = df["source"].map(source_graph)
    yield _quads(df["from_iri"], m.link("REPORTED").predicate, _iri_obj(df["iri"]), g)
    yield _type_quads(df["iri"], KG + "FinancialYear", g)
    provenance = {"source", "sourceFile", "sourceRow", "sourceRecord"}  # written once, by _provenance
    yield from _prop_quads(df, df["iri"], g, [p for p in m.props_on("FinancialYear") if p.local not in provenance])
    yield from _provenance(df, df["iri"], g)


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
    for gen in (entity_quads(res), link_quads(res), financial_quads(res)):
        for s in gen:
            if len(s):
                yield "".join(s.tolist())


def derived_quads(d) -> Iterator[pd.Series]:
    """Derived facts (kg.derive.facts.Derived) in the derived graph, each marked with its method."""
    from kg.resolve import link_iri

    m = model()
    g = GRAPH_DERIVED
    ctx = f"as_of={d.as_of.isoformat()}"
    for rel, df, a, b, method in (
        ("ULTIMATELY_OWNS", d.integrated, "owner", "owned",
         f"integrated ownership, cycle-corrected (Vitali, Glattfelder & Battiston 2011); floor={d.floor}; {ctx}"),
        ("CONTROLS", d.control, "controller", "controlled",
         f"majority control, directly or through controlled firms (> 0.5); {ctx}"),
    ):
        if not len(df):
            continue
        link = m.link(rel)
        q = pd.Series([link_iri(rel, x, y) for x, y in zip(df[a], df[b], strict=True)], index=df.index)
        yield _quads(df[a], link.predicate, _iri_obj(df[b]), g)
        yield _type_quads(q, KG + link.qualified_class, g)
        yield _type_quads(q, KG + "Link", g)
        yield _quads(q, KG + link.source_role, _iri_obj(df[a]), g)
        yield _quads(q, KG + link.target_role, _iri_obj(df[b]), g)
        yield from _prop_quads(df, q, g, [p for p in link.properties if p.column != "method"])
        yield _quads(q, m.prop("method").iri, literal_series(pd.Series([method] * len(df), index=df.index), XSD + "string"), g)
    ent = d.entity
    if len(ent):
        subj = ent["iri"]
        yield _quads(subj, KG + "ultimateController", _iri_obj(ent["ultimate_controller"]), g)
        props = [p for p in m.props_on("Entity") if p.derived and p.column in ent and p.column != "method"]
        yield from _prop_quads(ent, subj, g, props)
        has = ent["state_share"].notna() | ent["size_class"].notna()
        method = (f"state share = integrated ownership held by state entities and what they control; "
                  f"influence high (state-controlled) / medium (>= 25%) / low (> 0) / none; size class from the "
                  f"latest reported year (SME thresholds by sector); {ctx}")
        yield _quads(subj[has], m.prop("method").iri, literal_series(pd.Series([method] * int(has.sum()), index=subj[has].index), XSD + "string"), g)
    yield from _flow_quads(d, g, ctx)
    yield from _performance_quads(d, g, ctx)
    yield from _lookup_quads(d, g)


def _flow_quads(d, g: str, ctx: str) -> Iterator[pd.Series]:
    """Look-through flows of state capital (kg.derive.flows) as LOOK_THROUGH_FUNDED link nodes."""
    from kg.resolve import link_iri

    df = getattr(d, "flows", None)
    if df is None or not len(df):
        return
    m = model()
    link = m.link("LOOK_THROUGH_FUNDED")
    q = pd.Series([link_iri("LOOK_THROUGH_FUNDED", s, f, c) for s, f, c in zip(df["source"], df["funding"], df["chain"], strict=True)],
                  index=df.index)
    method = (f"look-through of fundings from state-controlled sources, directly or through up to three funds; step share = "
              f"LP commitments over all LP commitments to the fund, else direct ownership; {ctx}")
    yield _quads(df["source"], link.predicate, _iri_obj(df["recipient"]), g)
    yield _type_quads(q, KG + link.qualified_class, g)
    yield _type_quads(q, KG + "Link", g)
    yield _quads(q, KG + link.source_role, _iri_obj(df["source"]), g)
    yield _quads(q, KG + link.target_role, _iri_obj(df["recipient"]), g)
    yield _quads(q, KG + "lookThroughOf", _iri_obj(df["funding"]), g)
    yield from _prop_quads(df, q, g, [p for p in link.properties if p.column != "method"])
    yield _quads(q, m.prop("method").iri, literal_series(pd.Series([method] * len(df), index=df.index), XSD + "string"), g)


def _performance_quads(d, g: str, ctx: str) -> Iterator[pd.Series]:
    """Weak firm-years (kg.derive.performance) as derived properties of their FinancialYear nodes."""
    df = getattr(d, "performance", None)
    if df is None or not len(df):
        return
    m = model()
    subj = df["iri"]
    props = [p for p in m.props_on("FinancialYear") if p.derived and p.column in df and p.column != "method"]
    yield from _prop_quads(df, subj, g, props)
    at = df[["iri", "weak_at"]].explode("weak_at").dropna(subset=["weak_at"])
    if len(at):
        yield _quads(at["iri"], m.prop("weakAt").iri, literal_series(at["weak_at"], XSD + "integer"), g)
    method = ("performance with this year as the firm's latest: revenue decline (smallest revenue below the smallest "
              "of three years earlier) and/or losses (net loss in >= 2 of this year and the two before); "
              f"per year, so exact for any as_of (built {ctx})")
    yield _quads(subj, m.prop("method").iri, literal_series(pd.Series([method] * len(df), index=df.index), XSD + "string"), g)


def _lookup_quads(d, g: str) -> Iterator[pd.Series]:
    """Lookups for SPARQL (kg.derive.lookups): display names, certification years and first
    counted days, superseding starts. They hold for every as_of, so they carry no method of their
    own (the ontology describes them)."""
    m = model()
    names = getattr(d, "display_names", None)
    if names is not None and len(names):
        yield _quads(names["iri"], m.prop("displayName").iri, literal_series(names["display_name"], XSD + "string"), g)
    certs = getattr(d, "cert_years", None)
    if certs is not None and len(certs):
        yield _quads(certs["iri"], m.prop("certYear").iri, literal_series(certs["cert_year"], XSD + "integer"), g)
        yield _quads(certs["iri"], m.prop("countsFrom").iri, _date_literals(certs["counts_from"]), g)
    sup = getattr(d, "superseded", None)
    if sup is not None and len(sup):
        yield _quads(sup["iri"], m.prop("supersededFrom").iri, _date_literals(sup["superseded_from"]), g)


def _date_literals(days: pd.Series) -> pd.Series:
    """xsd:date literals of a column of datetime.date values."""
    return pd.Series([f'"{x.isoformat()}"^^<{XSD}date>' for x in days], index=days.index)
