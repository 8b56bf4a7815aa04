"""Helpers shared by the export formats: names, values, provenance, validity intervals.

>>> jsonable({"a": float("nan"), "b": (1, 2)})
{'a': None, 'b': [1, 2]}
>>> primary_type(("GuidanceFund", "Fund"))
'GuidanceFund'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from kg.ontology import ID, model
from kg.subgraph import Subgraph, link_interval

PROVENANCE = ("source", "source_file", "source_row")
"""The provenance columns of a link, a financial year and a source record."""


def missing(v: Any) -> bool:
    """None or NaN.

    >>> missing(None), missing(float("nan")), missing(0)
    (True, True, False)
    """
    return v is None or (isinstance(v, float) and math.isnan(v))


def jsonable(v: Any) -> Any:
    """A value as plain JSON (NaN -> None, tuples -> lists, dates -> ISO text, numpy -> Python)."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [jsonable(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    item = getattr(v, "item", None)
    if callable(item):
        return jsonable(item())
    return str(v)


def primary_type(labels: Iterable[str] | None) -> str:
    """The most specific label (``read_nodes`` puts it first); "Entity" when there is none."""
    labels = list(labels or ())
    return labels[0] if labels else "Entity"


def display_name(row: Mapping[str, Any]) -> str:
    """Name, else Chinese name, else local id or code, else the end of the IRI.

    >>> display_name({"iri": "https://w3id.org/accelerator-kg/id/entity/x", "name_zh": "甲"})
    '甲'
    """
    for key in ("name", "name_zh", "id", "code"):
        v = row.get(key)
        if not missing(v) and v != "":
            return str(v)
    return str(row.get("iri", "")).rsplit("/", 1)[-1]


def short_id(iri: str) -> str:
    """An IRI without the data namespace (``uscc/9132...``, ``entity/mof``).

    >>> short_id("https://w3id.org/accelerator-kg/id/entity/mof")
    'entity/mof'
    """
    return iri.removeprefix(ID)


def interval(rel: str, row: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(start, end) ISO dates of a link, from the ontology's start-like and end-like dates.

    >>> interval("FUNDED", {"date": "2020-05-01"}), interval("OWNS", {"start": "2019-01-01", "end": None})
    (('2020-05-01', None), ('2019-01-01', None))
    """
    starts, ends = link_interval(rel)
    start = next((row[c] for c in starts if not missing(row.get(c))), None)
    end = next((row[c] for c in ends if not missing(row.get(c))), None)
    return (str(start)[:10] if start is not None else None, str(end)[:10] if end is not None else None)


def is_derived(rel: str) -> bool:
    """Whether a link kind is computed by kg (CONTROLS, ULTIMATELY_OWNS).

    >>> is_derived("OWNS"), is_derived("CONTROLS")
    (False, True)
    """
    return model().link(rel).derived


def link_provenance(row: Mapping[str, Any]) -> dict[str, Any]:
    """``{"source", "file", "row", "graph"}`` of a link row, without empty values.

    >>> link_provenance({"source": "demo", "source_file": "ownership.csv", "source_row": 2})
    {'source': 'demo', 'file': 'ownership.csv', 'row': 2}
    """
    out = {"source": row.get("source"), "file": row.get("source_file"), "row": row.get("source_row"),
           "graph": row.get("graph")}
    return {k: jsonable(v) for k, v in out.items() if not missing(v)}


def node_sources(sub: Subgraph) -> dict[str, list[dict[str, Any]]]:
    """Node IRI -> the source rows describing it (``source``, ``file``, ``row``).

    >>> node_sources(Subgraph.example())[ID + "entity/a"]
    [{'source': 'demo', 'file': 'entities.csv', 'row': 2}]
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for iri, src, f, r in zip(sub.records["iri"], sub.records["source"], sub.records["source_file"],
                              sub.records["source_row"], strict=True):
        item = {k: jsonable(v) for k, v in (("source", src), ("file", f), ("row", r)) if not missing(v)}
        if item not in out.setdefault(iri, []):
            out[iri].append(item)
    return out


def sources_text(items: Iterable[Mapping[str, Any]]) -> str:
    """Provenance as one line: ``dataset (file:row); ...``.

    >>> sources_text([{"source": "merics-2024", "file": "certifications.csv", "row": 2}])
    'merics-2024 (certifications.csv:2)'
    """
    parts = []
    for s in items:
        where = ":".join(str(s[k]) for k in ("file", "row") if k in s)
        parts.append(f"{s.get('source', '?')} ({where})" if where else str(s.get("source", "?")))
    return "; ".join(parts)


def latest_financials(sub: Subgraph) -> dict[str, dict[str, Any]]:
    """Firm IRI -> its latest reported year (``year``, ``revenue``, ``employees``, ...).

    >>> latest_financials(Subgraph.example())[ID + "entity/a"]["revenue"]
    150000000.0
    """
    out: dict[str, dict[str, Any]] = {}
    fin = sub.financials
    if not len(fin):
        return out
    cols = list(fin.columns)
    for row in fin.itertuples(index=False, name=None):
        r = dict(zip(cols, row, strict=True))
        firm, year = r["firm"], r.get("year")
        if missing(year):
            continue
        prev = out.get(firm)
        if prev is None or year > prev["year"] or (year == prev["year"] and missing(prev.get("revenue"))):
            out[firm] = {k: v for k, v in r.items() if k not in ("firm",) and not missing(v)}
    return out


def certifications(sub: Subgraph) -> dict[str, list[dict[str, Any]]]:
    """Firm IRI -> its certifications (programme code and name, batch, year, validity, issuer,
    provenance), as of the selection's date, oldest first.

    >>> certifications(Subgraph.example())
    {}
    """
    out: dict[str, list[dict[str, Any]]] = {}
    certs = sub.certifications
    if not len(certs):
        return out
    programmes = {r["iri"]: r for r in sub.node_rows() if "Programme" in r.get("labels", ())}
    cols = list(certs.columns)
    for row in certs.itertuples(index=False, name=None):
        r = dict(zip(cols, row, strict=True))
        prog = programmes.get(r["to"], {})
        item = {
            "programme": prog.get("code") or r["to"].rsplit("/", 1)[-1],
            "programme_name": prog.get("name"), "programme_name_zh": prog.get("name_zh"),
            "tier": prog.get("tier"), "batch": r.get("batch"), "year": r.get("year"),
            "valid_from": r.get("valid_from"), "valid_to": r.get("valid_to"),
            "issuer": r.get("issuer_name"), "link": r["iri"], **link_provenance(r),
        }
        out.setdefault(r["from"], []).append({k: jsonable(v) for k, v in item.items() if not missing(v)})
    for items in out.values():
        items.sort(key=lambda c: (c.get("valid_from") or "", c.get("programme") or ""))
    return out


def generated_at() -> str:
    """The current UTC time, to the second, ISO 8601.

    >>> generated_at().endswith("Z")
    True
    """
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def column_types() -> dict[str, type]:
    """Column -> Python type over the ontology's datatype properties (dates are ISO text).

    >>> column_types()["share"], column_types()["batch"], column_types()["state_owned"], column_types()["start"]
    (<class 'float'>, <class 'int'>, <class 'bool'>, <class 'str'>)
    """
    from kg.ontology import XSD

    kinds = {XSD + "decimal": float, XSD + "double": float, XSD + "float": float,
             XSD + "integer": int, XSD + "int": int, XSD + "long": int, XSD + "boolean": bool}
    out: dict[str, type] = {}
    for p in model().properties.values():
        out.setdefault(p.column, kinds.get(p.datatype, str))
    out.update({"hop": int, "focus": bool, "derived": bool, "revenue": float, "revenue_year": int,
                "weight": float})
    return out


def typed_value(column: str, v: Any) -> Any:
    """A value converted to its column's Python type (None stays None).

    >>> typed_value("share", 1), typed_value("batch", 2.0), typed_value("name", 5)
    (1.0, 2, '5')
    """
    if missing(v):
        return None
    t = column_types().get(column, str)
    if t is bool:
        return v if isinstance(v, bool) else str(v).lower() in ("true", "1")
    if t is str and isinstance(v, (tuple, list)):
        return ";".join(map(str, v))
    try:
        return t(v)
    except (TypeError, ValueError):
        return str(v)


def flat_nodes(sub: Subgraph) -> list[dict[str, Any]]:
    """Nodes as flat typed records for tabular and graph-file formats (no empty values).

    Keys: ``iri``, ``label`` (display name), ``type`` (most specific label), ``labels``
    (``;``-joined), the ontology's node columns (the local ``id`` as ``local_id``), ``hop``,
    ``focus``, ``revenue`` and ``revenue_year`` (latest reported year), ``certifications``
    and ``sources`` (text).

    >>> n = flat_nodes(Subgraph.example())[0]
    >>> n["label"], n["type"], n["local_id"], n["revenue_year"], n["sources"]
    ('A Co.', 'Firm', 'a', 2023, 'demo (entities.csv:2)')
    """
    fin = latest_financials(sub)
    certs = certifications(sub)
    sources = node_sources(sub)
    out = []
    for r in sub.node_rows():
        iri = r["iri"]
        rec: dict[str, Any] = {"iri": iri, "label": display_name(r), "type": primary_type(r.get("labels")),
                               "labels": ";".join(r.get("labels", ()))}
        for k, v in r.items():
            if k not in ("iri", "labels"):
                rec["local_id" if k == "id" else k] = typed_value(k, v)
        f = fin.get(iri)
        if f and not missing(f.get("revenue")):
            rec["revenue"] = float(f["revenue"])
            rec["revenue_year"] = int(f["year"])
        if certs.get(iri):
            rec["certifications"] = "; ".join(
                " ".join(str(x) for x in (c.get("programme"), c.get("year"),
                                          f"({c.get('valid_from', '?')}..{c.get('valid_to', '')})") if x)
                for c in certs[iri])
        if sources.get(iri):
            rec["sources"] = sources_text(sources[iri])
        out.append({k: v for k, v in rec.items() if v is not None})
    return out


def flat_edges(sub: Subgraph) -> list[dict[str, Any]]:
    """Links as flat typed records: ``id``, ``source``, ``target``, ``type``, ``label``,
    ``weight`` (the share, else 1), ``start``/``end`` (validity), the link's columns,
    ``derived``, and provenance as ``dataset``, ``source_file``, ``source_row``, ``graph``.

    >>> e = flat_edges(Subgraph.example())[0]
    >>> e["type"], e["weight"], e["start"], e["dataset"], e["derived"]
    ('OWNS', 0.6, '2019-01-01', 'demo', False)
    """
    out = []
    for rel, r in sub.edges():
        start, end = interval(rel, r)
        share = r.get("share")
        rec: dict[str, Any] = {"id": r["iri"], "source": r["from"], "target": r["to"], "type": rel,
                               "label": rel, "weight": float(share) if not missing(share) else 1.0,
                               "start": start, "end": end}
        for k, v in r.items():
            if k in ("iri", "from", "to", "source", "graph"):
                continue
            rec[k] = typed_value(k, v)
        rec["derived"] = is_derived(rel)
        rec["dataset"] = r.get("source")
        rec["graph"] = r.get("graph")
        out.append({k: v for k, v in rec.items() if v is not None})
    return out


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(v: Any) -> Any:
    """Text without the characters XML 1.0 cannot hold (other values unchanged).

    >>> xml_safe("a\x01b"), xml_safe(1.5)
    ('ab', 1.5)
    """
    return _XML_BAD.sub("", v) if isinstance(v, str) else v
