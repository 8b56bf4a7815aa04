"""Apply a table's mapping to a raw table: typed columns, defaults, rejects.

>>> import pandas as pd, pathlib
>>> from kg.sources.tabular import RawTable
>>> from kg.loaders.mapping import load_mapping
>>> from kg.records import Records
>>> m = load_mapping()
>>> raw = RawTable("ownership", pathlib.Path("ownership.csv"),
...                pd.DataFrame({"股东": ["a", "a"], "被持股企业": ["b", "c"], "持股比例": ["51%", "130%"]}))
>>> recs = Records()
>>> load_table(raw, m.tables["ownership"], m, recs)
>>> recs.links["OWNS"][0][["from_ref", "to_ref", "share", "row"]].to_dict("records")
[{'from_ref': 'a', 'to_ref': 'b', 'share': 0.51, 'row': 2}]
>>> recs.rejects[0].line()
"ownership.csv:3:持股比例: value '130%' is not a share between 0 and 100%; expected 0.51, 51% or 51"
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kg.loaders.columns import COLUMN_TYPES
from kg.loaders.mapping import Mapping, MappingError, TableSpec
from kg.records import FileCount, Records, Reject, with_nones
from kg.sources.tabular import RawTable
from kg.values import dates, text, ticker
from kg.values.amount import Amount
from kg.values.errors import ValueProblem

_MISSING = object()


def _column_map(raw: RawTable, spec: TableSpec, records: Records) -> dict[str, str]:
    """spec column -> header in the file; unknown headers are reported as warnings."""
    found: dict[str, str] = {}
    ignored = []
    for h in raw.frame.columns:
        col = spec.column_for_header(h)
        if col is None:
            ignored.append(h)
        elif col in found:  # two headers for one column: which one holds the data is a guess
            raise MappingError(
                f"{raw.label}:1: headers {found[col]!r} and {h!r} both name column {col!r} of table "
                f"{spec.name}; keep one of them (accepted headers: {spec.accepted_headers(col)})"
            )
        else:
            found[col] = h
    missing = [c.name for c in spec.columns.values() if c.required and c.name not in found]
    if missing:
        c = missing[0]
        raise MappingError(
            f"{raw.label}:1: missing required column {c!r} for table {spec.name}; "
            f"accepted headers: {spec.accepted_headers(c)}"
        )
    if ignored:
        records.warnings.append(f"{raw.label}: ignored columns not in the {spec.name} mapping: {', '.join(map(str, ignored))}")
    return found


def _nones(s: pd.Series) -> pd.Series:
    """Object column with None (not NaN) for missing values."""
    s = s.astype(object)
    return s.where(s.notna(), None)


def _map_unique(s: pd.Series, f) -> pd.Series:
    """Apply f once per distinct value (columns repeat values a lot)."""
    uniq = s.unique()
    return _nones(s.map(dict(zip(uniq, map(f, uniq), strict=True))))


def _fast_numbers(cleaned: pd.Series, ctype: str) -> pd.Series | None:
    """Plain numbers of numeric column types, converted in bulk (C speed); None where a value
    needs the full parser (units, separators, percent signs, errors). Same results as the
    parsers in kg.values for the values it takes."""
    if ctype not in ("share", "rate", "amount", "money", "signed_money", "integer", "year"):
        return None
    num = pd.to_numeric(cleaned.where(cleaned.map(_plain, na_action="ignore").fillna(False).astype(bool)), errors="coerce")
    v = num.to_numpy(dtype=float)
    ok = np.isfinite(v)
    out = pd.Series([None] * len(v), index=cleaned.index, dtype=object)
    if ctype in ("share", "rate"):
        ok &= (v >= 0) & (v <= 100)
        vals = np.where(v > 1, v / 100, v)
        out[ok] = vals[ok]
    elif ctype == "amount":
        ok &= v >= 0
        out[ok] = [Amount(float(x), None, None) for x in v[ok]]
    elif ctype in ("money", "signed_money"):
        if ctype == "money":
            ok &= v >= 0
        out[ok] = v[ok]
    else:
        ok &= (v == np.floor(np.where(ok, v, 0))) & (v >= (1800 if ctype == "year" else 0))
        if ctype == "year":
            ok &= v <= 2200
        out[ok] = [int(x) for x in v[ok]]
    return out


_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _plain(v: str) -> bool:
    return bool(_PLAIN.fullmatch(v))


def _is_problem(s: pd.Series) -> pd.Series:
    types = s.map(type)
    return types == ValueProblem


def _parse_unique(values: pd.Series, parse, mapping: Mapping) -> dict:
    out = {}
    for v in values.unique():
        if v is None:
            continue
        try:
            out[v] = parse(v, mapping)
        except ValueProblem as e:
            out[v] = e
    return out


def load_table(raw: RawTable, spec: TableSpec, mapping: Mapping, records: Records) -> None:
    """Type the columns of ``raw`` per ``spec``; add good rows to ``records``, bad ones to its rejects."""
    cols = _column_map(raw, spec, records)
    frame = raw.frame
    n = len(frame)
    records.files.append(FileCount(raw.label, spec.name, n))
    for cname, header in cols.items():
        records.headers[(raw.label, cname)] = header
    rows = pd.RangeIndex(2, n + 2)
    bad = pd.Series(False, index=range(n))
    out: dict[str, pd.Series] = {}
    for cname, cspec in spec.columns.items():
        header = cols.get(cname)
        if header is None:
            out[cname] = pd.Series([None] * n, dtype=object)
            continue
        cleaned = _map_unique(frame[header], text.clean)
        if cspec.required:
            empty = cleaned.isna()
            for i in empty[empty].index:
                records.rejects.append(
                    Reject(raw.label, int(rows[i]), header, "", f"value '' is empty; expected a {cname} (required)")
                )
            bad |= empty
        if cspec.type == "ticker" and cspec.options.get("exchange_column") in cols:
            hint_header = cols[cspec.options["exchange_column"]]
            hints = _map_unique(frame[hint_header], text.clean)
            pairs = pd.Series(list(zip(cleaned, hints, strict=True)), dtype=object)
            parsed_map = {}
            for v, h in set(pairs):
                if v is None:
                    continue
                try:
                    parsed_map[(v, h)] = ticker.parse(v, exchange_hint=h)
                except ValueProblem as e:
                    parsed_map[(v, h)] = e
            parsed = pairs.map(lambda p, m=parsed_map: m.get(p) if p[0] is not None else None)
        else:
            parsed = _fast_numbers(cleaned, cspec.type)
            rest = cleaned[parsed.isna() & cleaned.notna()] if parsed is not None else cleaned
            parsed_map = _parse_unique(rest, COLUMN_TYPES[cspec.type], mapping)
            slow = _nones(rest.map(parsed_map))
            if parsed is None:
                parsed = slow
            else:
                parsed = parsed.astype(object)
                parsed[slow.index] = slow
                parsed = _nones(parsed)
        is_err = _is_problem(parsed)
        for i in is_err[is_err].index:
            e = parsed[i]
            records.rejects.append(Reject(raw.label, int(rows[i]), header, str(frame[header][i]), str(e)))
        bad |= is_err
        out[cname] = parsed.where(~is_err, None)

    typed = pd.DataFrame(out)
    typed["row"] = list(rows)
    typed["file"] = raw.label
    src = typed["source"] if "source" in typed else pd.Series([None] * n, dtype=object)
    typed["source"] = src.where(src.notna(), raw.label)
    typed = with_nones(typed[~bad.values].reset_index(drop=True))
    _split_amount(typed, spec, records, raw, cols)
    if "_drop" in typed:
        typed = typed[~typed.pop("_drop").astype(bool)].reset_index(drop=True)
    _apply_defaults(typed, spec)
    if spec.record != "entity":
        # link ends get fixed names (from_ref, to_ref); other columns their ontology property
        renames = {c.name: c.property for c in spec.columns.values() if c.property and c.name != "source"}
        renames[spec.from_col] = "from_ref"
        if spec.to_col:
            renames[spec.to_col] = "to_ref"
        typed = typed.rename(columns=renames)
        for role, col in (("from_ref", spec.from_col), ("to_ref", spec.to_col)):
            if col in cols:
                records.headers[(raw.label, role)] = cols[col]
    typed = with_nones(typed)
    records.add(spec.record, typed, spec.link)


def _split_amount(typed: pd.DataFrame, spec: TableSpec, records: Records, raw: RawTable, cols) -> None:
    """An `amount` column gives value, bound and (if written in the amount) currency."""
    for cname, c in spec.columns.items():
        if c.type != "amount":
            continue
        amounts = typed[cname]
        typed["amount_bound"] = amounts.map(lambda a: a.bound if a is not None else None)
        given_ccy = amounts.map(lambda a: a.currency if a is not None else None)
        typed[cname] = amounts.map(lambda a: a.value if a is not None else None)
        if "currency" in typed:
            clash = given_ccy.notna() & typed["currency"].notna() & (given_ccy != typed["currency"])
            for i in clash[clash].index:
                records.rejects.append(
                    Reject(raw.label, int(typed["row"][i]), cols.get(cname, cname), str(raw.frame[cols[cname]][typed["row"][i] - 2]),
                           f"value {raw.frame[cols[cname]][typed['row'][i] - 2]!r} is not in the currency of column currency ({typed['currency'][i]}); expected the same currency in both")
                )
            keep = ~clash
            for c in list(typed.columns):
                typed[c] = typed[c].where(keep, None)
            typed["currency"] = typed["currency"].where(typed["currency"].notna(), given_ccy)
            typed["_drop"] = clash


def _apply_defaults(typed: pd.DataFrame, spec: TableSpec) -> None:
    """Declarative defaults: value, start_of_year, year_of, years_after, board_of (in mapping order)."""
    for col, rule in spec.defaults.items():
        if col not in typed:
            typed[col] = None
        cur = typed[col]
        if "value" in rule:
            fill = pd.Series([rule["value"]] * len(typed), dtype=object)
        elif "start_of_year" in rule:
            fill = typed[rule["start_of_year"]].map(lambda y: dates.PartialDate(int(y)) if y is not None and y == y else None)
        elif "year_of" in rule:
            fill = typed[rule["year_of"]].map(lambda d: d.year if d is not None else None)
        elif "years_after" in rule:
            n = int(rule.get("years", 3))
            fill = typed[rule["years_after"]].map(lambda d, n=n: _years_after(d, n))
        elif "board_of" in rule:
            fill = typed[rule["board_of"]].map(lambda t: t.board if t is not None else None)
        else:
            raise MappingError(f"table {spec.name}: unknown default rule {rule!r}")
        typed[col] = cur.where(cur.notna(), fill).astype(object)


def _years_after(d, n: int):
    """Validity end: n years after the start, minus one day (a 3-year status from 2019-07-01
    runs to 2022-06-30)."""
    if d is None:
        return None
    import datetime as dt

    end = dates.add_years(d.first_day(), n) - dt.timedelta(days=1)
    return dates.PartialDate(end.year, end.month, end.day)
