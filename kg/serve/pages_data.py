"""What the pages of ``kg serve`` show, read from the store (these functions run in the query
workers of :mod:`kg.serve.pool`: module-level ``fn(store, ...)``, picklable arguments and
results, plain dicts and lists).

Every read goes through the project's readers: references through
:func:`kg.queries.refs.resolve_ref`, an entity's neighbourhood and its facts' sources through
:func:`kg.subgraph.select`, owners through :func:`kg.queries.owners.owner_tree`, canned queries
through :func:`kg.queries.run.run_query`, the network view through :func:`kg.export.graph.graph_dict`
and :func:`kg.viz.render_html`. No text a client sends becomes query text: values are
pre-bound parameters or exact-match index lookups; IRIs in ``VALUES`` come from the store.

A bad value a client gave (a date, an unknown entity, a query parameter) raises
:class:`~kg.serve.errors.ServeError` 400 or 404 with the one-line message.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db)
>>> [h["name"] for h in search(open_store(db), "Liaoning SASAC")]
['Liaoning SASAC']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError
from kg.ontology import ID, KG, RDF_TYPE
from kg.serve.errors import ServeError

__all__ = ["search", "entity_iri", "entity_page", "entity_name", "network_html", "run_canned", "SEARCH_LIMIT"]

SEARCH_LIMIT = 100
_REFERENCE_TYPES = {"Programme", "Exchange", "FinancialYear", "SourceRecord"}
DERIVED_GRAPH = ID + "graph/derived"
REFERENCE_GRAPH = ID + "graph/reference"
SOURCE_GRAPH = ID + "graph/source/"


def _bad(e: Exception, status: int = 400) -> ServeError:
    return ServeError(status, str(e).splitlines()[0] if status == 404 else str(e))


# ---------------------------------------------------------------- search


def search_forms(text: str) -> list[str]:
    """The forms of a search text tried in turn: as typed (half-width, trimmed), then in
    simplified characters when it has traditional ones.

    >>> search_forms(" 瀋陽新松 "), search_forms("３０００２４")
    (['瀋陽新松', '沈阳新松'], ['300024'])
    """
    from kg.values.text import _t2s, clean

    c = clean(text) or ""
    return list(dict.fromkeys(f for f in (c, _t2s(c) if c and not c.isascii() else c) if f))


def _identifier_forms(text: str) -> list[tuple[str, str]]:
    """``(kg property, value)`` pairs an identifier-like text is looked up by.

    >>> _identifier_forms("sz300024")[-1]
    ('ticker', '300024.SZ')
    """
    from kg.values import ticker
    from kg.values.errors import ValueProblem

    forms = [("localId", text), ("uscc", text.upper()), ("lei", text.upper())]
    try:
        forms.append(("ticker", ticker.parse(text).canonical))
    except ValueProblem:
        pass
    return forms


def search(store: ox.Store, text: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Entities a search text names (an English or Chinese name or part of one, a USCC, LEI,
    ticker or local id): ``[{"iri", "name", "types", "id"}]``, at most ``limit``.

    The lookups of ``kg query`` references (:class:`kg.queries.refs.EmbeddedLookup`, pre-bound
    parameters): an identifier, else the names containing the text (exact names first), else
    the names equal to it once normalised (legal forms, width, traditional characters).
    Reference entities (programmes, exchanges) are left out.
    """
    from kg.queries.refs import EmbeddedLookup
    from kg.values.text import normalise_name

    lookup = EmbeddedLookup(store)
    forms = search_forms(text)
    found: dict[str, None] = {}
    for form in forms:
        for prop, value in _identifier_forms(form):
            found.update(dict.fromkeys(lookup.by_identifier(prop, value)))
    if not found:
        named = [c for form in forms for c in lookup.by_name(form.casefold())]
        if not named and forms:
            named = lookup.by_normalised_name(forms[0])
        key = normalise_name(forms[0]) if forms else ""
        named.sort(key=lambda c: (normalise_name(c.name) != key, c.name or "", c.iri))
        for c in named:
            found.setdefault(c.iri, None)
            if len(found) >= limit:
                break
    out = []
    for c in lookup.describe(list(found)):
        if not _REFERENCE_TYPES & set(c.types):
            out.append({"iri": c.iri, "name": c.name, "types": list(c.types), "id": c.local_id})
    order = {iri: k for k, iri in enumerate(found)}  # exact names first, then by name
    return sorted(out, key=lambda h: order[h["iri"]])


# ---------------------------------------------------------------- entity


def entity_iri(key: str) -> str:
    """The IRI an entity page's path names (the part of the IRI after ``.../id/``).

    >>> entity_iri("ticker/300024.SZ")
    'https://w3id.org/accelerator-kg/id/ticker/300024.SZ'
    """
    from kg.rdf.read import _safe_iris

    iri = ID + key
    if not key or not _safe_iris([iri]) or "/link/" in iri or ".." in key:
        raise ServeError(404, f"no entity {key!r} in the graph")
    return iri


def _check_entity(store: ox.Store, iri: str) -> None:
    from kg.subgraph import _is_entity

    if not _is_entity(store, ox.NamedNode(iri)):
        raise ServeError(404, f"no entity <{iri}> in the graph")


def _clean(v: Any) -> Any:
    """Plain picklable, JSON-able values (NaN -> None, numpy -> Python, tuples -> lists)."""
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, Mapping):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [_clean(x) for x in v]
    item = getattr(v, "item", None)
    if callable(item):
        return _clean(item())
    return str(v)


def _rows(frame) -> list[dict]:
    return [_clean({k: x for k, x in r.items()}) for r in frame.to_dict("records")] if len(frame) else []


def _graph_source(g: str | None) -> str:
    if g is None:
        return "default graph"
    if g == DERIVED_GRAPH:
        return "derived by kg build"
    if g == REFERENCE_GRAPH:
        return "reference data shipped with kg"
    from urllib.parse import unquote

    return unquote(g.removeprefix(SOURCE_GRAPH))  # kg.rdf.nquads.source_graph quotes the name


def _valid(row: Mapping[str, Any], rel: str, day: dt.date) -> bool:
    from kg.subgraph import link_interval

    starts, ends = link_interval(rel)
    iso = day.isoformat()
    return (all(not row.get(c) or str(row[c])[:10] <= iso for c in starts)
            and all(not row.get(c) or str(row[c])[:10] >= iso for c in ends))


def _facts(quads: list[ox.Quad], iri: str) -> list[dict]:
    """The entity's own statements (not links) with the source (the named graph of a source
    file) and the rows of that file that describe it (``kg:sourceRow`` in the same graph)."""
    from kg.ontology import model

    columns = {p.iri: p.column for p in model().properties.values()}
    rows_of: dict[str | None, list[dict]] = {}
    for q in quads:
        if q.subject.value == iri and q.predicate.value == KG + "sourceRow":
            g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
            rows_of.setdefault(g, []).append({"file": _graph_file(g), "row": q.object.value})
    out = []
    skip = {KG + "method", KG + "displayName", KG + "sourceRow", KG + "sourceRecord", KG + "hasOwnershipAssessment",
            KG + "hasSizeAssessment"}
    for q in quads:
        if q.subject.value != iri or q.predicate.value in skip or isinstance(q.object, ox.BlankNode):
            continue
        g = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
        p = q.predicate.value
        value = q.object.value
        if p == RDF_TYPE:
            if not value.startswith(KG):
                continue
            name, value = "type", value.removeprefix(KG)
        else:
            name = columns.get(p, p.removeprefix(KG))
        out.append({"property": name, "value": value, "iri_value": isinstance(q.object, ox.NamedNode) and p != RDF_TYPE,
                    "source": _graph_source(g), "derived": g == DERIVED_GRAPH,
                    "rows": sorted(rows_of.get(g, []), key=lambda r: (str(r["file"]), int(r["row"] or 0)))})
    order = {"type": 0, "name": 1, "name_zh": 2, "id": 3, "uscc": 4, "lei": 5, "ticker": 6}
    out.sort(key=lambda f: (f["derived"], order.get(f["property"], 10), f["property"], f["value"], f["source"]))
    return out


def _graph_file(g: str | None) -> str | None:
    """The file of a source file's graph (``id/graph/source/<dataset>/<file>``, both quoted).

    >>> _graph_file(SOURCE_GRAPH + "merics%202024/lists%2F2023.xlsx")
    'lists/2023.xlsx'
    """
    from urllib.parse import unquote

    if g is None or not g.startswith(SOURCE_GRAPH) or "/" not in g.removeprefix(SOURCE_GRAPH):
        return None
    return unquote(g.removeprefix(SOURCE_GRAPH).split("/", 1)[1])


def _names(nodes: list[dict]) -> dict[str, str]:
    out = {}
    for n in nodes:
        out[n["iri"]] = n.get("name") or n.get("name_zh") or n.get("code") or n.get("id") or n["iri"].rsplit("/", 1)[-1]
    return out


def _link_rows(sub, rel: str, day: dt.date, names: dict[str, str]) -> list[dict]:
    frame = sub.links.get(rel)
    if frame is None or not len(frame):
        return []
    out = []
    for r in _rows(frame):
        r["from_name"] = names.get(r["from"], r["from"])
        r["to_name"] = names.get(r["to"], r["to"])
        r["valid"] = _valid(r, rel, day)
        r["source_label"] = _graph_source(r.get("graph")) if not r.get("source") else r["source"]
        out.append(r)
    return out


def _owners(store: ox.Store, iri: str, day: dt.date, names: dict[str, str]) -> list[dict]:
    """The owner tree at ``day`` (kg owners) as rows: depth, owner, owned, direct and
    integrated share, controls, state."""
    from kg.queries.owners import owner_tree

    out: list[dict] = []

    def walk(n, depth: int) -> None:
        for o in n.owners:
            out.append({"depth": depth + 1, "owner": o.iri, "owner_name": o.name or o.local_id or o.iri,
                        "owned": n.iri, "owned_name": n.name or n.local_id or n.iri,
                        "direct_share": _clean(o.direct_share), "integrated_share": _clean(o.integrated_share),
                        "controls": o.controls, "state": o.state, "note": o.note})
            walk(o, depth + 1)

    walk(owner_tree(store, iri, day, max_depth=8), 0)
    return out


def _control_path(owners: list[dict], iri: str) -> list[dict]:
    """The chain of controlling owners above the entity at the date (each controls it), from
    the entity up to the topmost: the ultimate controller, with the direct share of each step."""
    path: list[dict] = []
    current, seen = iri, {iri}
    while True:
        ups = [o for o in owners if o["owned"] == current and o["controls"] and o["owner"] not in seen]
        if not ups:
            return path
        best = max(ups, key=lambda o: (o["direct_share"] or 0, o["owner_name"]))
        path.append(best)
        seen.add(best["owner"])
        current = best["owner"]


def _subsidiaries(store: ox.Store, iri: str, day: dt.date, limit: int) -> dict:
    """What the entity holds at ``day``, directly or through holdings: each entity below it
    with the integrated (direct + indirect, cycle-corrected) share, computed for ``day`` with
    the derive layer's algebra from the holdings valid then (an entity's integrated shares of
    what lies below it depend only on the holdings below it), hops, and the holdings into it
    with their sources."""
    import numpy as np

    from kg.derive import ownership as own
    from kg.subgraph import Selection, select

    sub = select(store, iri, Selection(hops=8, direction="down", links=("OWNS",), as_of=day, limit=limit))
    names = _names(_rows(sub.nodes))
    links = [r for r in _rows(sub.links["OWNS"]) if r.get("share") is not None]
    nodes = sorted({iri, *(r["from"] for r in links), *(r["to"] for r in links)})
    index = {n: k for k, n in enumerate(nodes)}
    best: dict[tuple[str, str], float] = {}
    for r in links:
        key = (r["from"], r["to"])
        best[key] = max(best.get(key, 0.0), float(r["share"]))
    rows = []
    if best:
        i = np.array([index[a] for a, _ in best], dtype=np.int64)
        j = np.array([index[b] for _, b in best], dtype=np.int64)
        W = own.ownership_matrix(i, j, np.array(list(best.values())), len(nodes))
        X, H = own.integrated_ownership_with_hops(W, floor=0.0)
        X, H = X.tocsr(), H.tocsr()
        row, hops = X.getrow(index[iri]), H.getrow(index[iri])
        hop_of = dict(zip(hops.indices.tolist(), hops.data.tolist(), strict=True))
        for k, share in zip(row.indices.tolist(), row.data.tolist(), strict=True):
            target = nodes[k]
            if target == iri:
                continue
            into = [{"owner": r["from"], "owner_name": names.get(r["from"], r["from"]), "share": r["share"],
                     "start": r.get("start"), "end": r.get("end"), "source": r.get("source"),
                     "source_file": r.get("source_file"), "source_row": r.get("source_row")}
                    for r in links if r["to"] == target]
            rows.append({"iri": target, "name": names.get(target, target), "integrated_share": min(share, 1.0),
                         "hops": int(hop_of.get(k, 0)), "direct_share": best.get((iri, target)), "holdings": into})
    rows.sort(key=lambda r: (-r["integrated_share"], r["name"], r["iri"]))
    return {"rows": rows, "truncated": sub.truncated}


def entity_page(store: ox.Store, iri: str, as_of: dt.date, limit: int = 500) -> dict:
    """Everything the entity page shows for ``iri`` at ``as_of`` (ServeError 404 when the
    graph has no such entity)."""
    from kg.subgraph import DEFAULT_LINKS, Selection, derived_at, select

    _check_entity(store, iri)
    # the neighbourhood without a date, so that ended and future links are shown too (marked)
    sub = select(store, iri, Selection(hops=1, direction="both", links=DEFAULT_LINKS, as_of=None, limit=limit))
    nodes = _rows(sub.nodes)
    names = _names(nodes)
    me = next(n for n in nodes if n["iri"] == iri)
    records = [r for r in _rows(sub.records) if r["iri"] == iri]
    facts = _facts(sub.quads, iri)
    links = {rel: _link_rows(sub, rel, as_of, names) for rel in DEFAULT_LINKS}
    certs = [r for r in links.get("CERTIFIED_AS", []) if r["from"] == iri]
    certs.sort(key=lambda r: (str(r.get("valid_from") or ""), str(r.get("to_name"))))
    fin = [r for r in _rows(sub.financials) if r["firm"] == iri and (r.get("year") or 0) <= as_of.year]
    fin.sort(key=lambda r: (r.get("year") or 0, r.get("source") or ""))
    owners = _owners(store, iri, as_of, names)
    assessed = derived_at(store, iri, as_of)[0]
    uc = assessed.pop("ultimate_controller", None)
    return {
        "iri": iri,
        "name": names[iri],
        "node": me,
        "names": names,
        "facts": facts,
        "records": records,
        "state": {k: (me | assessed).get(k) for k in ("state_owned", "state_owned_reason", "state_controlled",
                                                      "state_share", "state_influence", "path", "size_class", "size_year")},
        "ultimate_controller": {"iri": uc, "name": _display(store, uc)} if uc else None,
        "derived_as_of": as_of.isoformat() if assessed else None,
        "control_path": _control_path(owners, iri),
        "owners": owners,
        "owns_direct": [r for r in links.get("OWNS", []) if r["from"] == iri],
        "owned_by_direct": [r for r in links.get("OWNS", []) if r["to"] == iri],
        "subsidiaries": _subsidiaries(store, iri, as_of, limit),
        "funding_received": [r for r in links.get("FUNDED", []) if r["to"] == iri],
        "funding_given": [r for r in links.get("FUNDED", []) if r["from"] == iri],
        "certifications": certs,
        "listings": [r for r in links.get("LISTED_ON", []) if r["from"] == iri],
        "declared_control": [r for r in links.get("DECLARED_CONTROL", []) if iri in (r["from"], r["to"])],
        "financials": fin,
        "truncated": sub.truncated,
    }


def entity_name(store: ox.Store, iri: str) -> str:
    """The display name of an entity (ServeError 404 when the graph has no such entity)."""
    _check_entity(store, iri)
    return _display(store, iri)


def _display(store: ox.Store, iri: str) -> str:
    from kg.subgraph import _display as display

    return display(store, iri)


# ---------------------------------------------------------------- network view


def network_html(store: ox.Store, iri: str, hops: int, direction: str, links: tuple[str, ...],
                 as_of: dt.date | None, limit: int = 500) -> str:
    """The ``kg viz`` page of the subgraph around ``iri`` (the same selection and view)."""
    from kg.export.graph import graph_dict
    from kg.subgraph import Selection, select
    from kg.viz import render_html

    _check_entity(store, iri)
    try:
        sel = Selection(hops=hops, direction=direction, links=links, as_of=as_of, limit=limit)
    except InputError as e:
        raise _bad(e) from None
    sub = select(store, iri, sel)
    title = f"{sub.display_name(iri)}: {hops} hop{'s' if hops != 1 else ''}" + (
        f", as of {as_of.isoformat()}" if as_of else "")
    return render_html(graph_dict(sub), title=title, as_of=as_of.isoformat() if as_of else None)


# ---------------------------------------------------------------- canned queries


def run_canned(store: ox.Store, query, params: Mapping[str, str], as_of: str | None) -> dict:
    """Run a catalog query (a :class:`kg.queries.catalog.Query`) with text parameters as
    ``kg query run -p`` takes them: ``{"columns", "rows", "iri_columns"}`` (ServeError 400 for
    a bad parameter)."""
    from kg.queries.run import run_query

    try:
        cols, rows = run_query(store, query, dict(params), as_of)
    except InputError as e:
        raise _bad(e) from None
    return {"columns": cols, "rows": _clean(rows), "iri_columns": list(query.iri_columns)}
