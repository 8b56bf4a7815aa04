"""Derived facts of a build, as tables: integrated ownership, control, ultimate controllers,
state share and influence, size classes. The RDF layer writes them into the derived graph.

Ownership counts when it is valid on the build date (``as_of``): started on or before it and
not ended before it. Where sources give different shares for the same owner and firm, the
largest is used (sources stand side by side in the store; the algebra needs one number).
What enters the algebra (:func:`ownership_pairs`): direct holdings only (a declared indirect
holding is a declaration, not a link of the chain); a share given as a range counts with its
lower bound, so integrated shares through it are lower bounds; an owned entity whose shares
still sum over 100% (sources that disagree, listed by kg.conflicts) has them scaled to 100%.
So every derived share stays in [0, 1]; a clamp at the end is only the last guard.
Control also counts what sources declare: a DECLARED_CONTROL whose basis is an accounting
consolidation (GLEIF direct or ultimate consolidation), valid at ``as_of`` and not INACTIVE,
makes the parent control the child (no share is invented). Run kg.conflicts.find_conflicts
first (the build does): it rejects the cycles whose shares do not shrink.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from kg.conflicts import algebra_shares
from kg.derive import flows as flows_mod
from kg.derive import lookups
from kg.derive import ownership as own
from kg.derive import performance as perf_mod
from kg.derive import size as size_mod
from kg.derive import state as state_mod
from kg.derive.periods import valid_on
from kg.reference import names as reference_names
from kg.resolve import Resolved

__all__ = ["Derived", "derive", "ownership_facts", "ownership_arrays", "ownership_pairs", "declared_control", "size_facts", "reported_years",
           "DEFAULT_FLOOR", "CONTROL_THRESHOLD"]

DEFAULT_FLOOR = 0.01
CONTROL_THRESHOLD = 0.5
STATE_TYPES = ("GovernmentBody", "GuidanceFund")
#: DECLARED_CONTROL bases that count as control of the child by the parent.
CONTROL_BASES = ("direct_consolidation", "ultimate_consolidation")


@dataclass
class Derived:
    """Derived tables; entity IRIs as in Resolved."""

    as_of: dt.date
    floor: float
    integrated: pd.DataFrame  # owner, owned, share, hops, path
    control: pd.DataFrame  # controller, controlled, share, hops
    entity: pd.DataFrame  # iri + derived entity properties (state_share, state_influence, ...)
    params: dict = field(default_factory=dict)
    # look-through flows of state capital (kg.derive.flows): source, recipient, funding, ...
    flows: pd.DataFrame = field(default_factory=pd.DataFrame)
    # weak firm-years (kg.derive.performance): FinancialYear iri, weak_reason, min_revenue, ...
    performance: pd.DataFrame = field(default_factory=pd.DataFrame)
    # lookups for SPARQL (kg.derive.lookups): iri, display_name; certification iri, cert_year, counts_from;
    # certification iri, superseded_from
    display_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    cert_years: pd.DataFrame = field(default_factory=pd.DataFrame)
    superseded: pd.DataFrame = field(default_factory=pd.DataFrame)


def _state_mask(ents: pd.DataFrame) -> np.ndarray:
    labels = ents["labels"].to_numpy(dtype=object)
    try:
        codes, uniq = pd.factorize(labels)  # a few distinct label tuples: each looked at once
    except TypeError:  # labels as lists (unhashable): each row
        codes, uniq = np.arange(len(labels)), labels
    typ = np.array([any(t in STATE_TYPES for t in ls) for ls in list(uniq)] + [False], dtype=bool)[codes]
    flagged = np.fromiter((v is True for v in ents["state_owned"].to_numpy(dtype=object)), dtype=bool, count=len(ents))
    return typ | flagged


def _fraction(values) -> np.ndarray:
    """Derived shares rounded and kept in [0, 1] (the last guard; the inputs already are)."""
    return np.clip(np.round(np.asarray(values, dtype=float), 10), 0.0, 1.0)


def _path_text(path: list[int], names: np.ndarray, shares: dict) -> str:
    """'Owner -> 60% Holding -> 70% Firm' for a path of entity indices."""
    parts = [str(names[path[0]])]
    for a, b in zip(path, path[1:], strict=False):
        parts.append(f"{shares[(a, b)]:.4g} {names[b]}" if shares[(a, b)] < 0.01 else f"{shares[(a, b)]:.0%} {names[b]}")
    return " -> ".join(parts)


def _path_texts(paths: np.ndarray, pairs: pd.DataFrame, names: np.ndarray) -> list[str]:
    """:func:`_path_text` of each row of ``paths`` (entity indices, -1 padded at the end), the
    shares of all hops looked up at once and each distinct share formatted once.

    >>> pairs = pd.DataFrame({"i": [0, 1], "j": [1, 2], "share": [1.0, 0.006]})
    >>> _path_texts(np.array([[0, 1, 2], [0, 1, -1]]), pairs, np.array(["G", "H", "F"], dtype=object))
    ['G -> 100% H -> 0.006 F', 'G -> 100% H']
    """
    n = len(names)
    key = pairs["i"].to_numpy(dtype=np.int64) * n + pairs["j"].to_numpy(dtype=np.int64)
    order = np.argsort(key, kind="stable")
    key, share = key[order], pairs["share"].to_numpy(dtype=float)[order]
    a, b = paths[:, :-1], paths[:, 1:]
    hop = (a >= 0) & (b >= 0)
    want = a[hop] * n + b[hop]
    pos = np.minimum(np.searchsorted(key, want, "right") - 1, len(key) - 1)  # the last of equal keys, as a dict keeps
    if not len(key) or (pos < 0).any() or (key[np.maximum(pos, 0)] != want).any():
        shares = dict(zip(zip(pairs["i"].astype(int), pairs["j"].astype(int), strict=True),
                          pairs["share"].astype(float), strict=True))
        return [_path_text([int(k) for k in row if k >= 0], names, shares) for row in paths]
    hop_share = np.full(a.shape, np.nan)
    hop_share[hop] = share[pos]
    fmt = {}
    out = []
    for row, sh in zip(paths.tolist(), hop_share.tolist(), strict=True):
        parts = [str(names[row[0]])]
        for b_, s in zip(row[1:], sh, strict=True):
            if b_ < 0:
                break
            text = fmt.get(s)
            if text is None:
                text = fmt[s] = f"{s:.4g}" if s < 0.01 else f"{s:.0%}"
            parts.append(f"{text} {names[b_]}")
        out.append(" -> ".join(parts))
    return out


def ownership_pairs(owns: pd.DataFrame, index: pd.Series, as_of: dt.date) -> pd.DataFrame:
    """Direct ownership the algebra uses (columns i, j, share): valid at ``as_of``, direct,
    the largest share per (owner, owned), each owned entity's shares scaled to at most 100%.

    >>> owns = pd.DataFrame({"from_iri": ["mof", "miit", "mof"], "to_iri": ["ld", "ld", "ld"],
    ...                      "share": [0.7, 0.6, 0.5], "start": [None] * 3, "end": [None] * 3})
    >>> p = ownership_pairs(owns, pd.Series([0, 1, 2], index=["mof", "miit", "ld"]), dt.date(2024, 1, 1))
    >>> p.round(4).values.tolist()
    [[0.0, 2.0, 0.5385], [1.0, 2.0, 0.4615]]
    """
    empty = pd.DataFrame({"i": pd.Series(dtype=np.int64), "j": pd.Series(dtype=np.int64), "share": pd.Series(dtype=float)})
    if not len(owns):
        return empty
    owns = owns[valid_on(owns, as_of)]
    p = pd.DataFrame({"i": owns["from_iri"].map(index), "j": owns["to_iri"].map(index), "share": algebra_shares(owns)})
    p = p.dropna()
    p = p[(p["share"] > 0) & (p["i"] != p["j"])].astype({"i": np.int64, "j": np.int64})
    if not len(p):
        return empty
    return scaled_pairs(p)


def scaled_pairs(p: pd.DataFrame) -> pd.DataFrame:
    """The largest share per (i, j), each j's shares scaled to at most 100% in total.

    >>> scaled_pairs(pd.DataFrame({"i": [0, 0, 1], "j": [2, 2, 2], "share": [0.5, 0.9, 0.6]})).round(4).values.tolist()
    [[0.0, 2.0, 0.6], [1.0, 2.0, 0.4]]
    """
    # shares as floats before grouping: on an object column pandas takes each group's max in Python
    p = p.astype({"share": float}).groupby(["i", "j"], as_index=False)["share"].max()
    total = p.groupby("j")["share"].transform("sum").to_numpy()
    p["share"] = np.minimum(p["share"].to_numpy() / np.maximum(total, 1.0), 1.0)
    return p


def declared_control(res: Resolved, index: pd.Series, as_of: dt.date) -> sp.csr_matrix:
    """``D[x, y]`` True when a source declares that x consolidates y (CONTROL_BASES), valid at
    ``as_of`` and not INACTIVE.

    >>> from kg.resolve import Resolved
    >>> dc = pd.DataFrame({"from_iri": ["p", "p"], "to_iri": ["c", "d"], "basis": ["direct_consolidation", "voting_rights"],
    ...                    "status": ["ACTIVE", None], "start": [None, None], "end": [None, None]})
    >>> res = Resolved(entities=pd.DataFrame(), entity_rows=pd.DataFrame(), links={"DECLARED_CONTROL": dc})
    >>> declared_control(res, pd.Series([0, 1, 2], index=["p", "c", "d"]), dt.date(2024, 1, 1)).toarray().astype(int).tolist()
    [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    n = len(index)
    dc = res.links.get("DECLARED_CONTROL")
    if dc is None or not len(dc) or "basis" not in dc:
        return sp.csr_matrix((n, n), dtype=bool)
    dc = dc[valid_on(dc, as_of) & dc["basis"].isin(CONTROL_BASES).to_numpy(dtype=bool)]
    if "status" in dc:
        dc = dc[dc["status"].astype(object).map(lambda v: str(v).upper() != "INACTIVE" if v is not None else True)
                .to_numpy(dtype=bool)]
    i, j = dc["from_iri"].map(index), dc["to_iri"].map(index)
    ok = (i.notna() & j.notna() & (i != j)).to_numpy(dtype=bool)
    i, j = i[ok].astype(np.int64).to_numpy(), j[ok].astype(np.int64).to_numpy()
    return sp.csr_matrix((np.ones(i.size, dtype=bool), (i, j)), shape=(n, n))


def ownership_facts(pairs: pd.DataFrame, declared: sp.csr_matrix, state: np.ndarray, iri: np.ndarray, names: np.ndarray,
                    *, floor: float = DEFAULT_FLOOR) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Integrated ownership, control and the entity facts (ultimate controller, state share,
    controlled, influence, path) of one ownership graph: ``pairs`` (i, j, share; from
    :func:`ownership_pairs`), ``declared`` control, the ``state`` mask, and per node its ``iri``
    and ``names``. kg.derive.timeline runs it on a graph whose nodes are entity versions.

    >>> pairs = pd.DataFrame({"i": [0, 1], "j": [1, 2], "share": [1.0, 0.6]})
    >>> _, ctl, ent = ownership_facts(pairs, sp.csr_matrix((3, 3), dtype=bool), np.array([True, False, False]),
    ...                               np.array(["g", "h", "f"], dtype=object), np.array(["G", "H", "F"], dtype=object))
    >>> ctl[["controller", "controlled"]].values.tolist(), ent["path"].tolist()[1:]
    ([['g', 'h'], ['g', 'f'], ['h', 'f']], ['G -> 100% H', 'G -> 100% H -> 60% F'])
    """
    ints, ctl, ent = ownership_arrays(pairs, declared, state, names, floor=floor)
    integrated = pd.DataFrame({
        "owner": iri[ints["owner"]], "owned": iri[ints["owned"]], "share": ints["share"], "hops": ints["hops"],
    })
    control = pd.DataFrame({"controller": iri[ctl["controller"]], "controlled": iri[ctl["controlled"]],
                            "share": ctl["share"], "hops": ctl["hops"]})
    entity = pd.DataFrame({"iri": iri})
    entity["ultimate_controller"] = [iri[k] if k >= 0 else None for k in ent["ultimate_controller"]]
    for col in ("state_share", "state_controlled", "state_influence", "path"):
        entity[col] = ent[col]
    return integrated, control, entity


def ownership_arrays(pairs: pd.DataFrame, declared: sp.csr_matrix, state: np.ndarray, names: np.ndarray,
                     *, floor: float = DEFAULT_FLOOR) -> tuple[dict, dict, dict]:
    """:func:`ownership_facts` as columns of arrays with the nodes as positions (the ultimate
    controller -1 where there is none), for a caller that turns them into IRIs later.

    >>> pairs = pd.DataFrame({"i": [0, 1], "j": [1, 2], "share": [1.0, 0.6]})
    >>> _, ctl, ent = ownership_arrays(pairs, sp.csr_matrix((3, 3), dtype=bool), np.array([True, False, False]),
    ...                                np.array(["G", "H", "F"], dtype=object))
    >>> ctl["controller"].tolist(), ent["ultimate_controller"].tolist()
    ([0, 0, 1], [-1, 0, 0])
    """
    n = len(names)
    W = own.ownership_matrix(pairs["i"].astype(np.int64).to_numpy(), pairs["j"].astype(np.int64).to_numpy(),
                             pairs["share"].astype(float).to_numpy(), n)
    X, H = own.integrated_ownership_with_hops(W, floor=floor)
    Xc, Hc = X.tocoo(), H.tocoo()
    integrated = {"owner": Xc.row, "owned": Xc.col, "share": _fraction(Xc.data), "hops": Hc.data.astype(int)}
    del Xc, Hc

    controls = own.control(W, CONTROL_THRESHOLD, declared=declared)
    C = controls.tocoo()
    xs = np.asarray(X[C.row, C.col]).ravel() if C.nnz else np.array([])
    hs = np.asarray(H[C.row, C.col]).ravel() if C.nnz else np.array([])
    control = {"controller": C.row, "controlled": C.col, "share": _fraction(xs), "hops": hs.astype(int)}
    del X, H

    uc = np.asarray(own.ultimate_controller(W, CONTROL_THRESHOLD, controls=controls), dtype=np.int64)
    st = state_mod.state_shares(W, state, threshold=CONTROL_THRESHOLD, declared=declared)
    targets = np.flatnonzero((st.path_share > 0) & ~st.root)
    texts = np.full(n, None, dtype=object)
    if targets.size:
        texts[targets] = _path_texts(st.paths(targets), pairs, names)
    entity = {"ultimate_controller": uc, "state_share": _fraction(st.share), "state_controlled": st.controlled,
              "state_influence": st.level, "path": texts}
    return integrated, control, entity


def reported_years(fin: pd.DataFrame) -> pd.DataFrame:
    """One row per firm and reported year (``from_iri``, ``year`` as int, ``employees``,
    ``revenue``): where several financial-year rows give the same year, the last one loaded.

    >>> fin = pd.DataFrame({"from_iri": ["f", "f", "f"], "year": [2021, 2020, 2021], "employees": [1, 2, 3],
    ...                     "revenue": [1.0, 2.0, 3.0]})
    >>> reported_years(fin).values.tolist()
    [['f', 2020, 2, 2.0], ['f', 2021, 3, 3.0]]
    """
    year = pd.to_numeric(fin["year"], errors="coerce")
    f = pd.DataFrame({"from_iri": fin["from_iri"].to_numpy(dtype=object), "year": year.to_numpy(),
                      "employees": fin["employees"].to_numpy() if "employees" in fin else None,
                      "revenue": fin["revenue"].to_numpy() if "revenue" in fin else None})
    f = f[f["year"].notna() & f["from_iri"].notna()].astype({"year": np.int64})
    f = f.sort_values(["from_iri", "year"], kind="stable")
    return f.drop_duplicates(["from_iri", "year"], keep="last").reset_index(drop=True)


def size_facts(fin: pd.DataFrame, ents: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """``size_class`` and ``size_year`` (indexed by firm IRI) from the latest year a firm has
    reported by ``as_of``: a year counts once its financial year has ended (FY 2023 from
    2024-01-01 on).

    >>> fin = pd.DataFrame({"from_iri": ["f", "f"], "year": [2022, 2023], "employees": [900, 1500], "revenue": [3e8, 9e8]})
    >>> ents = pd.DataFrame({"iri": ["f"], "sector": [None]})
    >>> size_facts(fin, ents, dt.date(2023, 12, 31)).values.tolist(), size_facts(fin, ents, dt.date(2024, 1, 1)).values.tolist()
    ([['medium', 2022]], [['large', 2023]])
    """
    cols = {"size_class": pd.Series(dtype=object), "size_year": pd.Series(dtype=object)}
    if not len(fin):
        return pd.DataFrame(cols)
    years = reported_years(fin)
    latest = years[years["year"] < as_of.year].groupby("from_iri").tail(1).set_index("from_iri")
    if not len(latest):
        return pd.DataFrame(cols)
    sector = ents.set_index("iri")["sector"]
    sc = size_mod.size_class(latest["employees"], latest["revenue"], sector.reindex(latest.index))
    return pd.DataFrame({"size_class": list(sc), "size_year": latest["year"].to_numpy()}, index=latest.index)


def derive(res: Resolved, *, as_of: dt.date | None = None, floor: float = DEFAULT_FLOOR) -> Derived:
    """Compute the derived facts of a resolved build.

    >>> import datetime as dt
    >>> from kg.loaders.sources import load_sources
    >>> from kg.resolve import resolve
    >>> from kg.resources import resource_path
    >>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
    >>> d = derive(res, as_of=dt.date(2024, 1, 1))
    >>> sasac = "https://w3id.org/accelerator-kg/id/entity/sasac"
    >>> sub = d.integrated[(d.integrated.owner == sasac) & (d.integrated.owned.str.endswith("MA0DRY033M"))]
    >>> round(float(sub.share.iloc[0]), 4), int(sub.hops.iloc[0])
    (0.357, 3)
    """
    as_of = as_of or dt.date.today()
    ents = res.entities.reset_index(drop=True)
    n = len(ents)
    index = pd.Series(np.arange(n), index=ents["iri"])
    names = ents["name"].fillna(ents["iri"]).to_numpy(dtype=object)

    owns = res.links.get("OWNS", pd.DataFrame(columns=["from_iri", "to_iri", "share", "start", "end"]))
    pairs = ownership_pairs(owns, index, as_of)
    declared = declared_control(res, index, as_of)
    iri = ents["iri"].to_numpy(dtype=object)
    integrated, control, entity = ownership_facts(pairs, declared, _state_mask(ents), iri, names, floor=floor)
    fin = res.financials
    if len(fin):
        entity = entity.merge(size_facts(fin, ents, as_of), left_on="iri", right_index=True, how="left")
        entity["size_year"] = [None if y != y else int(y) for y in entity["size_year"]]
    else:
        entity["size_class"] = None
        entity["size_year"] = None

    params = {"as_of": as_of.isoformat(), "floor": floor, "control_threshold": CONTROL_THRESHOLD}
    flows = flows_mod.derive_flows(res, entity, as_of)
    if len(fin):  # the figures of the size class's year (kg.derive.performance)
        large = entity[entity["size_class"] == "large"]
        figs = perf_mod.size_figures(fin, large.set_index("iri")["size_year"])
        entity = entity.merge(figs, left_on="iri", right_index=True, how="left")
    performance = perf_mod.performance_facts(res)
    ref = pd.DataFrame(reference_names(), columns=["iri", "name"])
    display = lookups.display_names(pd.concat([res.entity_rows[["iri", "name"]], ref], ignore_index=True))
    certs = res.links.get("CERTIFIED_AS", pd.DataFrame(columns=["iri", "from_iri", "to_iri", "year", "valid_from",
                                                                 "valid_to", "batch"]))
    return Derived(as_of=as_of, floor=floor, integrated=integrated, control=control, entity=entity, params=params,
                   flows=flows, performance=performance, display_names=display,
                   cert_years=lookups.certification_years(certs), superseded=lookups.superseded_from(certs))
