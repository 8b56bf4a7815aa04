"""Look-through flows of state capital: who, through which chain of funds, finances a firm.

Computed for one date here (kg.derive.timeline gives them for every period: what the build
stores) for the canned query ``state-capital-flows``, which reads them instead of walking fund
chains on every run. The rules are the query's own
(queries/state-capital-flows.rq, docs/queries.md):

- **Sources**: entities with the derived ``state_controlled`` (government bodies, guidance
  funds, entities marked state-owned and what the state controls).
- **Step weight** of ``x -> fund`` (``fund`` typed Fund): x's LP commitments to the fund over all
  LP commitments to it (commitments with an amount, dated on or before as_of or undated) when
  that total is > 0; else, when the fund has no such commitment with a positive amount, x's
  direct ownership share of it (the largest share valid at as_of; a declared indirect holding
  does not count, a share range counts with its lower bound). Steps with weight <= 0 drop.
- **Chains**: ``source -> fund_1 -> ... -> fund_k`` with distinct entities and k <= 3 (``hops`` =
  k + 1 <= 4); ``share`` = the product of the step weights; ``via`` = the funds' names (the
  smallest where sources disagree, else the IRI) joined by ``" > "``.
- **Flows**: every FUNDED link (not ``lp_commitment``, with an instrument) from the source
  itself (hops 1, share 1, via "") or from the chain's last fund to a Firm other than the
  source, dated on or before as_of or undated. The query filters the dates again against its
  own as_of, so an earlier as_of is exact for the fundings; the weights and the state sources
  stay those of the build date. kg.derive.timeline gives the flows with their periods, exact
  at every date.

One row per (source, chain, funding); a chain whose via text, hops and share repeat another's
for the same funding is the same row (as the query's grouping makes it).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kg.conflicts import algebra_shares
from kg.derive.periods import valid_on

__all__ = ["look_through_flows", "step_weights", "weights_named", "chains", "fund_names", "MAX_HOPS", "FLOW_COLUMNS"]

#: Longest chain stored: the source, up to three funds, the firm.
MAX_HOPS = 4

#: ``chain``: the funds' IRIs, space-separated ("" for a direct flow); it keys the flow's IRI.
FLOW_COLUMNS = ["source", "recipient", "funding", "instrument", "amount", "date", "hops", "share", "via", "chain"]

LP = "lp_commitment"


def step_weights(owns: pd.DataFrame, funded: pd.DataFrame, is_fund: pd.Series, as_of: dt.date) -> pd.DataFrame:
    """``x -> fund`` weights (columns ``x``, ``fund``, ``w`` > 0): LP commitments, else ownership.

    ``is_fund``: entity IRI -> whether it is typed Fund.

    >>> funded = pd.DataFrame({"from_iri": ["a", "b", "a"], "to_iri": ["f", "f", "g"], "instrument": [LP, LP, "equity"],
    ...                        "amount": [300.0, 100.0, 5.0], "date": [None, None, None]})
    >>> owns = pd.DataFrame({"from_iri": ["a", "c"], "to_iri": ["f", "g"], "share": [0.9, 0.3], "start": [None, None],
    ...                      "end": [None, None]})
    >>> step_weights(owns, funded, pd.Series({"f": True, "g": True}), dt.date(2024, 1, 1)).values.tolist()
    [['a', 'f', 0.75], ['b', 'f', 0.25], ['c', 'g', 0.3]]
    """
    cols = ["x", "fund", "w"]
    lp = funded[(funded["instrument"] == LP) & funded["amount"].notna()] if len(funded) else funded
    if len(lp):
        lp = lp[valid_on(lp, as_of, start="date", end=None)]
    parts = []
    lp_funds: set = set()
    if len(lp):
        amt = lp["amount"].astype(float)
        total = amt.groupby(lp["to_iri"]).sum()
        lp_funds = set(lp.loc[amt.to_numpy() > 0, "to_iri"])
        mine = amt.groupby([lp["from_iri"], lp["to_iri"]]).sum().reset_index()
        mine.columns = ["x", "fund", "mine"]
        mine["total"] = mine["fund"].map(total).to_numpy()
        mine = mine[mine["total"] > 0]
        parts.append(pd.DataFrame({"x": mine["x"], "fund": mine["fund"], "w": mine["mine"] / mine["total"]}))
    if len(owns):
        o = owns[owns["to_iri"].map(is_fund).fillna(False).astype(bool).to_numpy()]
        o = o[valid_on(o, as_of)] if len(o) else o
        o = o[~o["to_iri"].isin(lp_funds)]
        o = o.assign(share=algebra_shares(o)).dropna(subset=["share"]) if len(o) else o  # direct; a range's lower bound
        if len(o):
            g = o.groupby(["from_iri", "to_iri"], as_index=False)["share"].max()
            parts.append(pd.DataFrame({"x": g["from_iri"], "fund": g["to_iri"], "w": g["share"]}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object if c != "w" else float) for c in cols})
    w = pd.concat(parts, ignore_index=True)
    w = w[w["fund"].map(is_fund).fillna(False).astype(bool).to_numpy() & (w["w"] > 0)]
    return w.sort_values(["x", "fund"]).reset_index(drop=True)


def look_through_flows(entities: pd.DataFrame, owns: pd.DataFrame, funded: pd.DataFrame, is_source: np.ndarray,
                       as_of: dt.date, *, names: pd.Series | None = None, max_hops: int = MAX_HOPS) -> pd.DataFrame:
    """The flows table (:data:`FLOW_COLUMNS`), one row per (source, chain, funding).

    ``entities``: ``iri``, ``labels`` (and ``name``); ``is_source``: a mask over its rows (the
    derived state_controlled). ``owns`` / ``funded``: the resolved OWNS / FUNDED link tables.
    ``names``: IRI -> display name (default the entities' ``name``).

    >>> import datetime as dt
    >>> ents = pd.DataFrame({"iri": ["g", "f", "x"], "labels": [("GovernmentBody",), ("Fund",), ("Firm",)],
    ...                      "name": ["Gov", "Fund", "X"]})
    >>> owns = pd.DataFrame({"from_iri": ["g"], "to_iri": ["f"], "share": [0.4], "start": [None], "end": [None]})
    >>> funded = pd.DataFrame({"from_iri": ["f"], "to_iri": ["x"], "instrument": ["equity"], "amount": [10.0],
    ...                        "date": [None], "iri": ["l1"]})
    >>> fl = look_through_flows(ents, owns, funded, np.array([True, False, False]), dt.date(2024, 1, 1))
    >>> fl[["source", "recipient", "hops", "share", "via"]].values.tolist()
    [['g', 'x', 2, 0.4, 'Fund']]
    """
    iri = entities["iri"]
    labels = entities["labels"]
    is_fund = pd.Series(labels.map(lambda ls: "Fund" in ls).to_numpy(dtype=bool), index=iri.to_numpy())
    is_firm = pd.Series(labels.map(lambda ls: "Firm" in ls).to_numpy(dtype=bool), index=iri.to_numpy())
    if names is None:
        names = pd.Series(entities["name"].to_numpy(), index=iri.to_numpy())
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FLOW_COLUMNS})
    if not len(funded):
        return empty
    sources = pd.Index(iri[np.asarray(is_source, dtype=bool)].to_numpy())

    # fundings that count as flows: anything but an LP commitment, to a Firm
    fl = funded[funded["instrument"].notna() & (funded["instrument"] != LP)]
    fl = fl[fl["to_iri"].map(is_firm).fillna(False).astype(bool).to_numpy()]
    fl = fl[valid_on(fl, as_of, start="date", end=None)]
    fl = pd.DataFrame({"funder": fl["from_iri"].to_numpy(), "recipient": fl["to_iri"].to_numpy(),
                       "funding": fl["iri"].to_numpy(), "instrument": fl["instrument"].to_numpy(),
                       "amount": fl["amount"].to_numpy(), "date": fl["date"].to_numpy()})

    ch = chains(sources, weights_named(step_weights(owns, funded, is_fund, as_of), names), max_hops)
    # only chains ending at a Fund lead further (the source itself funds in hops 1)
    out = ch.merge(fl, left_on="last", right_on="funder")
    out = out[out["recipient"] != out["source"]]
    if not len(out):
        return empty
    out = out.drop_duplicates(["source", "funding", "hops", "share", "via"])
    chain = out["m1"].fillna("").astype(str)
    for m in [f"m{k}" for k in range(2, max_hops)]:
        chain = chain + " " + out[m].fillna("").astype(str)
    out["chain"] = chain.str.strip().to_numpy()
    out = out[FLOW_COLUMNS].sort_values(["source", "recipient", "funding", "hops", "via"]).reset_index(drop=True)
    out["hops"] = out["hops"].astype(np.int64)
    out["share"] = out["share"].astype(float)
    return out


def weights_named(w: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """:func:`step_weights` with each fund's display ``name`` (its IRI when it has none).

    >>> w = pd.DataFrame({"x": ["g", "g"], "fund": ["f", "h"], "w": [0.4, 0.5]})
    >>> weights_named(w, pd.Series({"f": "Fund F"}))["name"].tolist()
    ['Fund F', 'h']
    """
    label = names.reindex(w["fund"]).to_numpy(dtype=object)
    return w.assign(name=np.where(pd.isna(label), w["fund"].to_numpy(dtype=object), label))


def chains(sources, w: pd.DataFrame, max_hops: int = MAX_HOPS) -> pd.DataFrame:
    """Chains ``source -> fund_1 -> ... -> fund_k`` (k < ``max_hops``, distinct members): columns
    ``source, last, hops, share, via, m0 .. m{max_hops-1}`` (the members, ``m0`` the source),
    level by level (k = 0 first: the sources themselves). ``w``: :func:`weights_named`.

    >>> w = pd.DataFrame({"x": ["g"], "fund": ["f"], "w": [0.4], "name": ["Fund"]})
    >>> chains(pd.Index(["g"]), w)[["source", "last", "hops", "share", "via"]].values.tolist()
    [['g', 'g', 1, 1.0, ''], ['g', 'f', 2, 0.4, 'Fund']]
    """
    members = [f"m{k}" for k in range(max_hops)]
    start = pd.DataFrame({"source": sources, "last": sources, "hops": 1, "share": 1.0, "via": ""})
    for k, m in enumerate(members):
        start[m] = sources if k == 0 else None
    out, level = [start], start
    for k in range(1, max_hops):
        if not len(level) or not len(w):
            break
        level = next_level(level, w, members, k)
        if not len(level):
            break
        out.append(level)
    return pd.concat(out, ignore_index=True)


def next_level(level: pd.DataFrame, w: pd.DataFrame, members: list[str], k: int) -> pd.DataFrame:
    """The chains of ``level`` one fund longer (``members[k]`` the fund added; a chain never
    passes a fund twice). When both carry periods (``_from``/``_to``, day numbers) a longer
    chain holds where they overlap (kg.derive.timeline)."""
    nxt = level.merge(w, left_on="last", right_on="x", suffixes=("", "_w"))
    fund = nxt["fund"].to_numpy(dtype=object)
    timed = "_from" in level.columns
    if timed:
        lo = np.maximum(nxt["_from"].to_numpy(), nxt["_from_w"].to_numpy())
        hi = np.minimum(nxt["_to"].to_numpy(), nxt["_to_w"].to_numpy())
        fresh = lo <= hi
    else:
        fresh = np.ones(len(nxt), dtype=bool)
    for m in members[:k]:
        fresh &= nxt[m].to_numpy(dtype=object) != fund
    nxt = nxt[fresh]
    longer = pd.DataFrame({
        "source": nxt["source"].to_numpy(), "last": nxt["fund"].to_numpy(), "hops": nxt["hops"].to_numpy() + 1,
        "share": nxt["share"].to_numpy() * nxt["w"].to_numpy(),
        "via": (nxt["name"] if k == 1 else nxt["via"] + " > " + nxt["name"]).to_numpy(dtype=object),
        **({"_from": lo[fresh], "_to": hi[fresh]} if timed else {}),
    })
    for j, m in enumerate(members):
        longer[m] = nxt["fund"].to_numpy() if j == k else nxt[m].to_numpy()
    return longer


def fund_names(res) -> pd.Series | None:
    """The smallest name of each fund (as the queries' MIN(name)), indexed by IRI; only funds
    appear in ``via``.

    >>> from types import SimpleNamespace
    >>> ents = pd.DataFrame({"iri": ["f", "x"], "labels": [("Fund",), ("Firm",)]})
    >>> rows = pd.DataFrame({"iri": ["f", "f", "x"], "name": ["Zeta Fund", "Alpha Fund", "X"]})
    >>> fund_names(SimpleNamespace(entities=ents, entity_rows=rows)).to_dict()
    {'f': 'Alpha Fund'}
    """
    ents = res.entities
    funds = ents.loc[ents["labels"].map(lambda ls: "Fund" in ls).to_numpy(dtype=bool), "iri"]
    rows = res.entity_rows
    if not len(rows):
        return None
    named = rows.loc[rows["name"].notna() & rows["iri"].isin(funds), ["iri", "name"]]
    return named.sort_values(["iri", "name"]).drop_duplicates("iri").set_index("iri")["name"]


def derive_flows(res, entity: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """:func:`look_through_flows` of a resolved build (kg.resolve.Resolved), the state sources
    being the derived ``state_controlled`` of ``entity`` (kg.derive.facts' entity table)."""
    funded = res.links.get("FUNDED")
    if funded is None or not len(funded):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in FLOW_COLUMNS})
    owns = res.links.get("OWNS", pd.DataFrame(columns=["from_iri", "to_iri", "share", "start", "end"]))
    ents = res.entities.reset_index(drop=True)
    controlled = entity.set_index("iri")["state_controlled"]
    mask = ents["iri"].map(controlled).fillna(False).to_numpy(dtype=bool)
    return look_through_flows(ents, owns, funded, mask, as_of, names=fund_names(res))
