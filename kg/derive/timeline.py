"""Derived facts with the period each holds for: exact at any date, computed once.

:func:`derive_periods` gives the tables of kg.derive.facts.Derived with two more columns,
``valid_from`` and ``valid_to`` (``datetime.date``; ``None`` = open). They follow the
ontology's date conventions (``kg:datePosition``): ``valid_from`` is the first day a row
holds, ``valid_to`` the last (inclusive, like a certification's ``valid_to``), so a row holds
at D exactly when ``(valid_from is None or valid_from <= D) and (valid_to is None or D <=
valid_to)``. Consecutive periods with equal values are merged. :func:`at` slices them at a day
and gives what ``derive(res, as_of=day)`` gives.

How (the time-expanded graph): the ownership facts of an entity (integrated ownership it is
owned with, who controls it, its ultimate controller, state share, influence and path) depend
only on the holdings and declared control *into* it and into its ancestors. So its facts can
change only at the dates ``C(j)`` = the change dates of its own incoming links (a start, or the
day after an end) and those of its owners, ``C(i)`` for every owner ``i`` (propagated down the
graph to a fixed point; cross-holdings share one set). Each entity gets one *version* per date
of ``C(j)`` (plus one from the beginning of time), and the version of ``j`` from day ``f`` is
owned by the version of each owner current at ``f``, with the links valid at ``f``. Because
``C(i) <= C(j)`` for every owner, that graph holds, for every version, exactly the ancestors
of ``j`` at that date: one run of the single-date algebra (:func:`kg.derive.facts
.ownership_facts`) on it gives the facts of every version at once, vectorised. The entity
order is kept (versions sorted by entity, then date), so index-based tie-breaks (the lowest
ultimate controller of a control cycle) agree with the single-date run.

Size classes come from the financial years (a year counts once it has ended: FY ``y`` holds
from ``y+1-01-01`` until the day the firm's next reported year counts). Look-through flows
(kg.derive.flows) change when a state source's state control changes, when the weights into a
fund change (LP commitments, holdings of funds) and when a funding is made; chains through
funds are computed at each of those dates, direct flows follow their source's periods of state
control, and a flow starts no earlier than its funding's date.

>>> import datetime as dt
>>> from kg.loaders.sources import load_sources
>>> from kg.resolve import resolve
>>> from kg.resources import resource_path
>>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
>>> p = derive_periods(res)
>>> sorted(p.entity.columns)[:4], len(at(p, dt.date(2024, 1, 1)).entity) == len(res.entities)
(['iri', 'path', 'state_controlled', 'state_influence'], True)
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from kg.conflicts import algebra_shares
from kg.derive import facts as facts_mod
from kg.derive import flows as flows_mod
from kg.derive import lookups
from kg.derive import performance as perf_mod
from kg.derive import size as size_mod
from kg.derive.periods import distinct_objects
from kg.derive.text import arrow_text, text_column
from kg.memory import give_back
from kg.reference import names as reference_names
from kg.resolve import Resolved

__all__ = ["DerivedPeriods", "derive_periods", "at", "holds_at", "merge_periods", "PERIOD_COLUMNS"]

#: The validity columns every period table ends with.
PERIOD_COLUMNS = ["valid_from", "valid_to"]

# Days are ordinals; versions are keyed entity * _K + day. OPEN_FROM / OPEN_TO stand for no limit.
_K = 1 << 22  # > date.max.toordinal() + 1
OPEN_FROM = 0
OPEN_TO = _K - 1


@dataclass
class DerivedPeriods:
    """The derived tables with ``valid_from`` / ``valid_to`` (see the module docstring).

    ``entities``: the entity IRIs in build order (the single-date tables' row order);
    ``size``: ``iri, size_class, size_year, size_employees, size_revenue``: a large class once
    per reported year (with the year and its figures), other classes merged across years
    (``size_year`` empty); ``reported``: ``iri, year`` of every reported year (input facts: the
    financial years), which give the size year of the other classes at a date;
    ``has_financials``: whether the build has any financial year (the single-date entity table
    then carries the size figures' columns). ``performance`` and the lookups hold for
    every date and are as in Derived.
    """

    floor: float
    entities: np.ndarray
    integrated: pd.DataFrame
    control: pd.DataFrame
    entity: pd.DataFrame
    size: pd.DataFrame
    flows: pd.DataFrame
    has_financials: bool = False
    reported: pd.DataFrame = field(default_factory=pd.DataFrame)
    params: dict = field(default_factory=dict)
    performance: pd.DataFrame = field(default_factory=pd.DataFrame)
    display_names: pd.DataFrame = field(default_factory=pd.DataFrame)
    cert_years: pd.DataFrame = field(default_factory=pd.DataFrame)
    superseded: pd.DataFrame = field(default_factory=pd.DataFrame)


# ---------------------------------------------------------------------------------------------
# days and periods


def _days(col, n: int, end: bool) -> np.ndarray:
    """First day (start) or last day (end) of each partial date as an ordinal; open when missing."""
    if col is None:
        return np.full(n, OPEN_TO if end else OPEN_FROM, dtype=np.int64)
    values = np.asarray(col, dtype=object)
    codes, uniq = distinct_objects(np.where(pd.isna(values), None, values))  # each date object once
    days = np.array([(d.last_day() if end else d.first_day()).toordinal() for d in uniq] + [0], dtype=np.int64)
    return np.where(codes >= 0, days[codes], OPEN_TO if end else OPEN_FROM)


def _dates(days: np.ndarray, open_value: int) -> np.ndarray:
    """Ordinals back to ``datetime.date`` (``None`` where open), each distinct day once."""
    inv, uniq = pd.factorize(np.asarray(days, dtype=np.int64))  # hashed, not sorted
    dates = np.array([None if d == open_value else dt.date.fromordinal(d) for d in uniq.tolist()] + [None], dtype=object)
    return dates[:-1][inv] if len(days) else np.array([], dtype=object)


def _ordinals_of(dates: pd.Series, open_value: int) -> np.ndarray:
    values = pd.Series(dates, dtype=object)
    uniq = {d: d.toordinal() for d in values.dropna().unique()}
    return values.map(uniq).fillna(open_value).to_numpy(dtype=np.int64)


def holds_at(table: pd.DataFrame, day: dt.date) -> np.ndarray:
    """Mask of the rows of a period table that hold on ``day``.

    >>> t = pd.DataFrame({"valid_from": [None, dt.date(2020, 1, 1)], "valid_to": [dt.date(2019, 12, 31), None]})
    >>> holds_at(t, dt.date(2019, 12, 31)).tolist(), holds_at(t, dt.date(2020, 1, 1)).tolist()
    ([True, False], [False, True])
    """
    d = day.toordinal()
    return (_ordinals_of(table["valid_from"], OPEN_FROM) <= d) & (d <= _ordinals_of(table["valid_to"], OPEN_TO))


def _codes(col: pd.Series) -> np.ndarray:
    """Equal values get equal codes (None and NaN included); floats compared exactly."""
    # the values themselves: a Series made of an object array would first be converted to Arrow text
    return pd.factorize(col.to_numpy(dtype=object) if col.dtype == object else col.array, use_na_sentinel=True)[0]


def merge_periods(df: pd.DataFrame, keys: list[str], lo: str = "_from", hi: str = "_to") -> pd.DataFrame:
    """Merge rows that continue each other (same ``keys``, same other values, the next starting
    the day after the previous ends) into one row; ``lo`` / ``hi`` are day ordinals.

    >>> df = pd.DataFrame({"k": ["a", "a", "a", "b"], "v": [1, 1, 2, 1], "_from": [0, 10, 20, 0], "_to": [9, 19, 29, 5]})
    >>> merge_periods(df, ["k"]).values.tolist()
    [['a', 1, 0, 19], ['a', 2, 20, 29], ['b', 1, 0, 5]]
    """
    if not len(df):
        return df.reset_index(drop=True)
    if all(_numeric(df[k]) for k in (*keys, lo)):  # integer keys: one lexsort (stable, as sort_values)
        cols = [df[k].to_numpy() for k in (*keys, lo)]
        if not _is_sorted(cols):  # rows already in order stay as they are (no copy)
            df = df.take(np.lexsort(cols[::-1])).reset_index(drop=True)
        else:
            df = df.reset_index(drop=True)
    else:
        df = df.sort_values([*keys, lo], kind="stable").reset_index(drop=True)
    same = np.ones(len(df), dtype=bool)
    same[0] = False
    for c in df.columns:
        if c in (lo, hi):
            continue
        col = df[c]
        if _numeric(col):  # the values themselves (as factorize: NaN equals NaN)
            v = col.to_numpy()
            eq = v[1:] == v[:-1]
            if v.dtype.kind == "f":
                eq |= np.isnan(v[1:]) & np.isnan(v[:-1])
            same[1:] &= eq
        else:
            code = _codes(col)
            same[1:] &= code[1:] == code[:-1]
    start, end = df[lo].to_numpy(), df[hi].to_numpy()
    same[1:] &= start[1:] == end[:-1] + 1
    first = np.flatnonzero(~same)
    out = df.iloc[first].reset_index(drop=True)
    out[hi] = np.maximum.reduceat(end.astype(np.int64), first)
    return out


def _is_sorted(cols: list[np.ndarray]) -> bool:
    """Whether the rows are in ascending order of ``cols`` (the first column first).

    >>> _is_sorted([np.array([0, 0, 1]), np.array([5, 6, 0])]), _is_sorted([np.array([0, 0]), np.array([6, 5])])
    (True, False)
    """
    undecided = np.ones(max(len(cols[0]) - 1, 0), dtype=bool)
    for v in cols:
        if (undecided & (v[:-1] > v[1:])).any():
            return False
        undecided &= v[:-1] == v[1:]
    return True


def _numeric(col: pd.Series) -> bool:
    """A NumPy column of integers, floats or booleans."""
    return isinstance(col.dtype, np.dtype) and col.dtype.kind in "iufb"


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Ordinal periods to the ``valid_from`` / ``valid_to`` columns."""
    out = df.drop(columns=["_from", "_to"])
    out["valid_from"] = pd.Series(_dates(df["_from"].to_numpy(), OPEN_FROM), dtype=object, index=out.index)
    out["valid_to"] = pd.Series(_dates(df["_to"].to_numpy(), OPEN_TO), dtype=object, index=out.index)
    return out


# ---------------------------------------------------------------------------------------------
# ownership: the time-expanded graph


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Each value's position in the entity ``index`` (unique IRIs), NaN where it has none."""
    # the values as an object Index: an object array would first be converted to pandas text
    pos = index.get_indexer(pd.Index(values.to_numpy(dtype=object), dtype=object)).astype(float)
    pos[pos < 0] = np.nan
    return pos


def _links(res: Resolved, index: pd.Index) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The holdings (i, j, share, a, b) and declared control (i, j, a, b) that enter the algebra
    at some date, with their periods as day ordinals (a = first day, b = last day); ``index``:
    the entity IRIs."""
    owns = res.links.get("OWNS", pd.DataFrame(columns=["from_iri", "to_iri", "share", "start", "end"]))
    cols = {"i": np.int64, "j": np.int64, "share": float, "a": np.int64, "b": np.int64}
    h = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    if len(owns):
        n = len(owns)
        h = pd.DataFrame({"i": _positions(index, owns["from_iri"]), "j": _positions(index, owns["to_iri"]),
                          "share": algebra_shares(owns).to_numpy(), "a": _days(owns.get("start"), n, False),
                          "b": _days(owns.get("end"), n, True)}).dropna()
        h = h[(h["share"] > 0) & (h["i"] != h["j"]) & (h["a"] <= h["b"])].astype(cols)
    d = pd.DataFrame({c: pd.Series(dtype=np.int64) for c in ("i", "j", "a", "b")})
    dc = res.links.get("DECLARED_CONTROL")
    if dc is not None and len(dc) and "basis" in dc:
        dc = dc[dc["basis"].isin(facts_mod.CONTROL_BASES).to_numpy(dtype=bool)]
        if "status" in dc:
            dc = dc[dc["status"].astype(object).map(lambda v: str(v).upper() != "INACTIVE" if v is not None else True)
                    .to_numpy(dtype=bool)]
        n = len(dc)
        d = pd.DataFrame({"i": _positions(index, dc["from_iri"]), "j": _positions(index, dc["to_iri"]),
                          "a": _days(dc.get("start"), n, False), "b": _days(dc.get("end"), n, True)}).dropna()
        d = d[(d["i"] != d["j"]) & (d["a"] <= d["b"])].astype(np.int64)
    return h, d


def _change_keys(links: pd.DataFrame) -> np.ndarray:
    """entity * _K + day for every day an entity's incoming links change."""
    j, a, b = links["j"].to_numpy(), links["a"].to_numpy(), links["b"].to_numpy()
    keys = [j[a != OPEN_FROM] * _K + a[a != OPEN_FROM], j[b != OPEN_TO] * _K + b[b != OPEN_TO] + 1]
    return np.unique(np.concatenate(keys))


def _propagate(keys: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Close the (entity, day) keys under ``src -> dst``: an owner's change days are its
    subsidiaries' too (fixed point; one round per layer)."""
    order = np.argsort(src, kind="stable")
    src, dst = src[order], dst[order]
    known = np.unique(keys)
    frontier = known
    while frontier.size:
        ent, day = frontier // _K, frontier % _K
        lo, hi = np.searchsorted(src, ent, "left"), np.searchsorted(src, ent, "right")
        cnt = hi - lo
        if not cnt.any():
            break
        rep = np.repeat(np.arange(frontier.size), cnt)
        pos = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
        new = np.unique(dst[pos] * _K + day[rep])
        # the keys not yet known, by binary search, inserted in place: a set difference and a
        # union sort all the known keys again on every round (one round per layer of owners)
        at = np.searchsorted(known, new)
        fresh = known[np.minimum(at, known.size - 1)] != new
        frontier = new[fresh]
        known = np.insert(known, at[fresh], frontier)
    return known


def _union_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.union1d of two sorted arrays of distinct values, merged rather than sorted again.

    >>> _union_sorted(np.array([0, 4, 8]), np.array([1, 4, 9])).tolist()
    [0, 1, 4, 8, 9]
    """
    pos = np.searchsorted(a, b)
    if len(a) and len(b):
        new = a[np.minimum(pos, len(a) - 1)] != b
        b, pos = b[new], pos[new]
    out = np.empty(len(a) + len(b), dtype=np.result_type(a, b))
    at = pos + np.arange(len(b))  # where each of b lands among a's
    mask = np.zeros(len(out), dtype=bool)
    mask[at] = True
    out[at] = b
    out[~mask] = a
    return out


def _expand(links: pd.DataFrame, vkey: np.ndarray, vfrom: np.ndarray) -> pd.DataFrame:
    """The links between versions: each link into j once for every version of j it is valid
    in, from the owner's version current at that version's first day."""
    j = links["j"].to_numpy()
    lo, hi = np.searchsorted(vkey, j * _K, "left"), np.searchsorted(vkey, (j + 1) * _K, "left")
    cnt = hi - lo
    row = np.repeat(np.arange(len(links)), cnt)
    ver = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
    f = vfrom[ver]
    ok = (links["a"].to_numpy()[row] <= f) & (f <= links["b"].to_numpy()[row])
    row, ver, f = row[ok], ver[ok], f[ok]
    owner = np.searchsorted(vkey, links["i"].to_numpy()[row] * _K + f, "right") - 1
    out = pd.DataFrame({"i": owner, "j": ver})
    if "share" in links:
        out["share"] = links["share"].to_numpy()[row]
    return out


def _ownership_periods(res: Resolved, ents: pd.DataFrame, floor: float, index: pd.Index, ranks: tuple | None = None):
    n = len(ents)
    iri = ents["iri"].to_numpy(dtype=object)
    names = ents["name"].fillna(ents["iri"]).to_numpy(dtype=object)
    holdings, declared = _links(res, index)
    links = pd.concat([holdings[["i", "j", "a", "b"]], declared], ignore_index=True)
    edges = np.unique(links["i"].to_numpy() * _K + links["j"].to_numpy()) if len(links) else np.zeros(0, np.int64)
    keys = _propagate(_change_keys(links), edges // _K, edges % _K) if len(links) else np.zeros(0, np.int64)
    vkey = _union_sorted(np.arange(n, dtype=np.int64) * _K, keys)  # every entity has a version from the start
    vent, vfrom = vkey // _K, vkey % _K
    vto = np.full(vkey.size, OPEN_TO, dtype=np.int64)
    cont = vent[1:] == vent[:-1]
    vto[:-1][cont] = vfrom[1:][cont] - 1

    pairs = _expand(holdings, vkey, vfrom)
    pairs = facts_mod.scaled_pairs(pairs) if len(pairs) else pd.DataFrame(
        {"i": pd.Series(dtype=np.int64), "j": pd.Series(dtype=np.int64), "share": pd.Series(dtype=float)})
    dpairs = _expand(declared, vkey, vfrom)
    V = vkey.size
    D = sp.csr_matrix((np.ones(len(dpairs), dtype=bool), (dpairs["i"].to_numpy(), dpairs["j"].to_numpy())), shape=(V, V))
    state = facts_mod._state_mask(ents)[vent]
    ints, ctl, ent = facts_mod.ownership_arrays(pairs, D, state, names[vent], floor=floor)
    del pairs, dpairs, D, state

    # periods are merged on each entity's rank in IRI order (sorting integers, not text, gives the
    # same order), the IRIs put in after; texts are merged as codes of their distinct values
    rank, by_rank = ranks if ranks is not None else _ranks(iri)

    def link_table(cols, a, b):
        i, j = cols[a], cols[b]
        out = merge_periods(pd.DataFrame({a: rank[vent[i]], b: rank[vent[j]], "share": cols["share"],
                                          "hops": cols["hops"], "_from": vfrom[j], "_to": vto[j]}), [a, b])
        return pd.DataFrame({a: text_column(by_rank, out[a].to_numpy()), b: text_column(by_rank, out[b].to_numpy()),
                             "share": out["share"].to_numpy(), "hops": out["hops"].to_numpy(),
                             "_from": out["_from"].to_numpy(), "_to": out["_to"].to_numpy()})

    integrated = link_table(ints, "owner", "owned")
    del ints
    control = link_table(ctl, "controller", "controlled")
    del ctl
    uc = ent["ultimate_controller"]
    influence, levels = pd.factorize(np.asarray(ent["state_influence"], dtype=object), use_na_sentinel=False)
    path, paths = pd.factorize(np.asarray(ent["path"], dtype=object), use_na_sentinel=False)
    entity = pd.DataFrame({"iri": rank[vent], "ultimate_controller": np.where(uc >= 0, rank[vent[np.maximum(uc, 0)]], -1),
                           "state_share": ent["state_share"], "state_controlled": ent["state_controlled"],
                           "state_influence": influence, "path": path, "_from": vfrom, "_to": vto})
    del ent, uc, influence, path
    entity = merge_periods(entity, ["iri"])
    uc = entity["ultimate_controller"].to_numpy()
    ucn = text_column(by_rank, uc)  # -1: none
    entity = pd.DataFrame({"iri": text_column(by_rank, entity["iri"].to_numpy()), "ultimate_controller": ucn,
                           "state_share": entity["state_share"].to_numpy(),
                           "state_controlled": entity["state_controlled"].to_numpy(),
                           "state_influence": np.asarray(levels, dtype=object)[entity["state_influence"].to_numpy()],
                           "path": np.asarray(paths, dtype=object)[entity["path"].to_numpy()],
                           "_from": entity["_from"].to_numpy(), "_to": entity["_to"].to_numpy()})
    return integrated, control, entity


# ---------------------------------------------------------------------------------------------
# size classes


def _ranks(iri: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each entity's rank in IRI order, and the IRIs in that order (as Arrow text when they are
    all text: several columns are taken from them)."""
    text = arrow_text(iri)
    if isinstance(text, pa.Array) and not text.null_count:
        # the IRIs are distinct (they index the entities): sorted by Arrow, in code point order as
        # Python sorts text, rather than by comparing Python strings
        order = pc.sort_indices(text).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank, text.take(pa.array(order))
    rank, by_rank = pd.factorize(np.asarray(iri, dtype=object), sort=True)
    return rank, arrow_text(by_rank)


def _firm_codes(fin: pd.DataFrame, index: pd.Index | None = None, ranks: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each financial-year row's firm as a code (-1 when missing) in IRI order, and the firms.
    With the entities' ``index`` and ``ranks`` (:func:`_ranks`), a firm's code is its entity's
    rank (the firms are then every entity): a lookup, not a sort."""
    if index is not None and ranks is not None:
        pos = index.get_indexer(_objects(fin["from_iri"]))
        if not ((pos < 0) & fin["from_iri"].notna().to_numpy(dtype=bool)).any():  # every firm is an entity
            return np.where(pos >= 0, ranks[0][np.maximum(pos, 0)], -1).astype(np.int64), ranks[1]
    codes, firms = pd.factorize(fin["from_iri"].to_numpy(dtype=object), sort=True)
    return codes.astype(np.int64), np.asarray(firms, dtype=object)


def _reported_rows(fcode: np.ndarray, year: np.ndarray):
    """The financial-year rows of each firm's reported years (the last loaded of each firm and
    year) sorted by firm code and year, their firm codes and years, and each row's position
    among them (-1 for a row without firm or year)."""
    rows = np.flatnonzero(~np.isnan(year) & (fcode >= 0))
    # stable, as sort_values(kind="stable"): one integer key (firm code, year) sorted stably
    y = year[rows].astype(np.int64)
    if len(y) and 0 <= y.min() and y.max() < perf_mod.YEAR_SPAN:
        rows = rows[np.argsort(fcode[rows] * perf_mod.YEAR_SPAN + y, kind="stable")]
    else:
        rows = rows[np.lexsort((year[rows], fcode[rows]))]
    c, y = fcode[rows], year[rows].astype(np.int64)
    last = np.ones(len(rows), dtype=bool)  # the last row loaded of each firm and year
    last[:-1] = (c[1:] != c[:-1]) | (y[1:] != y[:-1])
    at = np.full(len(fcode), -1, dtype=np.int64)
    at[rows] = np.cumsum(np.append(True, last[:-1])) - 1
    return rows[last], c[last], y[last], at


def _reported_years(fin: pd.DataFrame, fcode: np.ndarray, firms: np.ndarray | None = None,
                    year: np.ndarray | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """kg.derive.facts.reported_years of ``fin`` (same rows, values and types), sorted on the
    firm codes of :func:`_firm_codes` rather than on text; and the firm code of each row.
    ``firms`` (of the codes) and ``year`` (``fin``'s years as floats) when known.

    >>> fin = pd.DataFrame({"from_iri": ["g", "f", "f", "f"], "year": [2020, 2021, 2020, 2021], "employees": [9, 1, 2, 3],
    ...                     "revenue": [1.0, 1.0, 2.0, 3.0]})
    >>> years, code = _reported_years(fin, *_firm_codes(fin))
    >>> years.equals(facts_mod.reported_years(fin)), code.tolist()
    (True, [0, 0, 1])
    """
    if year is None:
        year = pd.to_numeric(fin["year"], errors="coerce").to_numpy(dtype=float)
    rows, c, y, _ = _reported_rows(fcode, year)
    iri = text_column(firms, c) if firms is not None else fin["from_iri"].to_numpy(dtype=object)[rows]
    years = pd.DataFrame({"from_iri": iri, "year": y,
                          "employees": fin["employees"].to_numpy()[rows] if "employees" in fin else None,
                          "revenue": fin["revenue"].to_numpy()[rows] if "revenue" in fin else None})
    return years, c


def _numbers(fin: pd.DataFrame, col: str) -> np.ndarray:
    if col not in fin:
        return np.full(len(fin), np.nan)
    return pd.to_numeric(fin[col], errors="coerce").to_numpy(dtype=float)


def _size_periods(fin: pd.DataFrame, ents: pd.DataFrame, index: pd.Index | None = None, codes: tuple | None = None,
                  year: np.ndarray | None = None, reported: tuple | None = None, ranks: tuple | None = None) -> pd.DataFrame:
    """``iri, size_class, size_year, size_employees, size_revenue, _from, _to``: FY y from
    y+1-01-01 until the firm's next reported year counts. ``index`` (the entity IRIs), ``codes``
    (:func:`_firm_codes`), ``year`` (the years as floats) and ``reported`` (:func:`_reported_rows`)
    when known. Firms and classes are integer codes until the periods are merged (firm codes
    in IRI order, so rows sort as the IRIs would)."""
    cols = ["iri", "size_class", "size_year", "size_employees", "size_revenue", "_from", "_to"]
    if not len(fin):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    fcode, firms = codes if codes is not None else _firm_codes(fin)
    if year is None:
        year = pd.to_numeric(fin["year"], errors="coerce").to_numpy(dtype=float)
    rows, code, y, at_year = reported if reported is not None else _reported_rows(fcode, year)
    index = pd.Index(ents["iri"].to_numpy(dtype=object), dtype=object) if index is None else index
    if ranks is not None and firms is ranks[1]:  # the firms are the entities in IRI order
        at_ent = np.empty(len(ranks[0]), dtype=np.int64)
        at_ent[ranks[0]] = np.arange(len(ranks[0]))
    else:
        at_ent = index.get_indexer(pd.Index(firms, dtype=object))  # the firms' rows in ents (-1: no entity, no sector)
    sector = np.append(ents["sector"].to_numpy(dtype=object), np.nan)[at_ent]
    emp, rev = _numbers(fin, "employees"), _numbers(fin, "revenue")
    sc, classes = pd.factorize(size_mod.size_classes(emp[rows], rev[rows], sector, code), use_na_sentinel=False)
    del sector
    nxt = np.full(len(y), -1, dtype=np.int64)
    same = code[1:] == code[:-1]
    nxt[:-1][same] = y[1:][same]
    uy, at = np.unique(y, return_inverse=True)
    first = np.array([dt.date(int(v) + 1, 1, 1).toordinal() for v in uy], dtype=np.int64)
    un, at_n = np.unique(nxt, return_inverse=True)
    last = np.array([dt.date(int(v), 12, 31).toordinal() if v >= 0 else OPEN_TO for v in un], dtype=np.int64)
    # the figures of the year (kg.derive.performance.size_figures) where the class is large:
    # the largest employees and revenue over the financial-year rows of that firm and year that give both
    large = np.asarray(classes == "large", dtype=bool)[sc] if len(classes) else np.zeros(len(sc), dtype=bool)
    ok = np.flatnonzero((at_year >= 0) & ~np.isnan(emp) & ~np.isnan(rev))
    pos = at_year[ok]
    hit = large[pos]
    pos, e, r = pos[hit], emp[ok[hit]], rev[ok[hit]]
    del emp, rev, ok, hit
    max_e, max_r = np.full(len(y), -np.inf), np.full(len(y), -np.inf)
    np.maximum.at(max_e, pos, e)
    np.maximum.at(max_r, pos, r)
    has = np.zeros(len(y), dtype=bool)
    has[pos] = True
    # only a large class needs its year (the figures of the breach); the others merge across years,
    # their year being the latest reported (DerivedPeriods.reported). Merged as numbers (-1: no
    # year, NaN: no figure), which compare as the objects they become would.
    out = pd.DataFrame({"iri": code, "size_class": sc, "size_year": np.where(large, y, -1),
                        "size_employees": np.where(has, max_e, np.nan), "size_revenue": np.where(has, max_r, np.nan),
                        "_from": first[at.reshape(-1)], "_to": last[at_n.reshape(-1)]})
    out = merge_periods(out, ["iri"])
    n = len(out)
    size_year = np.full(n, None, dtype=object)
    yy = out["size_year"].to_numpy()
    size_year[yy >= 0] = yy[yy >= 0].tolist()
    size_emp = np.full(n, np.nan, dtype=object)
    ee = out["size_employees"].to_numpy()
    size_emp[~np.isnan(ee)] = [int(x) for x in ee[~np.isnan(ee)].tolist()]
    return pd.DataFrame({"iri": text_column(firms, out["iri"].to_numpy()),
                         "size_class": text_column(np.asarray(classes, dtype=object), out["size_class"].to_numpy()),
                         "size_year": pd.Series(size_year, dtype=object), "size_employees": pd.Series(size_emp, dtype=object),
                         "size_revenue": out["size_revenue"].to_numpy(dtype=float),
                         "_from": out["_from"].to_numpy(), "_to": out["_to"].to_numpy()})


# ---------------------------------------------------------------------------------------------
# look-through flows


def _versions_of(keys_ent: np.ndarray, days: np.ndarray, ents: np.ndarray):
    """Versions (entity, from, to) of ``ents`` that change on (keys_ent, days): sorted keys,
    their entity, first and last day."""
    keys = np.union1d(np.unique(ents).astype(np.int64) * _K, keys_ent.astype(np.int64) * _K + days.astype(np.int64))
    ent, start = keys // _K, keys % _K
    end = np.full(keys.size, OPEN_TO, dtype=np.int64)
    cont = ent[1:] == ent[:-1]
    end[:-1][cont] = start[1:][cont] - 1
    return keys, ent, start, end


def _rows_by_version(row_ent: np.ndarray, keys: np.ndarray, start: np.ndarray):
    """(row, version) for every row and every version of its entity."""
    lo, hi = np.searchsorted(keys, row_ent * _K, "left"), np.searchsorted(keys, (row_ent + 1) * _K, "left")
    cnt = hi - lo
    row = np.repeat(np.arange(row_ent.size), cnt)
    ver = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
    return row, ver


def _objects(values) -> pd.Index:
    """Values as an object Index, to look up in one (an object array would first be converted to
    pandas text)."""
    return pd.Index(np.asarray(values, dtype=object), dtype=object)


def _flag(index: pd.Index, flags: np.ndarray):
    """``values -> mask``: the flag of each value's entity in ``index``, False for no entity."""
    ext = np.append(np.asarray(flags, dtype=bool), False)
    return lambda values: ext[index.get_indexer(_objects(values))]


def _labelled(ents: pd.DataFrame, label: str) -> np.ndarray:
    """Which entities carry ``label``; each distinct label tuple looked at once."""
    labels = ents["labels"].to_numpy(dtype=object)
    try:
        codes, uniq = pd.factorize(labels)
    except TypeError:  # labels as lists (unhashable): each row
        return np.array([label in ls for ls in labels], dtype=bool)
    return np.array([label in ls for ls in list(uniq)] + [False], dtype=bool)[codes]


def _weight_periods(of: pd.DataFrame, lp: pd.DataFrame, is_fund) -> pd.DataFrame:
    """kg.derive.flows.step_weights for every date at once: ``x, fund, w, _from, _to``. A fund's
    weights change on the dates of its LP commitments and of the holdings in it."""
    cols = {"x": object, "fund": object, "w": float, "_from": np.int64, "_to": np.int64}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})
    funds = _objects(pd.unique(pd.concat([lp["to_iri"], of["to_iri"]], ignore_index=True).to_numpy(dtype=object)))
    if not len(funds):
        return empty
    lp_f = funds.get_indexer(_objects(lp["to_iri"])).astype(np.int64)
    lp_day = _days(lp["date"], len(lp), False)
    of_f = funds.get_indexer(_objects(of["to_iri"])).astype(np.int64)
    of_a, of_b = _days(of.get("start"), len(of), False), _days(of.get("end"), len(of), True)
    ch_e = np.concatenate([lp_f, of_f, of_f])
    ch_d = np.concatenate([lp_day, of_a, np.where(of_b < OPEN_TO, of_b + 1, OPEN_FROM)])
    keys, _, start, end = _versions_of(ch_e, ch_d, np.arange(len(funds)))
    parts = []
    lp_funds = np.zeros(keys.size, dtype=bool)
    if len(lp):
        row, ver = _rows_by_version(lp_f, keys, start)
        ok = lp_day[row] <= start[ver]
        row, ver = row[ok], ver[ok]
        amt = pd.to_numeric(lp["amount"], errors="coerce").to_numpy(dtype=float)[row]
        t = pd.DataFrame({"x": lp["from_iri"].to_numpy(dtype=object)[row], "ver": ver, "amt": amt})
        total = t.groupby("ver")["amt"].sum()
        lp_funds[t.loc[t["amt"] > 0, "ver"].unique()] = True
        mine = t.groupby(["x", "ver"], as_index=False)["amt"].sum()
        mine["total"] = mine["ver"].map(total).to_numpy()
        mine = mine[mine["total"] > 0]
        parts.append(pd.DataFrame({"x": mine["x"], "ver": mine["ver"], "w": mine["amt"] / mine["total"]}))
    if len(of):
        row, ver = _rows_by_version(of_f, keys, start)
        ok = (of_a[row] <= start[ver]) & (start[ver] <= of_b[row]) & ~lp_funds[ver]
        row, ver = row[ok], ver[ok]
        share = algebra_shares(of).to_numpy(dtype=float)[row]
        t = pd.DataFrame({"x": of["from_iri"].to_numpy(dtype=object)[row], "ver": ver, "w": share}).dropna()
        parts.append(t.groupby(["x", "ver"], as_index=False)["w"].max())
    if not parts:
        return empty
    w = pd.concat(parts, ignore_index=True)
    fund = funds.to_numpy(dtype=object)[keys[w["ver"].to_numpy()] // _K]
    w = pd.DataFrame({"x": w["x"].to_numpy(dtype=object), "fund": fund, "w": w["w"].to_numpy(dtype=float),
                      "_from": start[w["ver"].to_numpy()], "_to": end[w["ver"].to_numpy()]})
    w = w[is_fund(w["fund"]) & (w["w"] > 0).to_numpy()]
    return merge_periods(w, ["x", "fund"])


def _flow_periods(res: Resolved, ents: pd.DataFrame, entity: pd.DataFrame, index: pd.Index | None = None) -> pd.DataFrame:
    """The flows table (kg.derive.flows.FLOW_COLUMNS) with ``_from`` / ``_to``: the chains of
    kg.derive.flows.chains built by joining periods (a chain holds while its source is
    state-controlled and each step's weight holds), then the fundings made by their last member."""
    cols = [*flows_mod.FLOW_COLUMNS, "_from", "_to"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    funded = res.links.get("FUNDED")
    if funded is None or not len(funded):
        return empty
    owns = res.links.get("OWNS", pd.DataFrame(columns=["from_iri", "to_iri", "share", "start", "end"]))
    iri = ents["iri"]
    index = _objects(iri) if index is None else index
    is_fund, is_firm = _flag(index, _labelled(ents, "Fund")), _flag(index, _labelled(ents, "Firm"))
    names = flows_mod.fund_names(res)
    if names is None:
        names = pd.Series(ents["name"].to_numpy(), index=iri.to_numpy())

    fl = funded[funded["instrument"].notna() & (funded["instrument"] != flows_mod.LP)]
    fl = fl[is_firm(fl["to_iri"])]
    fl = pd.DataFrame({"funder": fl["from_iri"].to_numpy(), "recipient": fl["to_iri"].to_numpy(),
                       "funding": fl["iri"].to_numpy(), "instrument": fl["instrument"].to_numpy(),
                       "amount": fl["amount"].to_numpy(), "date": fl["date"].to_numpy(),
                       "_day": _days(fl["date"], len(fl), False)})
    lp = funded[(funded["instrument"] == flows_mod.LP) & funded["amount"].notna()]
    of = owns[is_fund(owns["to_iri"])] if len(owns) else owns
    w = flows_mod.weights_named(_weight_periods(of, lp, is_fund), names)

    # the sources: periods of state control, merged over that one fact
    sc = entity.loc[entity["state_controlled"].astype(bool).to_numpy(), ["iri", "_from", "_to"]]
    sc = merge_periods(sc.assign(on=True), ["iri"]).drop(columns="on")
    members = [f"m{k}" for k in range(flows_mod.MAX_HOPS)]
    level = pd.DataFrame({"source": sc["iri"].to_numpy(), "last": sc["iri"].to_numpy(), "hops": 1, "share": 1.0,
                          "via": "", "_from": sc["_from"].to_numpy(), "_to": sc["_to"].to_numpy()})
    for k, m in enumerate(members):
        level[m] = level["source"] if k == 0 else None
    levels = [level]
    for k in range(1, flows_mod.MAX_HOPS):
        if not len(level) or not len(w):
            break
        level = flows_mod.next_level(level, w, members, k)
        if not len(level):
            break
        levels.append(level)
    ch = pd.concat(levels, ignore_index=True)
    out = ch.merge(fl, left_on="last", right_on="funder")
    out = out[out["recipient"] != out["source"]]
    out["_from"] = np.maximum(out["_from"].to_numpy(dtype=np.int64), out["_day"].to_numpy(dtype=np.int64))
    out = out[out["_from"] <= out["_to"]]
    if not len(out):
        return empty
    out = out.drop_duplicates(["source", "funding", "hops", "share", "via", "_from", "_to"])
    chain = out["m1"].fillna("").astype(str)
    for m in members[2:]:
        chain = chain + " " + out[m].fillna("").astype(str)
    out["chain"] = chain.str.strip().to_numpy()
    out = out[cols].astype({"hops": np.int64, "share": float, "_from": np.int64, "_to": np.int64})
    return merge_periods(out, ["source", "funding", "chain"])


# ---------------------------------------------------------------------------------------------
# the whole build


def derive_periods(res: Resolved, *, floor: float = facts_mod.DEFAULT_FLOOR, consume: bool = False,
                   on_frame: Callable[[str, pd.DataFrame], None] | None = None) -> DerivedPeriods:
    """The derived facts of a resolved build with the periods they hold for (module docstring).
    With ``consume`` each input frame of ``res`` is replaced by an empty one once no fact needs
    it any more (the financial years first), so that a build lets them go before the ownership
    facts, the largest step, are made. ``on_frame(name, frame)`` hears of each frame made before
    that step as soon as it is finished (a build writes it), and the result then holds an empty
    frame (its columns kept) in its place.

    >>> from kg.resolve import Resolved
    >>> from kg.values.dates import parse as parse_date
    >>> ents = pd.DataFrame({"iri": ["g", "f"], "name": ["Gov", "Firm"], "labels": [("GovernmentBody",), ("Firm",)],
    ...                      "state_owned": [None, None], "sector": [None, None]})
    >>> owns = pd.DataFrame({"from_iri": ["g"], "to_iri": ["f"], "share": [0.7], "start": [parse_date("2020-07")],
    ...                      "end": [None]})
    >>> p = derive_periods(Resolved(entities=ents, entity_rows=ents[["iri", "name"]], links={"OWNS": owns}))
    >>> p.entity.loc[p.entity.iri == "f", ["state_share", "valid_from", "valid_to"]].values.tolist()
    [[0.0, None, datetime.date(2020, 6, 30)], [0.7, datetime.date(2020, 7, 1), None]]
    """
    # the cyclic garbage collector paused: the stage makes millions of small objects (dates,
    # lists, texts) and each full collection would walk every object of the resolved frames too;
    # what the stage leaves in cycles is collected as usual afterwards
    paused = gc.isenabled()
    gc.disable()
    try:
        return _derive_periods(res, floor=floor, consume=consume, on_frame=on_frame)
    finally:
        if paused:
            gc.enable()


def _derive_periods(res: Resolved, *, floor: float = facts_mod.DEFAULT_FLOOR, consume: bool = False,
                    on_frame: Callable[[str, pd.DataFrame], None] | None = None) -> DerivedPeriods:
    """:func:`derive_periods` with the collector as it is."""
    # each result is finished as soon as it is made and what made it let go (at 10^6 firms the
    # intermediates of one step are as large as a result); the facts of the financial years and
    # the lookups come first, so that with ``consume`` their inputs are gone before the ownership
    # facts are made
    ents = res.entities.reset_index(drop=True)
    index = pd.Index(ents["iri"].to_numpy(dtype=object), dtype=object)  # one hash table of the IRIs
    ranks = _ranks(ents["iri"].to_numpy(dtype=object))  # the entities in IRI order, once
    has_financials = bool(len(res.financials))
    size = reported = performance = None
    if has_financials:
        # the firms of the financial years as codes (in IRI order) and the years as numbers, once
        fin = res.financials
        fcode, firms = _firm_codes(fin, index, ranks)
        fyear = pd.to_numeric(fin["year"], errors="coerce").to_numpy(dtype=float)
        # the largest result (the reported years) made once the size classes' intermediates are gone
        rep = _reported_rows(fcode, fyear)
        size = _finish(_size_periods(fin, ents, index, (fcode, firms), fyear, rep, ranks))
        give_back()
        reported = pd.DataFrame({"iri": text_column(firms, rep[1]), "year": rep[2]})
        del rep
        performance = perf_mod.performance_facts(res, codes=(fcode, firms), year=fyear)
        del fcode, firms, fyear, fin
        give_back()
    else:
        size = _finish(_size_periods(res.financials, ents))
        reported = pd.DataFrame({"iri": [], "year": []})
    if performance is None:
        performance = perf_mod.performance_facts(res)
    if consume:
        res.financials = _emptied(res.financials)
    ref = pd.DataFrame(reference_names(), columns=["iri", "name"])
    display_names = lookups.display_names(pd.concat([res.entity_rows[["iri", "name"]], ref], ignore_index=True))
    if consume:
        res.entity_rows = _emptied(res.entity_rows)
    certs = res.links.get("CERTIFIED_AS", pd.DataFrame(columns=["iri", "from_iri", "to_iri", "year", "valid_from",
                                                                 "valid_to", "batch"]))
    cert_years, superseded = lookups.certification_years(certs), lookups.superseded_from(certs)
    del certs
    if on_frame is not None:  # handed on now, so that they are not alive beside the ownership facts' work
        done = {"size": size, "reported": reported, "performance": performance, "display_names": display_names,
                "cert_years": cert_years, "superseded": superseded}
        for name in list(done):
            on_frame(name, done[name])
            done[name] = _emptied(done[name])
        size, reported, performance, display_names, cert_years, superseded = done.values()
        del done
    if consume:
        for rel in ("CERTIFIED_AS", "LISTED_ON"):  # no fact below reads them
            if rel in res.links:
                res.links[rel] = _emptied(res.links[rel])
        give_back()
    integrated, control, entity = _ownership_periods(res, ents, floor, index, ranks)
    integrated, control = _finish(integrated), _finish(control)
    flows = _finish(_flow_periods(res, ents, entity, index))
    entity = _finish(entity)
    give_back()
    return DerivedPeriods(
        floor=floor, entities=ents["iri"].to_numpy(dtype=object),
        integrated=integrated, control=control, entity=entity, size=size,
        flows=flows, has_financials=has_financials,
        reported=reported,
        params={"floor": floor, "control_threshold": facts_mod.CONTROL_THRESHOLD},
        performance=performance, display_names=display_names,
        cert_years=cert_years, superseded=superseded)


def _emptied(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame of no rows with the columns, dtypes and ``attrs`` of ``frame``, sharing none of
    its memory (a slice would keep the whole columns alive)."""
    out = pd.DataFrame({i: pd.Series([], dtype=t) for i, t in enumerate(frame.dtypes)})
    out.columns = frame.columns
    out.attrs = dict(frame.attrs)
    return out


def at(p: DerivedPeriods, as_of: dt.date) -> facts_mod.Derived:
    """The facts of one day: what ``kg.derive.facts.derive(res, as_of=as_of)`` gives (same rows,
    values and row order).

    >>> from kg.loaders.sources import load_sources
    >>> from kg.resolve import resolve
    >>> from kg.resources import resource_path
    >>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
    >>> one, cut = facts_mod.derive(res, as_of=dt.date(2020, 1, 1)), at(derive_periods(res), dt.date(2020, 1, 1))
    >>> cut.integrated.equals(one.integrated), cut.control.equals(one.control)
    (True, True)
    """
    order = pd.Series(np.arange(len(p.entities)), index=p.entities)

    def cut(t: pd.DataFrame, *keys) -> pd.DataFrame:
        t = t[holds_at(t, as_of)].drop(columns=PERIOD_COLUMNS)
        if keys:
            pos = [order.reindex(t[k]).to_numpy() for k in keys]
            t = t.iloc[np.lexsort(pos[::-1])]
        return t.reset_index(drop=True)

    integrated = cut(p.integrated, "owner", "owned")
    control = cut(p.control, "controller", "controlled")
    entity = cut(p.entity, "iri")
    # as the single-date table holds it: None where there is no path (a column of None stays object)
    for col in ("ultimate_controller", "path"):
        entity[col] = np.array([v if isinstance(v, str) else None for v in entity[col]], dtype=object)
    if p.has_financials:
        size = cut(p.size).set_index("iri")
        entity = entity.merge(size[["size_class", "size_year"]], left_on="iri", right_index=True, how="left")
        rep = p.reported[p.reported["year"] < as_of.year].groupby("iri")["year"].max()
        year = entity["iri"].map(rep).where(entity["size_year"].notna() | entity["iri"].isin(size.index))
        entity["size_year"] = [None if y != y else int(y) for y in year]
        figs = size.loc[size["size_class"] == "large", ["size_employees", "size_revenue"]].dropna()
        entity = entity.merge(figs, left_on="iri", right_index=True, how="left")
    else:
        entity["size_class"] = None
        entity["size_year"] = None
    flows = cut(p.flows)
    if len(flows):
        flows = flows.sort_values(["source", "recipient", "funding", "hops", "via"]).reset_index(drop=True)
    else:
        flows = pd.DataFrame({c: pd.Series(dtype=object) for c in flows_mod.FLOW_COLUMNS})
    params = {"as_of": as_of.isoformat(), "floor": p.floor, "control_threshold": facts_mod.CONTROL_THRESHOLD}
    return facts_mod.Derived(as_of=as_of, floor=p.floor, integrated=integrated, control=control, entity=entity,
                             params=params, flows=flows, performance=p.performance, display_names=p.display_names,
                             cert_years=p.cert_years, superseded=p.superseded)
