"""Economic performance by firm and year: what the canned query ``weak-performers`` asks of a
firm's financial years, computed once per build (vectorised) instead of on every query.

For each firm and each year ``Y`` it reported (a ``FinancialYear`` with a year), taking ``Y``
as the firm's *latest* year:

- ``min_revenue``: the smallest revenue any source reports for ``Y`` (none when no source
  gives one);
- ``revenue_3y_before``: the smallest revenue reported for ``Y - 3`` (none when that year or its
  revenue is missing);
- ``loss_years``: the number of years in ``Y - 2 .. Y`` with a net loss (``net_profit < 0``)
  reported by any source; a missing year counts as no loss;
- ``weak_reason``: ``"revenue decline"`` when ``min_revenue < revenue_3y_before``, ``"losses"``
  when ``loss_years >= 2``, ``"revenue decline, losses"`` when both, else none.

``Y`` is the firm's latest year up to a year-end ``C`` exactly when ``Y <= C`` and the firm's
next reported year (``next_year``) is after ``C``. So the rows keyed by year give the answer
for *any* as_of, not only the build date: :func:`weak_years` lists, for each weak firm-year,
the year-ends it holds for (``weak_at``: ``Y .. next_year - 1``) or, for the firm's last
reported year, ``weak_since = Y`` (it holds for every later year-end).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kg.derive.text import take_text, text_column

__all__ = ["firm_years", "weak_years", "performance_facts", "size_figures", "WEAK_COLUMNS"]

#: Columns of :func:`weak_years`.
WEAK_COLUMNS = ["iri", "firm", "year", "weak_reason", "min_revenue", "revenue_3y_before", "loss_years",
                "next_year", "weak_at", "weak_since"]

#: Years compared for a revenue decline, and the loss window (the latest year and the two before).
DECLINE_YEARS = 3
LOSS_WINDOW = 3
MIN_LOSS_YEARS = 2


def _numbers(col: pd.Series) -> np.ndarray:
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def _keyed(fin: pd.DataFrame, codes=None, year=None):
    """Integer keys (firm code * YEAR_SPAN + year) of the rows with a year, and the firm codes.
    ``codes`` (each row's firm code in IRI order, -1 when missing; the firms) and ``year`` (as
    floats) when known."""
    codes, firms = codes if codes is not None else pd.factorize(fin["from_iri"].to_numpy(dtype=object), sort=True)
    if year is None:
        year = pd.to_numeric(fin["year"], errors="coerce").to_numpy(dtype=float)
    keep = ~np.isnan(year) & (codes >= 0)
    key = np.full(len(fin), -1, dtype=np.int64)
    key[keep] = codes[keep].astype(np.int64) * YEAR_SPAN + year[keep].astype(np.int64)
    return key, keep, firms if isinstance(firms, pa.Array) else np.asarray(firms, dtype=object)


#: Keys are firm code * YEAR_SPAN + year (years 0 .. 9999).
YEAR_SPAN = 10_000


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``wanted`` in the sorted unique ``keys`` and whether each is there."""
    pos = np.searchsorted(keys, wanted)
    found = pos < len(keys)
    found[found] = keys[pos[found]] == wanted[found]
    return np.where(found, pos, 0), found


def _column(fin: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    return pd.Series(fin[name].to_numpy()[rows], dtype=object) if name in fin else pd.Series(np.full(len(rows), np.nan))


def _years(key: np.ndarray, rev: np.ndarray, loss: np.ndarray, firms: np.ndarray) -> dict:
    """The firm-year arrays of :func:`firm_years` from the keys, revenues and losses of the rows
    with a key."""
    keys, inv = np.unique(key, return_inverse=True)
    min_rev = np.full(len(keys), np.inf)
    np.fmin.at(min_rev, inv, np.where(np.isnan(rev), np.inf, rev))
    min_rev[np.isinf(min_rev)] = np.nan
    any_loss = np.zeros(len(keys), bool)
    np.logical_or.at(any_loss, inv, loss)
    code, year = keys // YEAR_SPAN, keys % YEAR_SPAN
    same_next = np.append(code[1:] == code[:-1], False)
    next_year = np.where(same_next, np.append(year[1:], 0), np.nan).astype(float)
    return {"firm": firms[code] if firms is not None else None, "year": year, "min_revenue": min_rev, "loss": any_loss, "next_year": next_year,
            "_key": keys, "_code": code, "_inv": inv.reshape(-1)}


def firm_years(fin: pd.DataFrame) -> pd.DataFrame:
    """Per firm and reported year (columns ``firm, year, min_revenue, loss, next_year``,
    sorted): the smallest reported revenue (NaN if none), whether any source reports a loss,
    and the firm's next reported year (NaN for its last).

    ``fin`` is the financial-year table of a build (``from_iri``, ``year``, ``revenue``,
    ``net_profit``); rows without a year are left out.

    >>> fin = pd.DataFrame({"from_iri": ["f", "f", "f"], "year": [2020, 2020, 2022],
    ...                     "revenue": [110.0, 100.0, None], "net_profit": [1.0, -1.0, 2.0]})
    >>> firm_years(fin)[["firm", "year", "min_revenue", "loss", "next_year"]].values.tolist()
    [['f', 2020, 100.0, True, 2022.0], ['f', 2022, nan, False, nan]]
    """
    cols = {"firm": pd.Series(dtype=object), "year": pd.Series(dtype=np.int64), "min_revenue": pd.Series(dtype=float),
            "loss": pd.Series(dtype=bool), "next_year": pd.Series(dtype=float)}
    if not len(fin):
        return pd.DataFrame(cols)
    key, keep, firms = _keyed(fin)
    if not keep.any():
        return pd.DataFrame(cols)
    rows = np.flatnonzero(keep)
    rev = _numbers(_column(fin, "revenue", rows))
    loss = (_numbers(_column(fin, "net_profit", rows)) < 0)
    out = _years(key[rows], rev, loss, firms)
    del out["_code"], out["_inv"]
    return pd.DataFrame(out)


def _sorted_rows(rows: np.ndarray, key: np.ndarray, iri: np.ndarray) -> np.ndarray:
    """``rows`` (ascending) ordered by their key (firm code, year), then by ``iri`` (text)
    within a key: what a stable sort on firm, year and iri gives, comparing text only where two
    rows share a firm and a year."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    same = k[1:] == k[:-1]
    tie = np.zeros(len(k), dtype=bool)
    tie[1:] |= same
    tie[:-1] |= same
    if tie.any():
        at = np.flatnonzero(tie)
        group = np.cumsum(np.append(True, ~same))[at]
        text = iri[order[at]]
        by = sorted(range(at.size), key=lambda t: (group[t], not isinstance(text[t], str),
                                                   text[t] if isinstance(text[t], str) else ""))
        order[at] = order[at][by]
    return rows[order]


def weak_years(fin: pd.DataFrame, firms=None, *, codes=None, year=None) -> pd.DataFrame:
    """The weak firm-years, one row per FinancialYear node of such a year (two sources
    reporting the same year: two rows with the same figures). Columns :data:`WEAK_COLUMNS`:
    ``iri`` (the FinancialYear node), ``firm``, ``year``, ``weak_reason``, ``min_revenue``,
    ``revenue_3y_before`` (NaN when missing), ``loss_years``, ``next_year`` (None for the last
    year), ``weak_at`` (the year-ends ``year .. next_year - 1`` for which this is the latest
    year; empty for the last year) and ``weak_since`` (``year`` for the last year, else None).
    ``firms`` (IRIs) keeps the rows of those firms only. ``codes`` (each row's firm code in IRI
    order, -1 when missing; the firms, sorted) and ``year`` (floats) when the caller has them.

    >>> fin = pd.DataFrame({"from_iri": ["f"] * 4, "iri": ["y19", "y20", "y22", "y23"],
    ...                     "year": [2019, 2020, 2022, 2023], "revenue": [100.0, 110.0, 105.0, 95.0],
    ...                     "net_profit": [1.0, -1.0, 1.0, -2.0]})
    >>> w = weak_years(fin)
    >>> w[["iri", "year", "weak_reason", "min_revenue", "revenue_3y_before", "loss_years"]].values.tolist()
    [['y23', 2023, 'revenue decline', 95.0, 110.0, 1]]
    >>> w["weak_at"].tolist(), w["weak_since"].tolist(), w["next_year"].tolist()
    ([[]], [2023], [None])
    """
    if not len(fin):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WEAK_COLUMNS})
    key, keep, all_firms = _keyed(fin, codes, year)
    if firms is not None:
        # the firms asked for, looked up once per firm rather than once per row
        if isinstance(all_firms, pa.Array):
            wanted = pc.is_in(all_firms, value_set=pa.array(np.asarray(firms, dtype=object), type=pa.large_string(),
                                                           from_pandas=True)).to_numpy(zero_copy_only=False)
            wanted &= pc.is_valid(all_firms).to_numpy(zero_copy_only=False)
        else:
            wanted = np.asarray(pd.Index(all_firms, dtype=object).isin(np.asarray(firms, dtype=object)), dtype=bool)
        keep &= wanted[np.maximum(key // YEAR_SPAN, 0)]
    sel = np.flatnonzero(keep)
    if not sel.size:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WEAK_COLUMNS})
    rev_rows = _numbers(_column(fin, "revenue", sel))
    loss_rows = (_numbers(_column(fin, "net_profit", sel)) < 0) if "net_profit" in fin else np.zeros(sel.size, bool)
    fy = _years(key[sel], rev_rows, loss_rows, None)
    keys = fy["_key"]
    rev = fy["min_revenue"].astype(float)
    loss = fy["loss"].astype(bool)
    pos, found = _lookup(keys, keys - DECLINE_YEARS)
    before = np.where(found, rev[pos], np.nan)
    loss_years = np.zeros(len(keys), dtype=np.int64)
    for back in range(LOSS_WINDOW):
        pos, found = _lookup(keys, keys - back)
        loss_years += (found & loss[pos]).astype(np.int64)
    decline = np.less(rev, before, where=~(np.isnan(rev) | np.isnan(before)), out=np.zeros(len(keys), bool))
    losses = loss_years >= MIN_LOSS_YEARS
    weak = decline | losses
    # back to the FinancialYear nodes of each weak firm-year, sorted by firm, year and node
    at_key = np.full(len(fin), -1, dtype=np.int64)  # each selected row's firm-year
    at_key[sel] = fy["_inv"]
    rows = sel[weak[fy["_inv"]]]
    iri_obj = fin["iri"].to_numpy(dtype=object) if not isinstance(fin["iri"].dtype, pd.StringDtype) else None
    rows = _sorted_rows(rows, key[rows], iri_obj[rows] if iri_obj is not None else
                        fin["iri"].array.take(rows).to_numpy(dtype=object))
    at = at_key[rows]
    year = fy["year"][at]
    nxt = fy["next_year"][at]
    last = np.isnan(nxt)
    reason = np.where(decline[at] & losses[at], 2, np.where(decline[at], 1, 0))
    next_year = np.full(len(rows), None, dtype=object)
    next_year[~last] = nxt[~last].astype(np.int64).tolist()
    since = np.full(len(rows), None, dtype=object)
    since[last] = year[last].tolist()
    out = pd.DataFrame({
        "iri": take_text(fin["iri"], rows),
        "firm": text_column(all_firms, fy["_code"][at]),
        "year": year,
        "weak_reason": text_column(np.array(["losses", "revenue decline", "revenue decline, losses"], dtype=object),
                                   reason),
        "min_revenue": rev[at],
        "revenue_3y_before": before[at],
        "loss_years": loss_years[at],
        "next_year": pd.Series(next_year, dtype=object),
        "weak_at": [[] if la else list(range(y, n)) for la, y, n in
                    zip(last.tolist(), year.tolist(), np.nan_to_num(nxt).astype(np.int64).tolist(), strict=True)],
        "weak_since": pd.Series(since, dtype=object),
    })
    return out


def performance_facts(res, *, codes=None, year=None) -> pd.DataFrame:
    """The weak firm-years a build stores (:func:`weak_years`), for the firms with a
    certification on record (any programme, any date: the canned query asks about certified
    firms only, and the certification's validity is checked at query time for its as_of).
    ``codes`` and ``year``: as :func:`weak_years` takes them.

    >>> from types import SimpleNamespace
    >>> fin = pd.DataFrame({"from_iri": ["f", "f", "g", "g"], "iri": ["fy1", "fy2", "gy1", "gy2"],
    ...                     "year": [2022, 2023, 2022, 2023], "revenue": [1.0] * 4, "net_profit": [-1.0] * 4})
    >>> res = SimpleNamespace(financials=fin, links={"CERTIFIED_AS": pd.DataFrame({"from_iri": ["g"]})})
    >>> performance_facts(res)["iri"].tolist()  # g's second loss year; f is not certified
    ['gy2']
    """
    cert = res.links.get("CERTIFIED_AS")
    firms = cert["from_iri"].unique() if cert is not None and len(cert) else []
    return weak_years(res.financials, firms=firms, codes=codes, year=year)


def size_figures(fin: pd.DataFrame, size_year: pd.Series) -> pd.DataFrame:
    """The figures of the year a firm's size class comes from, as the canned query
    ``sme-threshold-breaches`` shows them: over the firm's FinancialYear nodes of that year that
    give both employees and revenue, the largest of each (sources may differ). ``size_year`` is
    indexed by firm IRI; returns ``size_employees`` and ``size_revenue`` indexed by firm, only
    for firms with such a node.

    >>> fin = pd.DataFrame({"from_iri": ["f", "f", "f", "g"], "year": [2022, 2023, 2023, 2023],
    ...                     "employees": [5, 1000, 1200, 7], "revenue": [1.0, 5e8, 4e8, None]})
    >>> size_figures(fin, pd.Series({"f": 2023, "g": 2023})).reset_index().values.tolist()
    [['f', 1200, 500000000.0]]
    """
    empty = pd.DataFrame({"size_employees": pd.Series(dtype=object), "size_revenue": pd.Series(dtype=float)})
    if not len(fin) or not len(size_year):
        return empty
    emp = _numbers(fin["employees"]) if "employees" in fin else np.full(len(fin), np.nan)
    rev = _numbers(fin["revenue"]) if "revenue" in fin else np.full(len(fin), np.nan)
    year = pd.to_numeric(fin["year"], errors="coerce").to_numpy(dtype=float)
    want = pd.to_numeric(pd.Series(fin["from_iri"].to_numpy(dtype=object)).map(size_year), errors="coerce").to_numpy(dtype=float)
    keep = (year == want) & ~np.isnan(emp) & ~np.isnan(rev)
    if not keep.any():
        return empty
    rows = pd.DataFrame({"firm": fin["from_iri"].to_numpy(dtype=object)[keep], "emp": emp[keep], "rev": rev[keep]})
    out = rows.groupby("firm", sort=True).agg(size_employees=("emp", "max"), size_revenue=("rev", "max"))
    out["size_employees"] = [int(x) for x in out["size_employees"]]
    out["size_employees"] = out["size_employees"].astype(object)
    out.index.name = None
    return out

