"""Row checks at load that need several columns of one row: an end date before its start.

Single values are checked by their column type (kg.values); a check that compares two columns
of the same row lives here and rejects the row the same way, with one line naming file, row,
column, the value and what is accepted. Which date columns are ordered comes from the SHACL
shapes (``sh:lessThanOrEquals`` in ontology/shapes.ttl: start/end, valid_from/valid_to,
listed/delisted), so ``kg build`` rejects at load exactly what ``kg validate`` would flag.

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
>>> check_rows(raw, spec, {"start": "开始日期", "end": "结束日期"}, parsed, pd.RangeIndex(2, 4), recs).tolist()
[False, True]
>>> recs.rejects[0].line()
"ownership.csv:3:结束日期: value '2020-04' is not on or after the start '2020-05' (column 开始日期); expected an end date on or after the start date, or no end date"
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import rdflib
from rdflib.namespace import SH

from kg.loaders.mapping import TableSpec
from kg.ontology import KG, model
from kg.records import Records, Reject
from kg.resources import resource_path
from kg.sources.tabular import RawTable

__all__ = ["date_order_pairs", "check_rows"]


@cache
def date_order_pairs() -> tuple[tuple[str, str], ...]:
    """(start column, end column) pairs that must be ordered, from the shapes' ``sh:lessThanOrEquals``.

    >>> ("start", "end") in date_order_pairs() and ("listed", "delisted") in date_order_pairs()
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


def check_rows(raw: RawTable, spec: TableSpec, cols: dict[str, str], parsed: dict[str, pd.Series],
               rows: pd.Index, records: Records) -> pd.Series:
    """Reject rows whose end date is before their start date; returns the mask of those rows.

    ``cols``: mapping column -> header in the file (the columns the file has); ``parsed``:
    mapping column -> typed values (PartialDate or None), positionally aligned with the raw
    frame; ``rows``: the row number of each frame row as messages show it. The pairs of the
    shapes are looked up by each column's ontology property, so any mapping's names work.
    """
    n = len(raw.frame)
    bad = pd.Series(False, index=range(n))
    by_prop = {(spec.columns[c].property or c) if c in spec.columns else c: c for c in cols}
    for start_prop, end_prop in date_order_pairs():
        s_col, e_col = by_prop.get(start_prop), by_prop.get(end_prop)
        if s_col is None or e_col is None:
            continue
        starts = parsed[s_col].reset_index(drop=True)
        ends = parsed[e_col].reset_index(drop=True)
        both = starts.notna() & ends.notna()
        if not both.any():
            continue
        idx = both[both].index
        wrong = [i for i in idx if ends[i].last_day() < starts[i].first_day()]
        s_head, e_head = cols[s_col], cols[e_col]
        for i in wrong:
            start_raw, end_raw = str(raw.frame[s_head].iloc[i]), str(raw.frame[e_head].iloc[i])
            records.rejects.append(Reject(
                raw.label, int(rows[i]), e_head, end_raw,
                f"value {end_raw!r} is not on or after the start {start_raw!r} (column {s_head}); "
                "expected an end date on or after the start date, or no end date"))
            bad[i] = True
    return bad
