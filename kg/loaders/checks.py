"""Row checks at load that need several columns of one row: an end date before its start.

Single values are checked by their column type (kg.values); a check that compares two columns
of the same row lives here and rejects the row the same way, with one line naming file, row,
column, the value and what is accepted. Which columns are ordered comes from the SHACL shapes
(``sh:lessThanOrEquals`` in ontology/shapes.ttl: start/end, valid_from/valid_to,
listed/delisted, share_min/share_max), so ``kg build`` rejects at load what ``kg validate``
would flag.

Partial dates compare as stored: a start from its first day, an end to its last day, so
start "2020-05" with end "2020" is fine and end "2020-04" is not.

>>> import pandas as pd, pathlib
>>> from kg.sources.tabular import RawTable
>>> from kg.records import Records
>>> from kg.values.dates import parse
>>> from kg.loaders.mapping import load_mapping
>>> raw = RawTable("ownership", pathlib.Path("ownership.csv"),
...                pd.DataFrame({"开始日期": ["2020-05", "2020-05"], "结束日期": ["2020", "2020-04"]}))
>>> parsed = {"start": pd.Series([parse("2020-05")] * 2), "end": pd.Series([parse("2020"), parse("2020-04")])}
>>> spec = load_mapping().tables["ownership"]
>>> recs = Records()
>>> check_rows(raw.label, raw.frame, spec, {"start": "开始日期", "end": "结束日期"}, parsed, pd.Series([2, 3]), recs).tolist()
[False, True]
>>> recs.rejects[0].line()
"ownership.csv:3:结束日期: value '2020-04' is not on or after the start '2020-05' (column 开始日期); expected an end date on or after the start date, or no end date"
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import rdflib
from rdflib.namespace import SH

from kg.loaders.distinct import by_object
from kg.loaders.mapping import TableSpec
from kg.ontology import KG, model
from kg.records import Records, Reject
from kg.resources import resource_path
from kg.values.dates import PartialDate

__all__ = ["order_pairs", "check_rows", "check_link_frames"]


@cache
def order_pairs() -> tuple[tuple[str, str], ...]:
    """(lower column, upper column) pairs a row must keep in order, from the shapes'
    ``sh:lessThanOrEquals`` (start/end dates, share_min/share_max).

    >>> ("start", "end") in order_pairs() and ("listed", "delisted") in order_pairs()
    True
    """
    g = rdflib.Graph().parse(resource_path("ontology", "shapes.ttl"), format="turtle")
    props = model().properties
    pairs = set()
    for node, later in g.subject_objects(SH.lessThanOrEquals):
        path = g.value(node, SH.path)
        a, b = str(path).removeprefix(KG), str(later).removeprefix(KG)
        if a in props and b in props:
            pairs.add((props[a].column, props[b].column))
    return tuple(sorted(pairs))


def _keys(values: pd.Series, upper: bool) -> np.ndarray:
    """Comparable numbers: a date's first day (lower) or last day (upper) as an ordinal, a
    number as itself; NaN when missing. Each distinct value is converted once."""
    def key(v):
        if isinstance(v, PartialDate):
            return float((v.last_day() if upper else v.first_day()).toordinal())
        return float(v)

    if values.dtype != object:
        return values.map(lambda v: np.nan if pd.isna(v) else key(v)).to_numpy(dtype=float)
    codes, firsts = by_object(values.to_numpy(dtype=object))  # parsed values are shared objects
    keys = np.array([key(v) if type(v) is PartialDate else np.nan if v is None or pd.isna(v) else key(v)
                     for v in firsts], dtype=float)
    return keys[codes]


def _out_of_order(end: str, start: str, where: str, low: str, high: str, value) -> str:
    """The reason of a reject for an end before its start (dates) or an upper bound below its
    lower bound (numbers)."""
    if isinstance(value, PartialDate):
        return (f"value {end!r} is not on or after the start {start!r} ({where}); "
                "expected an end date on or after the start date, or no end date")
    return f"value {end!r} is not at least {start!r} ({where}); expected {high} >= {low}"


def check_rows(label: str, frame: pd.DataFrame, spec: TableSpec, cols: dict[str, str],
               parsed: dict[str, pd.Series], rows: pd.Series, records: Records) -> pd.Series:
    """Reject rows whose end is before their start (or upper bound below lower bound); returns
    the mask of those rows.

    ``label``: the file as messages name it; ``frame``: the table's text cells, one line per
    row (or per part of a split cell); ``cols``: mapping column -> header in the file (the
    columns the file has); ``parsed``: mapping column -> typed values (PartialDate, numbers or
    None), aligned with ``frame``; ``rows``: the row number of each line as messages show it.
    The pairs of the shapes are looked up by the ontology column each table column fills (its
    ``property``, or the record columns of the table's outputs), so any mapping's names work.
    """
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    by_prop = {(spec.columns[c].property or c) if c in spec.columns else c: c for c in cols}
    for o in getattr(spec, "outputs", ()):
        by_prop.update({target: source for target, source in o.columns.items() if source in cols})
    for low_prop, high_prop in order_pairs():
        s_col, e_col = by_prop.get(low_prop), by_prop.get(high_prop)
        if s_col is None or e_col is None:
            continue
        starts = parsed[s_col].reset_index(drop=True)
        ends = parsed[e_col].reset_index(drop=True)
        with np.errstate(invalid="ignore"):
            wrong = np.flatnonzero(_keys(ends, True) < _keys(starts, False))  # NaN compares False
        s_head, e_head = cols[s_col], cols[e_col]
        for i in wrong:
            start_raw, end_raw = str(frame[s_head].iloc[i]), str(frame[e_head].iloc[i])
            reason = _out_of_order(end_raw, start_raw, f"column {s_head}", s_head, e_head, ends[i])
            records.rejects.append(Reject(label, int(rows.iloc[i]), e_head, end_raw, reason))
        bad[wrong] = True
    return pd.Series(bad, index=range(n))


def check_link_frames(records: Records) -> None:
    """The same order checks on the link records every loader made (nested formats too: BODS,
    FtM and GLEIF give dates and share ranges per record, not per column of a table): a link
    whose end is before its start, or whose share_max is below its share_min, is rejected with
    one line naming file, record and field, and left out. Table rows were already checked
    against their headers at load, so this finds nothing new for them.

    >>> import pandas as pd
    >>> from kg.values.dates import parse
    >>> recs = Records()
    >>> recs.add("link", pd.DataFrame({"from_ref": ["a", "b"], "to_ref": ["c", "c"], "start": [parse("2021"), parse("2021")],
    ...                                "end": [parse("2022"), parse("2020-06-30")], "source": "x", "file": "x.jsonl", "row": [1, 2]}), "OWNS")
    >>> check_link_frames(recs)
    >>> recs.links["OWNS"][0]["from_ref"].tolist(), recs.rejects[0].line()
    (['a'], "x.jsonl:2:end: value '2020-06-30' is not on or after the start '2021' (field start); expected an end date on or after the start date, or no end date")
    """
    pairs = order_pairs()
    for frames in records.links.values():
        for k, frame in enumerate(frames):
            bad = np.zeros(len(frame), dtype=bool)
            for low, high in pairs:
                if low not in frame or high not in frame:
                    continue
                starts, ends = frame[low].reset_index(drop=True), frame[high].reset_index(drop=True)
                with np.errstate(invalid="ignore"):
                    wrong = np.flatnonzero(_keys(ends, True) < _keys(starts, False))
                for i in wrong:
                    if bad[i]:
                        continue
                    reason = _out_of_order(str(ends[i]), str(starts[i]), f"field {low}", low, high, ends[i])
                    records.rejects.append(Reject(str(frame["file"].iloc[i]), int(frame["row"].iloc[i]), high,
                                                  str(ends[i]), reason))
                bad[wrong] = True
            if bad.any():
                frames[k] = frame[~bad].reset_index(drop=True)
