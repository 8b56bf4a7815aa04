"""Which rows of a link table hold on a day: start/end columns of partial dates.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["valid_on"]


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
