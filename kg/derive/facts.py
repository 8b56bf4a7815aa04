"""Derived facts of a build, as tables: integrated ownership, control, ultimate controllers,
state share and influence, size classes. The RDF layer writes them into the derived graph.

Ownership counts when it is valid on the build date (``as_of``): started on or before it and
not ended before it. Where sources give different shares for the same owner and firm, the
largest is used (sources stand side by side in the store; the algebra needs one number).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kg.derive import flows as flows_mod
from kg.derive import lookups
from kg.derive import ownership as own
from kg.derive import performance as perf_mod
from kg.derive import size as size_mod
from kg.derive import state as state_mod
from kg.derive.periods import valid_on
from kg.reference import names as reference_names
from kg.resolve import Resolved

__all__ = ["Derived", "derive", "DEFAULT_FLOOR", "CONTROL_THRESHOLD"]

DEFAULT_FLOOR = 0.01
CONTROL_THRESHOLD = 0.5
STATE_TYPES = ("GovernmentBody", "GuidanceFund")


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
    typ = ents["labels"].map(lambda ls: any(t in STATE_TYPES for t in ls))
    flagged = ents["state_owned"].map(lambda v: v is True)
    return (typ | flagged).to_numpy(dtype=bool)


def _path_text(path: list[int], names: np.ndarray, shares: dict) -> str:
    """'Owner -> 60% Holding -> 70% Firm' for a path of entity indices."""
    parts = [str(names[path[0]])]
    for a, b in zip(path, path[1:], strict=False):
        parts.append(f"{shares[(a, b)]:.4g} {names[b]}" if shares[(a, b)] < 0.01 else f"{shares[(a, b)]:.0%} {names[b]}")
    return " -> ".join(parts)


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
    owns = owns[valid_on(owns, as_of)] if len(owns) else owns
    # shares as floats before grouping: on an object column pandas takes each group's max in Python;
    # a holding without an exact share (a BODS range, an undisclosed share) adds nothing here
    pairs = (owns.assign(i=owns["from_iri"].map(index), j=owns["to_iri"].map(index), share=owns["share"].astype(float))
             .dropna(subset=["i", "j", "share"]).groupby(["i", "j"], as_index=False)["share"].max()) if len(owns) else \
        pd.DataFrame({"i": [], "j": [], "share": []})
    W = own.ownership_matrix(pairs["i"].astype(np.int64).to_numpy(), pairs["j"].astype(np.int64).to_numpy(),
                             pairs["share"].astype(float).to_numpy(), n)

    X, H = own.integrated_ownership_with_hops(W, floor=floor)
    Xc, Hc = X.tocoo(), H.tocoo()
    iri = ents["iri"].to_numpy(dtype=object)
    integrated = pd.DataFrame({
        "owner": iri[Xc.row], "owned": iri[Xc.col], "share": np.round(Xc.data.astype(float), 10), "hops": Hc.data.astype(int),
    })

    C = own.control(W, CONTROL_THRESHOLD).tocoo()
    xs = np.asarray(X[C.row, C.col]).ravel() if C.nnz else np.array([])
    hs = np.asarray(H[C.row, C.col]).ravel() if C.nnz else np.array([])
    control = pd.DataFrame({"controller": iri[C.row], "controlled": iri[C.col], "share": np.round(xs.astype(float), 10),
                            "hops": hs.astype(int)})

    uc = own.ultimate_controller(W, CONTROL_THRESHOLD)
    entity = pd.DataFrame({"iri": iri})
    entity["ultimate_controller"] = [iri[k] if k >= 0 else None for k in uc]

    st = state_mod.state_shares(W, _state_mask(ents), threshold=CONTROL_THRESHOLD)
    entity["state_share"] = np.round(st.share, 10)
    entity["state_controlled"] = st.controlled
    entity["state_influence"] = st.level
    targets = np.flatnonzero((st.path_share > 0) & ~st.root)
    texts = np.full(n, None, dtype=object)
    if targets.size:
        shares = dict(zip(zip(pairs["i"].astype(int), pairs["j"].astype(int), strict=True), pairs["share"].astype(float), strict=True))
        for t, row in zip(targets, st.paths(targets), strict=True):
            texts[t] = _path_text([int(k) for k in row if k >= 0], names, shares)
    entity["path"] = texts

    fin = res.financials
    if len(fin):
        latest = fin.sort_values(["from_iri", "year"]).groupby("from_iri").tail(1).set_index("from_iri")
        sector = ents.set_index("iri")["sector"]
        sc = size_mod.size_class(latest["employees"], latest["revenue"], sector.reindex(latest.index))
        sizes = pd.DataFrame({"size_class": list(sc), "size_year": latest["year"].to_numpy()}, index=latest.index)
        entity = entity.merge(sizes, left_on="iri", right_index=True, how="left")
    else:
        entity["size_class"] = None
        entity["size_year"] = None

    params = {"as_of": as_of.isoformat(), "floor": floor, "control_threshold": CONTROL_THRESHOLD}
    flows = flows_mod.derive_flows(res, entity, as_of)
    if len(fin) and "size_year" in entity:  # the figures of the size class's year (kg.derive.performance)
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
