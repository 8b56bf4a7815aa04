"""``kg owners REF``: the ownership tree above an entity, with direct and integrated shares.

The tree is built from the direct holdings (OWNS) valid at ``as_of``, walking upward from the
entity. Integrated shares (direct + indirect, cycle-corrected) and control are computed here
for ``as_of`` from exactly those holdings with the derive layer's algebra
(:mod:`kg.derive.ownership`): an owner's integrated share in, and control of, an entity depend
only on the entity's ancestors, so the upward subgraph gives the same figures as the whole
graph. The state mark is the stored derived ``state_controlled`` of the ownership assessment
that holds at ``as_of``.

>>> import tempfile, pathlib, datetime
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
>>> t = owner_tree(open_store(db), "https://w3id.org/accelerator-kg/id/uscc/91210100658574932N", datetime.date(2023, 12, 31))
>>> print(render_tree(t).splitlines()[2])
    └── 100.0%  SIASUN Robot & Automation Co., Ltd.  [integrated 70.0%; controls]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyoxigraph as ox

from kg.ontology import KG

__all__ = ["OwnerNode", "owner_tree", "render_tree", "marks", "tree_json", "flatten", "FLAT_COLUMNS", "NO_OWNERS"]

FLAT_COLUMNS = ["depth", "owner", "owner_name", "owned", "owned_name", "direct_share", "integrated_share",
                "controls", "state_controlled"]
NO_OWNERS = "(no owners on record at this date)"


@dataclass
class OwnerNode:
    """One entity in the tree; ``owners`` are its direct owners (children in the printout)."""

    iri: str
    name: str | None = None
    types: tuple[str, ...] = ()
    local_id: str | None = None
    direct_share: float | None = None  # of the entity below it in the tree
    integrated_share: float | None = None  # of the tree's root
    controls: bool = False  # controls the root
    state: bool = False  # derived state_controlled
    note: str | None = None  # 'cycle' | 'repeated' | 'depth'
    owners: list[OwnerNode] = field(default_factory=list)


def _links(store: ox.Store, owned: list[str]) -> list[tuple[str, str, float, str | None, str | None]]:
    """Direct holdings of the given entities: (owner, owned, share, start, end)."""
    from kg.rdf.read import _values_clause, select_frame

    q = (f"SELECT ?owner ?owned ?share ?start ?end WHERE {{ {_values_clause('owned', owned)} "
         f"?o <{KG}owned> ?owned ; <{KG}owner> ?owner ; <{KG}share> ?share . "
         f"OPTIONAL {{ ?o <{KG}start> ?start }} OPTIONAL {{ ?o <{KG}end> ?end }} }}")
    f = select_frame(store, q)
    return [(r.owner, r.owned, float(r.share), r.start, r.end) for r in f.itertuples(index=False)]


def _valid(start: str | None, end: str | None, day: dt.date) -> bool:
    return (start is None or start[:10] <= day.isoformat()) and (end is None or end[:10] >= day.isoformat())


def _describe(store: ox.Store, iris: list[str], day: dt.date) -> dict[str, tuple]:
    from kg.rdf.read import _values_clause, select_frame

    d = f'"{day.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>'  # a date object's text, not user text
    q = (f"SELECT ?e (MIN(?n) AS ?name) (MIN(?i) AS ?id) (GROUP_CONCAT(DISTINCT STR(?t); separator=' ') AS ?types) "
         f"(MAX(STR(?sc)) AS ?state) WHERE {{ {_values_clause('e', iris)} "
         f"OPTIONAL {{ ?e <{KG}name> ?n }} OPTIONAL {{ ?e <{KG}localId> ?i }} OPTIONAL {{ ?e a ?t }} "
         f"OPTIONAL {{ ?e <{KG}hasOwnershipAssessment> ?a . ?a <{KG}stateControlled> ?sc . "
         f"FILTER NOT EXISTS {{ ?a <{KG}validFrom> ?vf FILTER(?vf > {d}) }} "
         f"FILTER NOT EXISTS {{ ?a <{KG}validTo> ?vt FILTER(?vt < {d}) }} }} }} GROUP BY ?e")
    out = {}
    for r in select_frame(store, q).itertuples(index=False):
        types = tuple(sorted(t.removeprefix(KG) for t in (r.types or "").split() if t.startswith(KG)))
        out[r.e] = (r.name, r.id, types, r.state == "true")
    return out


def owner_tree(store: ox.Store, iri: str, as_of: dt.date | None = None, *, max_depth: int = 10) -> OwnerNode:
    """The tree of owners above ``iri`` at ``as_of`` (default today), up to ``max_depth`` levels.

    An owner already on the path below it is a cross-holding: shown with note 'cycle' and not
    expanded; an owner whose owners were already shown elsewhere in the tree gets note
    'repeated'; one at the depth limit with owners of its own gets note 'depth'.
    """
    from kg.derive import ownership as own

    as_of = as_of or dt.date.today()
    # walk upward through all ancestors (the shares need every path, however long; only the
    # printout stops at max_depth): every holding valid at as_of whose owned entity was seen
    seen = {iri}
    frontier = [iri]
    edges: dict[tuple[str, str], float] = {}
    while frontier:
        nxt = []
        for owner, owned, share, start, end in _links(store, frontier):
            if not _valid(start, end, as_of):
                continue
            key = (owner, owned)
            edges[key] = max(edges.get(key, 0.0), share)
            if owner not in seen:
                seen.add(owner)
                nxt.append(owner)
        frontier = nxt
    nodes = sorted(seen)
    index = {n: k for k, n in enumerate(nodes)}
    if edges:
        i = np.array([index[a] for a, _ in edges], dtype=np.int64)
        j = np.array([index[b] for _, b in edges], dtype=np.int64)
        W = own.ownership_matrix(i, j, np.array(list(edges.values())), len(nodes))
        X = own.integrated_ownership(W, floor=0.0, tol=0.0).tocsc()
        C = own.control(W, 0.5).tocsc()
        col = index[iri]
        integrated = dict(zip(X[:, col].indices.tolist(), X[:, col].data.tolist(), strict=True))
        controllers = set(C[:, col].indices.tolist())
    else:
        integrated, controllers = {}, set()
    info = _describe(store, nodes, as_of)
    owners_of: dict[str, list[tuple[str, float]]] = {}
    for (a, b), s in edges.items():
        owners_of.setdefault(b, []).append((a, s))

    expanded: set[str] = set()

    def make(e: str, direct: float | None, path: tuple[str, ...], depth: int) -> OwnerNode:
        name, lid, types, state = info.get(e, (None, None, (), False))
        k = index[e]
        node = OwnerNode(e, name, types, lid, direct, None if e == iri else integrated.get(k, 0.0),
                         k in controllers, state)
        ups = sorted(owners_of.get(e, []), key=lambda t: (-t[1], info.get(t[0], ("",))[0] or "", t[0]))
        if not ups:
            return node
        if depth >= max_depth:
            node.note = "depth"
            return node
        if e in expanded:
            node.note = "repeated"
            return node
        expanded.add(e)
        for owner, share in ups:
            if owner in path:
                child = make_leaf(owner, share)
                child.note = "cycle"
                node.owners.append(child)
            else:
                node.owners.append(make(owner, share, path + (owner,), depth + 1))
        return node

    def make_leaf(e: str, direct: float) -> OwnerNode:
        name, lid, types, state = info.get(e, (None, None, (), False))
        k = index[e]
        return OwnerNode(e, name, types, lid, direct, None if e == iri else integrated.get(k, 0.0),
                         k in controllers, state)

    return make(iri, None, (iri,), 0)


def _pct(x: float | None) -> str:
    from kg.values.share import as_percent  # one precision for every share people read

    return "" if x is None else as_percent(x)


def _label(n: OwnerNode) -> str:
    return n.name or n.local_id or n.iri


def marks(o: OwnerNode) -> list[str]:
    """What the tree says about an owner besides its direct share: its integrated share of the
    root and ``controls``, ``state``, or why its owners are not shown below it."""
    out = [f"integrated {_pct(o.integrated_share)}"] if o.integrated_share is not None else ["the entity itself"]
    if o.controls:
        out.append("controls")
    if o.state:
        out.append("state")
    if o.note == "cycle":
        out.append("cross-holding: owns an entity below it, not expanded")
    elif o.note == "repeated":
        out.append("owners shown above")
    elif o.note == "depth":
        out.append("more owners above (raise --depth)")
    return out


def render_tree(root: OwnerNode) -> str:
    """The tree as indented text: each owner with its direct share, then its integrated share
    of the root and marks (``controls`` = controls the root, ``state`` = state entity)."""
    ident = f"  [{root.local_id}]" if root.local_id else ""
    lines = [f"{_label(root)}{ident}" + ("  [state]" if root.state else "")]

    def walk(n: OwnerNode, prefix: str) -> None:
        for k, o in enumerate(n.owners):
            last = k == len(n.owners) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{_pct(o.direct_share)}  {_label(o)}  [{'; '.join(marks(o))}]")
            walk(o, prefix + ("    " if last else "│   "))

    walk(root, "")
    if not root.owners:
        lines.append(NO_OWNERS)
    return "\n".join(lines)


def tree_json(root: OwnerNode) -> dict:
    """The tree as nested dicts (for ``--format json``)."""
    out = {"entity": root.iri, "name": root.name, "id": root.local_id, "types": list(root.types)}
    if root.direct_share is not None:
        out["direct_share"] = root.direct_share
    if root.integrated_share is not None:
        out["integrated_share"] = root.integrated_share
        out["controls"] = root.controls
    out["state_controlled"] = root.state
    if root.note:
        out["note"] = root.note
    out["owners"] = [tree_json(o) for o in root.owners]
    return out


def flatten(root: OwnerNode) -> list[list]:
    """One row per edge of the tree (``FLAT_COLUMNS``), depth-first."""
    rows: list[list] = []

    def walk(n: OwnerNode, depth: int) -> None:
        for o in n.owners:
            rows.append([depth + 1, o.iri, o.name, n.iri, n.name, o.direct_share, o.integrated_share, o.controls, o.state])
            walk(o, depth + 1)

    walk(root, 0)
    return rows
