"""Which rows of a link table hold on a day: start/end columns of partial dates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["valid_on", "distinct_objects"]


def _undated(d) -> bool:
    return d is None or d != d  # None or NaN


def valid_on(frame: pd.DataFrame, day: dt.date, start: str | None = "start", end: str | None = "end") -> np.ndarray:
    """A mask of the rows whose [start, end] period contains ``day``: a start-like partial date
    counts from its first day, an end-like one to its last day; a missing date (or column, or
    ``None`` for the name) does not limit. Each distinct date is compared once.

    >>> import datetime as dt
    >>> from kg.values.dates import parse as parse_date
    >>> f = pd.DataFrame({"start": [parse_date("2015"), None], "end": [parse_date("2019"), None]})
    >>> valid_on(f, dt.date(2019, 12, 31)).tolist(), valid_on(f, dt.date(2020, 1, 1)).tolist()
    ([True, True], [False, True])
    >>> valid_on(f, dt.date(2014, 6, 1), end=None).tolist()  # started by then (no end test)
    [False, True]
    """
    ok = np.ones(len(frame), dtype=bool)
    for col, holds in ((start, lambda d: d.first_day() <= day), (end, lambda d: d.last_day() >= day)):
        if col is None or col not in frame or not len(frame):
            continue
        values = frame[col]
        seen = {d: holds(d) for d in values[~values.map(_undated)].unique()}
        ok &= ~values.map(seen).eq(False).to_numpy(dtype=bool)  # undated rows map to NaN: kept
    return ok


def distinct_objects(values: np.ndarray) -> tuple[np.ndarray, list]:
    """Codes of an object array's values (-1 for None) and the value of each code, grouped by
    identity: the loaders parse each distinct value once, so equal dates are mostly one object,
    and hashing a dataclass per row costs more than its identity. Equal values may get several
    codes; every code maps to its own value.

    >>> from kg.values.dates import PartialDate
    >>> d = PartialDate(2021)
    >>> distinct_objects(np.array([d, None, d, PartialDate(2021)], dtype=object))
    (array([ 0, -1,  0,  1]), [PartialDate(year=2021, month=None, day=None), PartialDate(year=2021, month=None, day=None)])
    """
    if not len(values):
        return np.zeros(0, dtype=np.int64), []
    ids = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    codes, uniq_ids = pd.factorize(ids)
    first = np.full(len(uniq_ids), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(values) - 1, -1, -1)  # the first row of each code
    uniq = values[first].tolist()
    if None in uniq:  # None is one object: its code becomes -1, the codes after it shift down
        k = next(i for i, v in enumerate(uniq) if v is None)
        codes = np.where(codes == k, -1, codes - (codes > k))
        del uniq[k]
    return codes.astype(np.int64), uniq
