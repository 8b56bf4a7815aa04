"""SME size classes of the 2011 classification (工信部联企业〔2011〕300号, 中小企业划型标准规定).

The thresholds are data, one row per sector and size class, in
``kg/domain/sme_size_thresholds.csv`` (columns ``sector, sector_zh, aliases, size,
min_employees, min_revenue_yuan, min_assets_yuan, combine, source, note``; an empty threshold
means the rule does not use that criterion for the sector). Rules:

- A firm is in the largest class whose lower bounds it meets. ``combine='and'``: every
  criterion the sector uses must be met ("大型、中型和小型企业须分别同时满足所列指标的下限，否则
  下划一档"); ``'or'``: any one suffices. ``micro`` is what is left (below the small bounds on
  any criterion). Industry (工业): large = employees >= 1,000 AND revenue >= 400 million yuan, so
  an SME has fewer than 1,000 employees OR revenue below 400 million yuan (DOMAIN.md).
- Sectors are matched on the ``sector`` key, the Chinese name or an alias (case-insensitive).
  Unknown or missing sectors use ``'industry'`` (the firms in this graph are mostly
  manufacturers; pass ``default_sector`` to change it). Sectors with ``size='none'`` rows
  (``finance``: financial firms have their own rule; ``government``) get ``None``.
- Missing figures (NaN/None): a class is given only when the known figures decide it
  whatever the missing ones are; otherwise ``None``. So with employees known and revenue
  missing, an industrial firm with 10 employees is ``micro`` (below 20 on one criterion), one
  with 500 employees is ``None`` (medium or smaller). Both missing gives ``None``.
- Revenue and assets are in yuan (万元 x 1e4, 亿元 x 1e8).

>>> size_class([4000, 300, 10, None, 5000], [4.5e9, 1.2e8, 1e9, 5e8, 3e8]).tolist()
['large', 'medium', 'micro', None, 'medium']
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_SECTOR",
    "SIZES",
    "THRESHOLDS_PATH",
    "thresholds",
    "normalise_sector",
    "size_class",
    "size_classes",
    "is_sme",
]

#: Sector used for unknown or missing sectors.
DEFAULT_SECTOR = "industry"
#: Size classes, largest first.
SIZES = ("large", "medium", "small", "micro")
#: The threshold table shipped with the package.
THRESHOLDS_PATH = Path(__file__).parent.parent / "domain" / "sme_size_thresholds.csv"

_METRICS = (
    ("employees", "min_employees"),
    ("revenue", "min_revenue_yuan"),
    ("assets", "min_assets_yuan"),
)


@cache
def thresholds() -> pd.DataFrame:
    """The threshold table (one row per sector and size class), read once with pandas.

    >>> t = thresholds()
    >>> row = t[(t.sector == "industry") & (t["size"] == "large")].iloc[0]
    >>> int(row.min_employees), int(row.min_revenue_yuan), row["combine"]
    (1000, 400000000, 'and')
    """
    t = pd.read_csv(THRESHOLDS_PATH, dtype={"sector": str, "size": str, "combine": str})
    for _, col in _METRICS:
        t[col] = pd.to_numeric(t[col], errors="raise").astype(float)
    bad = set(t["size"]) - set(SIZES) - {"none"}
    if bad:
        raise ValueError(f"{THRESHOLDS_PATH.name}: unknown size classes {sorted(bad)}")
    return t


@cache
def _alias_map() -> dict[str, str]:
    t = thresholds()
    out: dict[str, str] = {}
    for key, zh, aliases in (
        t[["sector", "sector_zh", "aliases"]].drop_duplicates().itertuples(index=False)
    ):
        names = [key, zh, *(str(aliases).split("|") if isinstance(aliases, str) else [])]
        for name in names:
            out[str(name).strip().casefold()] = key
    return out


def normalise_sector(sector, default_sector: str = DEFAULT_SECTOR):
    """Sector keys of the threshold table for sector names (key, Chinese name or alias).

    Works on a scalar (returns a str) or on an array/Series (returns an object array).
    Unknown and missing names map to ``default_sector``.

    >>> normalise_sector("软件和信息技术服务业"), normalise_sector("Robotics")
    ('software', 'industry')
    >>> normalise_sector(["制造业", None, "finance"]).tolist()
    ['industry', 'industry', 'finance']
    """
    amap = _alias_map()
    if default_sector not in set(amap.values()):
        raise ValueError(f"unknown default sector {default_sector!r}")

    def one(s):
        if s is None or (isinstance(s, float) and np.isnan(s)) or s is pd.NA:
            return default_sector
        return amap.get(str(s).strip().casefold(), default_sector)

    if np.ndim(sector) == 0 and not isinstance(sector, (pd.Series, list, tuple, np.ndarray)):
        return one(sector)
    values = pd.Series(np.asarray(sector, dtype=object) if isinstance(sector, (pd.Series, np.ndarray)) else list(sector),
                       dtype=object)
    codes, uniq = pd.factorize(values)  # each distinct name looked up once; missing -> -1
    mapped = np.array([one(u) for u in uniq] + [default_sector], dtype=object)
    return mapped[codes]


def _figures(x, n: int) -> np.ndarray:
    if x is None:
        return np.full(n, np.nan)
    if isinstance(x, (pd.Series, np.ndarray)):  # as they are: a list of a long column is slow
        values = pd.Series(np.asarray(x, dtype=object), dtype=object)
    else:
        values = pd.Series(list(np.atleast_1d(x)) if np.ndim(x) == 0 else list(x), dtype=object)
    arr = pd.to_numeric(values, errors="coerce")
    arr = arr.to_numpy(dtype=float)
    if arr.size == 1 and n != 1:
        arr = np.full(n, arr[0])
    if arr.size != n:
        raise ValueError(f"expected {n} values, got {arr.size}")
    return arr


def _tier_test(row, figures: dict[str, np.ndarray], sel: np.ndarray):
    """Three-valued test of one size-class row: (True mask, unknown mask) over ``sel``."""
    used = [(figures[name][sel], row[col]) for name, col in _METRICS if not np.isnan(row[col])]
    m = int(sel.sum())
    if not used:
        return np.zeros(m, bool), np.ones(m, bool)
    known = [~np.isnan(v) for v, _ in used]
    passed = [k & (v >= t) for (v, t), k in zip(used, known, strict=True)]
    failed = [k & (v < t) for (v, t), k in zip(used, known, strict=True)]
    if row["combine"] == "or":
        true = np.logical_or.reduce(passed)
        false = np.logical_and.reduce(failed)
    else:  # 'and'
        true = np.logical_and.reduce(passed)
        false = np.logical_or.reduce(failed)
    return true, ~true & ~false


def _classify(employees, revenue, sector, assets, default_sector):
    scalar = all(np.ndim(x) == 0 for x in (employees, revenue)) and not isinstance(
        employees, (pd.Series, list, tuple, np.ndarray)
    )
    n = 1 if scalar else len(employees)
    figures = {
        "employees": _figures(employees, n),
        "revenue": _figures(revenue, n),
        "assets": _figures(assets, n),
    }
    if sector is None:
        sec = np.full(n, default_sector, dtype=object)
    else:
        sec = normalise_sector(sector if np.ndim(sector) else [sector] * n, default_sector)
        if sec.size != n:
            raise ValueError(f"expected {n} sectors, got {sec.size}")
    codes, keys = pd.factorize(sec)
    out, sme = _by_sector(figures, codes, keys, n)
    return out, sme, scalar


def _by_sector(figures: dict[str, np.ndarray], codes: np.ndarray, keys, n: int):
    """Size class and SME flag of ``n`` firms from their ``figures`` and sector (``keys[codes]``,
    normalised sector keys)."""
    t = thresholds()
    out = np.full(n, None, dtype=object)
    sme = np.full(n, None, dtype=object)
    for k, key in sorted(enumerate(str(k) for k in keys), key=lambda kv: kv[1]):
        sel = codes == k
        rows = t[t.sector == key].set_index("size")
        if "none" in rows.index:
            continue  # outside the rule: no size class
        res = np.full(int(sel.sum()), None, dtype=object)
        open_ = np.ones(res.size, bool)
        for size in SIZES[:-1]:  # large, medium, small; a firm takes the first it meets
            true, unknown = _tier_test(rows.loc[size], figures, sel)
            if size == "large":
                s = np.full(res.size, None, dtype=object)
                s[true] = False
                s[~true & ~unknown] = True
                sme[sel] = s
            res[open_ & true] = size
            open_ &= ~true & ~unknown  # undecided (unknown) stays None
        res[open_] = "micro"
        out[sel] = res
    return out, sme


def size_classes(employees: np.ndarray, revenue: np.ndarray, sectors, firm: np.ndarray,
                 default_sector: str = DEFAULT_SECTOR) -> np.ndarray:
    """:func:`size_class` of many firm-years at once: ``employees`` and ``revenue`` as floats
    (NaN when missing), ``sectors`` the sector name of each firm (normalised once per firm) and
    ``firm`` each row's position in ``sectors``.

    >>> size_classes(np.array([4000.0, 150.0, 150.0]), np.array([4.5e9, 2e7, 2e7]),
    ...              np.array(["software", "industry"], dtype=object), np.array([1, 0, 1])).tolist()
    ['large', 'medium', 'small']
    """
    n = len(employees)
    figures = {"employees": np.asarray(employees, dtype=float), "revenue": np.asarray(revenue, dtype=float),
               "assets": np.full(n, np.nan)}
    per_firm, keys = pd.factorize(normalise_sector(np.asarray(sectors, dtype=object), default_sector))
    return _by_sector(figures, per_firm[np.asarray(firm, dtype=np.int64)], keys, n)[0]


def _wrap(values: np.ndarray, scalar: bool, like):
    if scalar:
        return values[0]
    if isinstance(like, pd.Series):
        return pd.Series(values, index=like.index, dtype=object)
    return values


def size_class(employees, revenue, sector=None, *, assets=None, default_sector=DEFAULT_SECTOR):
    """Size class ``'large' | 'medium' | 'small' | 'micro'`` or ``None`` per firm (vectorised).

    ``employees``, ``revenue`` (yuan), ``sector`` and ``assets`` (total assets in yuan, used by
    construction, real estate, leasing and business services) are scalars, sequences, arrays
    or Series of equal length, matched by position. Returns an object Series with the index of
    ``employees`` when that is a Series, an object array for other sequences, a scalar for
    scalars. See the module docstring for the rules.

    >>> size_class(1000, 4e8), size_class(999, 4e9), size_class(300, 2e7), size_class(19, 1e9)
    ('large', 'medium', 'medium', 'micro')
    >>> size_class([150, 150], [2e7, 2e7], ["software", "industry"]).tolist()
    ['medium', 'small']
    >>> size_class(None, None), size_class(10, None), size_class(500, None)
    (None, 'micro', None)
    >>> size_class(5, 1e9, "finance") is None
    True
    """
    out, _, scalar = _classify(employees, revenue, sector, assets, default_sector)
    return _wrap(out, scalar, employees)


def is_sme(employees, revenue, sector=None, *, assets=None, default_sector=DEFAULT_SECTOR):
    """``True`` if the firm is an SME (below the large thresholds), ``False`` if large,
    ``None`` when the known figures do not decide it (or the sector is outside the rule).

    Decided more often than :func:`size_class`: 500 employees with unknown revenue is an
    industrial SME (fewer than 1,000 employees), though its class is unknown.

    >>> is_sme([500, 1200, 1200, None], [None, 5e8, None, None]).tolist()
    [True, False, None, None]
    """
    _, sme, scalar = _classify(employees, revenue, sector, assets, default_sector)
    return _wrap(sme, scalar, employees)
