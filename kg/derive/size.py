"""SME size classes from the 2011 classification (工信部联企业〔2011〕300号), by sector.

The thresholds are data: kg/domain/sme_size_thresholds.csv (sector, size, min_employees,
min_revenue_yuan, combine, source). A firm is in the largest class whose thresholds it meets
(industry: large when employees >= 1000 AND revenue >= 400 million yuan; so an SME has fewer
than 1,000 employees OR revenue below 400 million). Unknown sectors use 'industry'. With one of
employees/revenue missing, a class is given only when the known figure alone decides it
(e.g. employees below 20 is micro whatever the revenue); with both missing, None.

>>> size_class([4000, 300, 10, None, 5000], [4.5e9, 1.2e8, 1e9, 5e8, 3e8]).tolist()
['large', 'medium', 'micro', None, 'medium']
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_SECTOR = "industry"
ORDER = ("large", "medium", "small", "micro")


@cache
def thresholds() -> pd.DataFrame:
    """The threshold table (one row per sector and size class)."""
    path = Path(__file__).resolve().parents[1] / "domain" / "sme_size_thresholds.csv"
    return pd.read_csv(path, dtype={"sector": str, "size": str, "combine": str})


def size_class(employees, revenue, sector=None) -> pd.Series:
    """Size class per firm: 'large' | 'medium' | 'small' | 'micro' | None (vectorised)."""
    emp = pd.to_numeric(pd.Series(list(employees), dtype=object), errors="coerce").to_numpy(dtype=float)
    rev = pd.to_numeric(pd.Series(list(revenue), dtype=object), errors="coerce").to_numpy(dtype=float)
    n = len(emp)
    sec = pd.Series(list(sector) if sector is not None else [None] * n, dtype=object)
    table = thresholds()
    known = set(table["sector"])
    sec = sec.where(sec.isin(known), DEFAULT_SECTOR).to_numpy()
    out = np.full(n, None, dtype=object)
    for s in np.unique(sec):
        rows = table[table["sector"] == s].set_index("size")
        sel = sec == s
        e, r = emp[sel], rev[sel]
        res = np.full(int(sel.sum()), None, dtype=object)
        both = ~np.isnan(e) & ~np.isnan(r)
        for size in ORDER:  # largest class first; a firm takes the first whose thresholds it meets
            meets = both & (e >= rows.loc[size, "min_employees"]) & (r >= rows.loc[size, "min_revenue_yuan"])
            res[meets & pd.isna(res)] = size
        # one figure missing: decided only when the known one is below the 'small' threshold (micro)
        small_e, small_r = rows.loc["small", "min_employees"], rows.loc["small", "min_revenue_yuan"]
        one = ~both & ~(np.isnan(e) & np.isnan(r))
        res[one & ((e < small_e) | (r < small_r))] = "micro"
        out[sel] = res
    return pd.Series(out, dtype=object)
