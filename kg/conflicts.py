"""Cross-row checks after resolution: where the rows of the sources contradict each other.

Row checks (one value, or several columns of one row) run at load; what only shows when rows
are put together runs here, between resolution and derivation. Each finding is a *conflict*:
one line per row involved (``CONFLICT_COLUMNS``), written to ``conflicts.csv`` next to
``rejects.csv`` and listed by ``kg conflicts``. The kinds and what the build does:

- ``shares-over-100``: the direct shares of one owned entity sum over 100% at some date
  (taking the largest share per owner where rows repeat a holding; a rounding tolerance of
  0.1 percentage point), within one source or across sources. The rows stay (action
  ``scaled``): the build warns naming them, ``kg validate`` flags the entity, and the derived
  facts scale that entity's shares down to a 100% total, so no derived share exceeds 1. They
  are not rejected: real sources overlap for a few days where one holding ends and the next
  starts (a BODS statement sequence), and no row is more wrong than the other.
- ``cycle``: holdings whose shares do not shrink around a cycle (A owns 100% of B and B owns
  100% of A, with nobody outside holding any of them): the closed form of integrated
  ownership diverges, so every link of the cycle is rejected and the rest of the graph builds.
- ``two-shares``: one holding (owner, owned) with different shares in rows valid at the same
  time: kept side by side (action ``kept``); the algebra takes the largest.
- ``two-types``: rows of one entity with contradicting primary types (Firm and Bank): the
  first row loaded sets the type (a later row may refine it: GuidanceFund after Fund), a row
  that contradicts it is rejected at resolution (kg.resolve); listed here with both rows.
- ``two-values``: one entity with different values of an attribute (name, country, ...) in
  different rows: kept side by side (each in its source's graph); the entity's single-valued
  fields (state_owned, founded, ...) take the first value loaded.

Declared indirect holdings (``direct_or_indirect`` = indirect) are declarations, not inputs of
the algebra, so they take no part in the sums; a holding given as a range counts with its
lower bound (:func:`algebra_shares`).

>>> import pandas as pd
>>> owns = pd.DataFrame({"share": [0.7, None, 0.2], "share_min": [None, 0.25, None],
...                      "direct_or_indirect": [None, "direct", "indirect"]})
>>> algebra_shares(owns).tolist()
[0.7, 0.25, nan]
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse import csgraph

from kg.ontology import ID
from kg.records import Reject
from kg.resolve import Resolved

__all__ = ["CONFLICT_COLUMNS", "Conflicts", "algebra_shares", "find_conflicts", "write_conflicts", "read_conflicts",
           "conflicts_file",
           "SUM_TOLERANCE", "ATTRIBUTES"]

CONFLICT_COLUMNS = ("conflict", "kind", "entity", "name", "field", "value", "action", "file", "row", "source", "note")
#: Shares of one entity may sum to this much over 1 (rounded percentages) before it is a conflict.
SUM_TOLERANCE = 0.001
#: Entity attributes whose different values are listed (one value expected per entity).
ATTRIBUTES = ("name", "name_zh", "uscc", "lei", "country", "province", "city", "sector", "founded", "state_owned")
_KIND_ORDER = ("cycle", "shares-over-100", "two-types", "two-shares", "two-values")
_UNDATED_END = dt.date.max.toordinal()
_CLOSED = 1e-9  # a cycle member whose column inside the cycle is within this of 1 is closed


@dataclass
class Conflicts:
    """What :func:`find_conflicts` found: the table (CONFLICT_COLUMNS), rejects, warning lines."""

    table: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def algebra_shares(owns: pd.DataFrame) -> pd.Series:
    """The share of each OWNS row that the ownership algebra uses: the exact share, else the
    lower bound ``share_min`` (integrated shares are then lower bounds), NaN when there is none
    or the row declares an indirect holding."""
    nan = pd.Series(np.nan, index=owns.index)
    s = pd.to_numeric(owns["share"], errors="coerce") if "share" in owns else nan
    if "share_min" in owns:
        s = s.fillna(pd.to_numeric(owns["share_min"], errors="coerce"))
    if "direct_or_indirect" in owns:
        s = s.mask(owns["direct_or_indirect"].astype(object).eq("indirect"))
    return s.astype(float)


def _ordinals(col: pd.Series | None, n: int, end: bool) -> np.ndarray:
    """First day (start) or last day (end) of each partial date as an ordinal; open when missing."""
    if col is None:
        return np.full(n, _UNDATED_END if end else 0, dtype=np.int64)
    codes, dates = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=True)  # each date once
    days = np.array([(d.last_day() if end else d.first_day()).toordinal() for d in dates.tolist()] + [_UNDATED_END if end else 0],
                    dtype=np.int64)
    return days[codes]  # code -1 (missing) takes the last: open


def _holdings(owns: pd.DataFrame) -> pd.DataFrame:
    """The OWNS rows that enter the algebra: pos (row of ``owns``), owner, owned, s, a, b (day
    ordinals of the period), source, file, row, refs."""
    s = algebra_shares(owns)
    n = len(owns)
    h = pd.DataFrame({
        "pos": np.arange(n), "owner": owns["from_iri"].to_numpy(), "owned": owns["to_iri"].to_numpy(), "s": s.to_numpy(),
        "a": _ordinals(owns.get("start"), n, False), "b": _ordinals(owns.get("end"), n, True),
        "source": owns["source"].to_numpy(), "file": owns["file"].to_numpy(), "row": owns["row"].to_numpy(),
        "from_ref": owns["from_ref"].to_numpy(), "to_ref": owns["to_ref"].to_numpy(),
    })
    return h[(h["s"] > 0) & (h["owner"] != h["owned"])].reset_index(drop=True)


def _at(h: pd.DataFrame, pos) -> pd.DataFrame:
    """The rows of ``h`` at the holdings positions ``pos`` (in h's order), found by binary
    search: ``h.pos`` ascends, and a filter over all of ``h`` per group would be quadratic.

    >>> _at(pd.DataFrame({"pos": [0, 2, 5], "x": list("abc")}), (5, 2))["x"].tolist()
    ['b', 'c']
    """
    return h.iloc[np.searchsorted(h["pos"].to_numpy(), np.sort(np.asarray(pos, dtype=np.int64)))]


def _day_text(day: int) -> str:
    return "at any date" if day <= 0 else f"on {dt.date.fromordinal(int(day)).isoformat()}"


def _sum_text(total: float, day: int) -> str:
    return f"{_pct(total)} at any date" if day <= 0 else f"over 100% from {dt.date.fromordinal(day).isoformat()} (up to {_pct(total)})"


def _pct(x: float) -> str:
    return f"{x * 100:.4g}%"


def _short(iri: str) -> str:
    return str(iri).removeprefix(ID)


def _rows_text(h: pd.DataFrame) -> str:
    return ", ".join(f"{f}:{int(r)}" for f, r in sorted(zip(h["file"], h["row"], strict=True)))


def _over_full(h: pd.DataFrame, keys: list[str]) -> list[tuple[tuple, int, float, tuple[int, ...]]]:
    """Groups (``keys`` + owned) whose shares, the largest per owner, sum over 1 at some date:
    (group key, first such day, largest total, positions of every row valid on such a day).
    The sum can only rise where a row starts, so the starts are the days looked at; only
    groups whose largest shares could exceed 1 at all are looked at."""
    gk = [*keys, "owned"]
    if not len(h):
        return []
    if keys:
        upper = h.groupby([*gk, "owner"])["s"].max().groupby(level=gk).sum()
        suspects = upper[upper > 1 + SUM_TOLERANCE].index.to_frame(index=False)
        if not len(suspects):
            return []
        hs = h.merge(suspects, on=gk)
    else:  # the same on integer codes of owned and owner
        owned = pd.factorize(h["owned"])[0]
        owner = pd.factorize(h["owner"])[0]
        upper = pd.DataFrame({"d": owned, "o": owner, "s": h["s"].to_numpy()}).groupby(["d", "o"])["s"].max()
        upper = upper.groupby(level="d").sum()
        suspect = np.zeros(owned.max() + 1, dtype=bool)
        suspect[upper.index[upper > 1 + SUM_TOLERANCE].to_numpy()] = True
        if not suspect.any():
            return []
        hs = h[suspect[owned]].reset_index(drop=True)
    days = hs[[*gk, "a"]].drop_duplicates().rename(columns={"a": "day"})
    j = hs.merge(days, on=gk)
    j = j[(j["a"] <= j["day"]) & (j["b"] >= j["day"])]
    total = j.groupby([*gk, "day", "owner"])["s"].max().groupby(level=[*gk, "day"]).sum().rename("total").reset_index()
    over = total[total["total"] > 1 + SUM_TOLERANCE]
    if not len(over):
        return []
    rows = j.merge(over[[*gk, "day"]], on=[*gk, "day"])
    members = rows.groupby(gk)["pos"].agg(lambda p: tuple(sorted(set(p))))
    summary = over.groupby(gk).agg(day=("day", "min"), total=("total", "max"))
    return [(k if isinstance(k, tuple) else (k,), int(r.day), float(r.total), members[k])
            for k, r in zip(summary.index, summary.itertuples(), strict=True)]


def _closed_cycles(h: pd.DataFrame) -> list[tuple[np.ndarray, int, tuple[int, ...]]]:
    """Cycles that make the closed form diverge: strongly connected sets of entities, at some
    date, each of whose shares (after scaling an over-full entity to 100%) are held entirely
    inside the set. Returns (member IRIs, day, positions of the links inside the set).

    Only members that could be closed are looked at: an entity whose largest shares held from
    inside its cycle add up to less than 1 is never closed, and without it the rest is
    re-examined (a pruning to a fixed point), so an ordinary cross-holding costs nothing.
    """
    if not len(h):
        return []
    codes, iris = pd.factorize(pd.concat([h["owner"], h["owned"]], ignore_index=True))
    n = len(iris)
    oi, oj = codes[: len(h)], codes[len(h):]
    upper = pd.DataFrame({"i": oi, "j": oj, "s": h["s"].to_numpy()}).groupby(["i", "j"], as_index=False)["s"].max()
    alive = np.ones(n, dtype=bool)
    while True:
        e = upper[alive[upper["i"]] & alive[upper["j"]]]
        G = sp.csr_matrix((np.ones(len(e)), (e["i"], e["j"])), shape=(n, n))
        ncomp, lab = csgraph.connected_components(G, directed=True, connection="strong")
        size = np.bincount(lab, minlength=ncomp)
        inside = e[lab[e["i"].to_numpy()] == lab[e["j"].to_numpy()]]
        held = np.bincount(inside["j"], weights=inside["s"], minlength=n)
        keep = alive & (size[lab] > 1) & (held >= 1 - _CLOSED)
        if np.array_equal(keep, alive):
            break
        alive = keep
    if not alive.any():
        return []
    rel = h[alive[oj]].assign(i=oi[alive[oj]], j=oj[alive[oj]])  # every holding of a candidate member
    days = np.unique(np.concatenate([[0], rel["a"].to_numpy(), rel["b"].to_numpy()[rel["b"] < _UNDATED_END] + 1]))
    out, gone = [], set()
    for day in days:
        v = rel[(rel["a"] <= day) & (rel["b"] >= day) & ~rel["pos"].isin(gone)]
        if not len(v):
            continue
        pairs = v.groupby(["i", "j"], as_index=False)["s"].max()
        total = pairs.groupby("j")["s"].sum()
        e = pairs[alive[pairs["i"]]]
        G = sp.csr_matrix((np.ones(len(e)), (e["i"], e["j"])), shape=(n, n))
        ncomp, lab = csgraph.connected_components(G, directed=True, connection="strong")
        size = np.bincount(lab, minlength=ncomp)
        same = lab[pairs["i"].to_numpy()] == lab[pairs["j"].to_numpy()]
        ins = pairs[same & (size[lab[pairs["j"].to_numpy()]] > 1)]
        inner = ins.groupby("j")["s"].sum()
        frac = inner / np.maximum(1.0, total.reindex(inner.index).to_numpy())
        for c in np.unique(lab[frac.index.to_numpy()]):
            members = np.flatnonzero(lab == c)
            if not np.all(frac.reindex(members).fillna(0).to_numpy() >= 1 - _CLOSED):
                continue
            links = v[np.isin(v["i"], members) & np.isin(v["j"], members)]
            pos = tuple(sorted(links["pos"]))
            gone.update(pos)
            out.append((np.asarray(iris[members]), int(day), pos))
    return out


def _two_shares(h: pd.DataFrame) -> list[tuple[tuple[str, str], tuple[int, ...]]]:
    """Holdings (owner, owned) given different shares by rows valid at the same time."""
    if not len(h):
        return []
    # holdings given two shares or more, on integer codes of (owner, owned)
    owner = pd.factorize(h["owner"])[0].astype(np.int64)
    owned = pd.factorize(h["owned"])[0].astype(np.int64)
    pair = owner * (int(owned.max()) + 1) + owned
    shares = pd.DataFrame({"pair": pair, "s": h["s"].to_numpy()}).dropna().drop_duplicates()
    counts = shares["pair"].value_counts()
    multi = (counts.reindex(pair).fillna(0).to_numpy() > 1)
    m = h[multi]
    if not len(m):
        return []
    x = m.merge(m, on=["owner", "owned"])
    x = x[(x["s_x"] != x["s_y"]) & (x["a_x"] <= x["b_y"]) & (x["a_y"] <= x["b_x"])]
    out = []
    for key, g in x.groupby(["owner", "owned"]):
        out.append((key, tuple(sorted(set(g["pos_x"]) | set(g["pos_y"])))))
    return out


def _value_text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def find_conflicts(res: Resolved, header: Callable[[str, str], str] = lambda file, column: column) -> Conflicts:
    """Find the conflicts of a resolved build; the OWNS rows it rejects are taken out of
    ``res.links["OWNS"]`` (in place). ``header(file, column)`` names a column as the file did.

    >>> from kg.loaders.sources import load_sources
    >>> from kg.resolve import resolve
    >>> from kg.resources import resource_path
    >>> res = resolve(load_sources([resource_path("tests", "fixtures", "mini")]))
    >>> found = find_conflicts(res)
    >>> len(found.table), found.rejects
    (0, [])
    """
    items: list[dict] = []
    rejects: list[Reject] = []
    warnings: list[str] = []

    def add(group, kind, entity, fld, value, action, file, row, source, note):
        items.append({"seq": len(items), "group": group, "kind": kind, "entity": _short(entity), "iri": entity, "field": fld,
                      "value": value, "action": action, "file": file, "row": int(row), "source": source, "note": note})

    owns = res.links.get("OWNS")
    if owns is not None and len(owns):
        owns = owns.reset_index(drop=True)
        h = _holdings(owns)
        drop: set[int] = set()

        # shares over 100%, within one source or across sources: kept, scaled in the derived facts
        for (owned,), day, total, pos in _over_full(h, []):
            rows = _at(h, pos)
            sources = sorted(set(rows["source"]))
            where = f"in source {sources[0]}" if len(sources) == 1 else "across sources"
            note = (f"the shares of {_short(owned)} sum to {_sum_text(total, day)} {where} "
                    f"({_rows_text(rows)}); kept side by side, scaled to 100% in the derived facts")
            warnings.append(f"{note} (kg conflicts)")
            for r in rows.itertuples():
                add(("over", owned, day), "shares-over-100", owned, "share", _pct(r.s), "scaled", r.file, r.row,
                    r.source, note)

        for members, day, pos in _closed_cycles(h):
            rows = _at(h, pos).sort_values(["file", "row"])
            links = ", ".join(f"{_short(a)} owns {_pct(s)} of {_short(b)}"
                              for a, b, s in zip(rows["owner"], rows["owned"], rows["s"], strict=True))
            why = (f"a cycle of holdings whose shares do not shrink ({links}) {_day_text(day)}: the closed form of "
                   "integrated ownership diverges")
            note = f"{why}; rejected ({_rows_text(rows)})"
            warnings.append(f"{note} (kg conflicts)")
            first = sorted(members)[0]
            for r in rows.itertuples():
                add(("cycle", first, day), "cycle", r.owned, "owned", r.to_ref, "rejected", r.file, r.row, r.source, note)
                rejects.append(Reject(r.file, int(r.row), header(r.file, "to_ref"), str(r.to_ref),
                                      f"value {r.to_ref!r} is not a holding integrated ownership can use: {why}; "
                                      "expected a cycle in which some share is held from outside it, so these links "
                                      "are rejected"))
            drop.update(pos)

        for (owner, owned), pos in _two_shares(h[~h["pos"].isin(drop)]):
            rows = _at(h, pos).sort_values(["file", "row"])
            note = (f"{_short(owner)} holds {' or '.join(dict.fromkeys(_pct(s) for s in rows['s']))} of {_short(owned)} "
                    f"at the same time ({_rows_text(rows)}); kept side by side, the derived facts take the largest")
            for r in rows.itertuples():
                add(("two", owner, owned), "two-shares", owned, "share", _pct(r.s), "kept", r.file, r.row, r.source, note)

        if drop:
            res.links["OWNS"] = owns[~np.isin(np.arange(len(owns)), sorted(drop))].reset_index(drop=True)

    for t in res.type_conflicts.itertuples():
        note = (f"{t.file}:{t.row} says {t.type}, {t.ref_file}:{t.ref_row} says {t.ref_type} ({t.shared}); "
                f"the entity is a {t.ref_type}, the {t.type} row is rejected")
        add(("type", t.file, t.row), "two-types", t.iri, "type", t.ref_type, "kept", t.ref_file, t.ref_row, t.ref_source, note)
        add(("type", t.file, t.row), "two-types", t.iri, "type", t.type, "rejected", t.file, t.row, t.source, note)

    rows = res.entity_rows
    # only entities with several rows can have two values: most have one
    several = _repeated(rows["iri"]) if len(rows) else np.zeros(0, dtype=bool)
    multi = rows[several] if several.any() else rows.iloc[:0]
    iri_codes = pd.factorize(multi["iri"].to_numpy(dtype=object))[0].astype(np.int64)
    for fld in ATTRIBUTES:
        if fld not in rows or not len(multi):
            continue
        have = multi[fld].notna().to_numpy(dtype=bool)
        v = multi.loc[have, ["iri", fld, "file", "row", "source"]]
        # entities with two texts of the field, on integer codes; texts made once per distinct value
        codes, uniq = pd.factorize(v[fld].to_numpy(dtype=object))
        texts = np.array([_value_text(x) for x in uniq.tolist()] + [""], dtype=object)
        text_code = pd.factorize(texts)[0][codes]
        iri_code = iri_codes[have]
        lo = np.full(len(multi), np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(len(multi), -1, dtype=np.int64)
        np.minimum.at(lo, iri_code, text_code)
        np.maximum.at(hi, iri_code, text_code)
        many = lo[iri_code] != hi[iri_code]  # two texts or more
        v = v[many].assign(text=texts[codes[many]])
        for iri, g in v.groupby("iri", sort=True):  # rows in the order they were loaded
            note = f"{fld} of {_short(iri)} differs between rows: {' | '.join(dict.fromkeys(g['text']))}; kept side by side"
            for r in g.itertuples():
                add(("value", iri, fld), "two-values", iri, fld, r.text, "kept", r.file, r.row, r.source, note)

    _name_items(items, res.entity_rows)
    table = _number(items)
    quiet = table[table["kind"].isin(["two-shares", "two-values"])]
    if len(quiet):
        warnings.append(f"{quiet['conflict'].nunique()} conflict(s) where sources give two shares for one holding or "
                        "two values of one attribute, kept side by side (kg conflicts)")
    return Conflicts(table=table, rejects=rejects, warnings=warnings)


def _repeated(values: pd.Series) -> np.ndarray:
    """Where a value occurs more than once (hashed in Arrow for Arrow-backed text).

    >>> _repeated(pd.Series(["a", "b", "a"], dtype="str")).tolist()
    [True, False, True]
    """
    arr = values.array
    if hasattr(arr, "_pa_array"):  # missing values count as one value, as duplicated() has them
        codes = pc.dictionary_encode(arr._pa_array, null_encoding="encode").combine_chunks().indices.to_numpy()
        return np.bincount(codes)[codes] > 1
    return values.duplicated(keep=False).to_numpy(dtype=bool)


def _name_items(items: list[dict], rows: pd.DataFrame) -> None:
    """Each conflict's entity name (the smallest of its rows'), looked up for those entities only."""
    iris = [it.pop("iri") for it in items]
    names: dict = {}
    if iris and len(rows):
        v = rows.loc[rows["iri"].isin(set(iris)) & rows["name"].notna(), ["iri", "name"]]
        names = {iri: min(g) for iri, g in v.groupby("iri")["name"]}
    for it, iri in zip(items, iris, strict=True):
        it["name"] = names.get(iri)


def _number(items: list[dict]) -> pd.DataFrame:
    """The conflicts table, each group of rows numbered 1.. in (kind, entity, first row) order."""
    if not items:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CONFLICT_COLUMNS})
    t = pd.DataFrame(items)
    t["_kind"] = t["kind"].map(_KIND_ORDER.index)
    t["_group"] = t["group"].map(repr)
    first = t.groupby("_group")[["_kind", "entity", "seq"]].first()
    order = first.sort_values(["_kind", "entity", "seq"]).index
    t["conflict"] = t["_group"].map({g: k + 1 for k, g in enumerate(order)})
    t = t.sort_values(["conflict", "seq"]).reset_index(drop=True)
    return t[list(CONFLICT_COLUMNS)]


def write_conflicts(table: pd.DataFrame, path: Path) -> None:
    """Write the conflicts table (CONFLICT_COLUMNS) as UTF-8 CSV at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(CONFLICT_COLUMNS)
        for r in table[list(CONFLICT_COLUMNS)].itertuples(index=False):
            w.writerow(["" if v is None or v != v else v for v in r])


def conflicts_file(folder: Path) -> Path:
    """conflicts.csv of a build's generation folder, or of a database folder (a link to the
    live generation's, beside rejects.csv)."""
    return folder / "conflicts.csv"


def read_conflicts(path: Path) -> list[list[str]]:
    """The rows of a conflicts.csv written by :func:`write_conflicts` (header dropped); none
    when the file is missing (a graph built before conflicts were recorded)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[1:]
