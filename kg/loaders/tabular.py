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
import pyarrow as pa
import pyarrow.compute as pc

from kg.loaders.batches import batch_year
from kg.loaders.checks import check_rows
from kg.loaders.columns import COLUMN_TYPES, parser_for
from kg.loaders.distinct import factorize_text, map_objects, spread
from kg.loaders.mapping import ColumnSpec, Mapping, MappingError, Output, TableSpec
from kg.records import FileCount, Records, Reject, with_nones
from kg.sources.tabular import RawTable, SourceError
from kg.values import dates, text, ticker, uscc
from kg.values.amount import Amount
from kg.values.errors import ValueProblem
from kg.values.number import NUMBER_PATTERN

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
    """Apply f once per distinct value (columns repeat values a lot); missing values give None.

    >>> _map_unique(pd.Series([" a", None, " a"]), str.strip).tolist()
    ['a', None, 'a']
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    out = np.empty(len(uniq) + 1, dtype=object)  # the last slot answers code -1 (missing): None
    for k, u in enumerate(uniq):
        v = f(u)
        out[k] = None if v is not None and v != v else v  # NaN -> None
    return pd.Series(out[codes], index=s.index, dtype=object)


def _fast_numbers(cleaned: pd.Series, ctype: str, as_arrow: pa.Array | None = None) -> pd.Series | None:
    """Plain numbers of numeric column types, converted in bulk (C speed); None where a value
    needs the full parser (units, separators, percent signs, errors). Same results as the
    parsers in kg.values for the values it takes. ``as_arrow``: ``cleaned`` in Arrow, if at hand."""
    if ctype not in ("share", "rate", "amount", "money", "signed_money", "integer", "year"):
        return None
    text = as_arrow if as_arrow is not None else pa.array(cleaned.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_ANCHORED), False)
    if ctype in ("money", "signed_money"):  # 1.62亿元 is the decimal 1.62e8, read exactly as amount.parse does
        units = pc.fill_null(pc.match_substring_regex(text, _UNIT_ANCHORED), False)
        sci = pc.replace_substring_regex(pc.replace_substring_regex(text, "万元?$", "e4"), "亿元?$", "e8")
        text = pc.if_else(units, sci, text)
        plain = pc.or_(plain, units)
    v = pc.cast(pc.if_else(plain, text, None), pa.float64()).to_numpy(zero_copy_only=False)
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


_PLAIN_ANCHORED = r"^-?[0-9]+(\.[0-9]+)?$"  # plain decimals: the values taken in bulk
_UNIT_ANCHORED = r"^-?[0-9]+(\.[0-9]+)?[万亿]元?$"  # and yuan amounts in 万 or 亿 (money columns)


def _clean_distinct(values: np.ndarray, as_arrow: pa.Array | None) -> tuple[np.ndarray, pa.Array | None]:
    """kg.values.text.clean_many of distinct values (cleaned in place: the array is the
    caller's own); with their Arrow text the clean ones are found without converting them
    again. And that Arrow text when every value was clean already (else None).

    >>> vals = np.array(["a", " b "], dtype=object)
    >>> out, same = _clean_distinct(vals, pa.array(vals))
    >>> out.tolist(), same is None
    (['a', 'b'], True)
    """
    if as_arrow is None:
        return text.clean_many(values), None
    kept = pc.fill_null(pc.match_substring_regex(as_arrow, text.ALREADY_CLEAN), False).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(~kept)
    for i in rest:
        values[i] = text.clean(values[i])
    return values, as_arrow if len(rest) == 0 else None


def _is_problem(s: pd.Series) -> pd.Series:
    flags = np.fromiter((type(v) is ValueProblem for v in s.to_numpy(dtype=object)), dtype=bool, count=len(s))
    return pd.Series(flags, index=s.index)


def _parse_each(values: pd.Series, parse, mapping: Mapping) -> pd.Series:
    """Each value parsed (once per distinct value), or the ValueProblem it raised."""
    def one(v):
        try:
            return parse(v, mapping)
        except ValueProblem as e:
            return e
    return _map_unique(values, one)


def _parse_distinct(values: pd.Series, cspec: ColumnSpec, mapping: Mapping,
                    as_arrow: pa.Array | None = None) -> tuple[pd.Series, np.ndarray]:
    """The distinct cleaned texts of a column parsed by its type (plain numbers in bulk), or the
    ValueProblem each raised; None stays None. And which of them are problems. ``as_arrow``:
    the same texts in Arrow, when at hand."""
    parse = parser_for(cspec)
    problems = np.zeros(len(values), dtype=bool)
    if parse is _TEXT:  # text columns are their cleaned text
        return values, problems
    parsed = _fast_numbers(values, cspec.type, as_arrow)
    if cspec.type == "uscc":  # codes already canonical and valid are themselves
        parsed = values.where(uscc.canonical_many(values.to_numpy(dtype=object)), None)
    rest = values[parsed.isna() & values.notna()] if parsed is not None else values
    slow = _parse_each(rest, parse, mapping)
    problems[slow.index.to_numpy()] = _is_problem(slow).to_numpy()  # only a parser raises them
    if parsed is None:
        return slow, problems
    parsed = parsed.astype(object)
    parsed[slow.index] = slow
    return _nones(parsed), problems


_TEXT = COLUMN_TYPES["string"]


def row_ref(file: str, row: int, part: int, label: str) -> str:
    """The key by which a link of a row points at an entity record of the same row (resolution
    looks it up like an id; it is never written to the graph).

    >>> row_ref("list.csv", 3, 0, "firm")
    '\\x1frow\\x1flist.csv\\x1f3\\x1f0\\x1ffirm'
    """
    return f"\x1frow\x1f{file}\x1f{row}\x1f{part}\x1f{label}"


_DMY = re.compile(r"(\d{1,2})[./\- ](\d{1,2})[./\- ](\d{4})")
_PLAIN_NUMBER = re.compile(NUMBER_PATTERN)


def _prepare(v: str, c: ColumnSpec) -> str:
    """Rewrite a cell by the column's formats into text the value parsers read: decimal comma
    ("1.234,5" -> "1234.5"), day-first or month-first dates ("01.03.2020" -> "2020-03-01"),
    percent without a sign ("75,5" -> "75.5%"), a unit for bare numbers ("500" + 万元)."""
    o = c.options
    if o.get("decimal") == "," and c.type in ("share", "rate", "amount", "money", "signed_money", "integer", "year"):
        v = v.replace(".", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if c.type == "date" and o.get("date_order") in ("DMY", "MDY"):
        m = _DMY.fullmatch(v)
        if m:
            a, b, y = m.groups()
            d, mo = (a, b) if o["date_order"] == "DMY" else (b, a)
            v = f"{y}-{int(mo):02d}-{int(d):02d}"
    if o.get("percent") and not v.endswith(("%", "\uff05", "\ufe6a")):
        v += "%"
    if o.get("unit") and _PLAIN_NUMBER.fullmatch(v):
        v += str(o["unit"])
    return v


def _explode(frame: pd.DataFrame, spec: TableSpec, cols: dict[str, str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Split the table's split column into one line per value; (frame, source line index, part)."""
    n = len(frame)
    name = spec.split_column
    if name is None or name not in cols:
        return frame.reset_index(drop=True), np.arange(n), np.zeros(n, dtype=np.int64)
    header = cols[name]
    pattern = "|".join(re.escape(x) for x in spec.columns[name].options["split"])
    parts = frame[header].astype(str).map(lambda v: [p.strip() for p in re.split(pattern, v) if p.strip()] or [""])
    out = frame.assign(**{header: parts}).reset_index(drop=True)
    idx = np.repeat(np.arange(n), parts.map(len).to_numpy())
    out = out.explode(header).reset_index(drop=True)
    part = pd.Series(idx).groupby(idx).cumcount().to_numpy()
    return out, idx, part


def _constant(c: ColumnSpec, spec: TableSpec, mapping: Mapping, raw: RawTable, context: dict) -> tuple[object, str] | None:
    """(parsed value, where it came from) of a column the file lacks: its constant ``value``, else its
    ``param`` from the command line (--loader-param), else from the title row or sheet name."""
    o = c.options
    if "value" in o:
        v, where = o["value"], f"{mapping.path.name}: tables.{spec.name}.columns.{c.name}.value"
    elif "param" in o and o["param"] in context.get("params", {}):
        v, where = context["params"][o["param"]], f"--loader-param {o['param']}"
    elif "param" in o and o["param"] in context.get("title", {}):
        v, where = context["title"][o["param"]], f"the title {context.get('title_text')!r}"
    else:
        return None
    if isinstance(v, bool) or not isinstance(v, str):
        v = str(v).lower() if isinstance(v, bool) else str(v)
    try:
        return parser_for(c)(_prepare(text.clean(v) or "", c), mapping), where
    except ValueProblem as e:
        raise SourceError(f"{raw.label}: {where}: {e}") from None


def load_table(raw: RawTable, spec: TableSpec, mapping: Mapping, records: Records, *,
               first_row: int = 2, context: dict | None = None) -> None:
    """Type the columns of ``raw`` per ``spec``; add good rows to ``records`` (one or several
    records per row, as the mapping says), bad ones to its rejects. ``first_row`` is the line
    number of the first data row; ``context`` holds loader ``params`` and what the ``title`` says."""
    context = context or {}
    cols = _column_map(raw, spec, records)
    n_rows = len(raw.frame)
    records.files.append(FileCount(raw.label, spec.name, n_rows))
    for cname, header in cols.items():
        records.headers[(raw.label, cname)] = header
    frame, line, part = _explode(raw.frame, spec, cols)
    n = len(frame)
    rows = pd.Series(line + first_row, dtype=np.int64)
    bad = pd.Series(False, index=range(n))
    out: dict[str, pd.Series] = {}
    read_as_text = {rule["when_contains"] for rule in spec.defaults.values() if "when_contains" in rule}
    texts: dict[str, pd.Series] = {}  # the cleaned text of the columns the rules read
    built: list[str] = []  # columns spread from their distinct values: None for missing already
    for cname, cspec in spec.columns.items():
        header = cols.get(cname)
        if header is None:
            const = _constant(cspec, spec, mapping, raw, context)
            if const is None and cspec.options.get("needed"):
                raise SourceError(
                    f"{raw.label}: no {cname} for table {spec.name}: give it with --loader-param {cspec.options['param']}=VALUE, "
                    f"a column ({spec.accepted_headers(cname)}) or a title row such as 第三批专精特新“小巨人”企业名单")
            value = None if const is None else const[0]
            out[cname] = pd.Series([value] * n, dtype=object)
            continue
        codes, distinct, as_arrow = factorize_text(frame[header])  # the work below runs once per distinct text
        clean_u, as_arrow = _clean_distinct(distinct, as_arrow)
        if any(k in cspec.options for k in ("decimal", "date_order", "percent", "unit")):
            clean_u = np.array([None if v is None else _prepare(v, cspec) for v in clean_u] or [], dtype=object)
            as_arrow = None
        # the rows' cleaned texts only where something reads them (each spread costs a pass over the rows)
        is_ticker = cspec.type == "ticker" and cspec.options.get("exchange_column") in cols
        cleaned = _series(spread(clean_u, codes)) if is_ticker or cname in read_as_text else None
        if cleaned is not None and cname in read_as_text:
            texts[cname] = cleaned
        if cspec.required:
            empty = spread(np.fromiter((v is None for v in clean_u), dtype=bool, count=len(clean_u)), codes, True, bool)
            for i in np.flatnonzero(empty):
                records.rejects.append(
                    Reject(raw.label, int(rows[i]), header, "", f"value '' is empty; expected a {cname} (required)")
                )
            bad |= empty
        if is_ticker:
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
            is_err = _is_problem(parsed)
        else:
            parsed_u, problems = _parse_distinct(pd.Series(clean_u, dtype=object, copy=False), cspec, mapping, as_arrow)
            is_err = pd.Series(spread(problems, codes, False, bool), copy=False) if problems.any() else None
            if cleaned is not None and parser_for(cspec) is _TEXT:  # a text column: its values are its cleaned texts
                parsed = cleaned
            else:
                parsed = _series(spread(parsed_u.to_numpy(dtype=object), codes))
            built.append(cname)
        if is_err is None or not is_err.any():
            out[cname] = parsed
            continue
        for i in is_err[is_err].index:
            e = parsed[i]
            records.rejects.append(Reject(raw.label, int(rows[i]), header, str(frame[header][i]), str(e)))
        bad |= is_err
        out[cname] = parsed.where(~is_err, None)
    bad |= check_rows(raw.label, frame, spec, cols, out, rows, records)  # several columns of one row (end before start)

    typed = pd.DataFrame(out, copy=False)  # not consolidated: stacking the object columns would copy them all
    for cname, t in texts.items():
        typed["_text_" + cname] = t
    typed["row"] = rows.to_numpy()
    typed["_part"] = part
    typed["_orig"] = range(n)
    # one string for all rows: an object Series (an array assigned as it is becomes an Arrow
    # string column, a str per row once made Python objects again: 0.5 GB for 7 M rows)
    typed["file"] = pd.Series(_same(raw.label, n), index=typed.index, dtype=object)
    src = typed["source"] if "source" in typed else pd.Series([None] * n, dtype=object)
    typed["source"] = src.where(src.notna(), raw.label)
    typed = _keep_rows(typed, bad)
    # the typed and text columns hold None for missing values already (spread from their distinct values)
    typed = with_nones(typed.reset_index(drop=True), keep=("row", "_part", "_orig", *built, *("_text_" + c for c in texts)))
    bad = _split_amount(typed, spec, records, raw, frame, cols)
    for h in spec.helpers:
        if h not in typed:
            typed[h] = None
    bad |= _apply_defaults(typed, spec, records, raw, cols)
    bad |= _check_refs(typed, spec, records, raw, cols)
    typed = _keep_rows(typed, bad).reset_index(drop=True)
    # what the defaults set may hold NaN (pandas' inference): every other column is None for missing already
    filled = set(spec.defaults) | {r[k] for r in spec.defaults.values() for k in ("reason_column", "basis_column") if k in r}
    filled |= {r.get("basis_column", "share_basis") for r in spec.defaults.values() if "share_of_total" in r}
    for o in spec.outputs:
        _emit(typed, o, spec, records, raw, cols, filled)


def _series(values: np.ndarray) -> pd.Series:
    """An object column on a fresh array of its own (no copy of it)."""
    return pd.Series(values, dtype=object, copy=False)


def _same(value: object, n: int) -> np.ndarray:
    """An object array holding ``value`` itself n times (np.full would copy a string per row).

    >>> a = _same("x.csv", 3)
    >>> a.tolist(), a[0] is a[2]
    (['x.csv', 'x.csv', 'x.csv'], True)
    """
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _keep_rows(typed: pd.DataFrame, bad: pd.Series) -> pd.DataFrame:
    """``typed`` without the whole source rows of its bad lines (the frame itself when none is)."""
    if not np.asarray(bad, dtype=bool).any():
        return typed
    return typed[~_whole_rows(typed, bad)]


def _whole_rows(typed: pd.DataFrame, bad: pd.Series) -> np.ndarray:
    """A bad line rejects its whole source row (every part of a split cell)."""
    bad_rows = set(typed["row"].to_numpy()[np.asarray(bad, dtype=bool)])
    return typed["row"].isin(bad_rows).to_numpy()


_IDENTITY = ("name", "uscc", "lei", "ticker", "id")


def _ref_values(typed: pd.DataFrame, o: Output, role: str, spec: TableSpec) -> pd.Series | None:
    """The reference a link record's end takes: a column's value or the row_ref of an entity record."""
    if role in o.columns:
        return typed[o.columns[role]]
    label = o.refs.get(role)
    if label is None:
        return None
    ent = next(x for x in spec.outputs if x.label == label)
    has = pd.Series(False, index=typed.index)
    for target, source in ent.columns.items():
        if target in _IDENTITY:
            has |= typed[source].notna()
    part = typed["_part"] if spec.split_column in ent.columns.values() else pd.Series(0, index=typed.index)
    refs = pd.Series([row_ref(f, r, p, label) for f, r, p in zip(typed["file"], typed["row"], part, strict=True)],
                     index=typed.index, dtype=object)
    return refs.where(has, None)


def _ref_header(o: Output, role: str, spec: TableSpec, cols: dict[str, str]) -> str:
    """The header shown in messages for a link end."""
    if role in o.columns:
        return cols.get(o.columns[role], o.columns[role])
    ent = next(x for x in spec.outputs if x.label == o.refs[role])
    names = [cols[s] for t, s in ent.columns.items() if t in _IDENTITY and s in cols]
    return "/".join(names) or o.refs[role]


def _check_refs(typed: pd.DataFrame, spec: TableSpec, records: Records, raw: RawTable, cols) -> pd.Series:
    """Link and financial-year records of several-record tables need both ends: reject rows without."""
    bad = pd.Series(False, index=typed.index)
    if len(spec.outputs) == 1 and not spec.outputs[0].refs:
        return bad  # a one-record table checks its ends by `required`
    for o in spec.outputs:
        if o.kind == "entity":
            continue
        for role in ("from_ref", "to_ref"):
            vals = _ref_values(typed, o, role, spec)
            if vals is None:
                continue
            missing = vals.isna() & ~bad
            header = _ref_header(o, role, spec, cols)
            for i in missing[missing].index:
                what = "start" if role == "from_ref" else "end"
                records.rejects.append(Reject(raw.label, int(typed["row"][i]), header, "",
                                              f"value '' is empty; expected the {what} of the {o.link or o.kind} record ({header})"))
            bad |= missing
    return bad


def _emit(typed: pd.DataFrame, o: Output, spec: TableSpec, records: Records, raw: RawTable, cols,
          filled: set[str] = frozenset()) -> None:
    """Add one record kind of the table's rows to ``records``. ``filled``: the columns of
    ``typed`` that may hold NaN for a missing value (the others hold None)."""
    df = pd.DataFrame({target: typed[source] for target, source in o.columns.items()
                       if target not in ("source",)}, index=typed.index, copy=False)
    for role in ("from_ref", "to_ref"):
        vals = _ref_values(typed, o, role, spec)
        if vals is not None:
            df[role] = vals
            records.headers[(raw.label, role)] = _ref_header(o, role, spec, cols)
    df["source"] = typed["source"]
    df["row"] = typed["row"]
    df["file"] = typed["file"]
    if o.kind == "entity":
        keep = pd.Series(False, index=df.index)
        for c in _IDENTITY:
            if c in df:
                keep |= df[c].notna()
        if spec.split_column not in o.columns.values():
            keep &= typed["_part"] == 0
        if o.label is not None:
            part = typed["_part"] if spec.split_column in o.columns.values() else pd.Series(0, index=typed.index)
            df["row_ref"] = np.array([row_ref(f, r, p, o.label) for f, r, p in zip(typed["file"], typed["row"], part, strict=True)],
                                     dtype=object)  # Python strings as made (a list would become an Arrow column)
        df = df[keep.to_numpy()]
    clean = [t for t, src in o.columns.items() if t != "source" and src not in filled]
    clean += [role for role in ("from_ref", "to_ref") if role in df and o.columns.get(role) not in filled]
    clean += [c for c in ("source", "file") if c not in filled]
    df = with_nones(df.reset_index(drop=True), keep=("row", *clean))
    records.add(o.kind, df, o.link)


def _split_amount(typed: pd.DataFrame, spec: TableSpec, records: Records, raw: RawTable, frame, cols) -> pd.Series:
    """An `amount` column gives value, bound, range (``<column>_min``/``_max``) and, if written in
    the amount, currency (into ``currency_column``, default ``currency``); a cell whose currency
    contradicts the currency column rejects its row."""
    bad = pd.Series(False, index=typed.index)
    for cname, c in spec.columns.items():
        if c.type != "amount":
            continue
        amounts = typed[cname]
        bound_col = c.options.get("bound_column", "amount_bound")
        ccy_col = c.options.get("currency_column", "currency")
        typed[bound_col] = map_objects(amounts, lambda a: a.bound if a is not None else None)
        typed[f"{cname}_min"] = map_objects(amounts, lambda a: a.minimum if a is not None else None)
        typed[f"{cname}_max"] = map_objects(amounts, lambda a: a.maximum if a is not None else None)
        given_ccy = map_objects(amounts, lambda a: a.currency if a is not None else None)
        typed[cname] = map_objects(amounts, lambda a: a.value if a is not None else None)
        if ccy_col not in typed:
            typed[ccy_col] = None
        stated = typed[ccy_col]
        clash = given_ccy.notna() & stated.notna() & (given_ccy != stated)
        for i in clash[clash].index:
            value = str(frame[cols[cname]][typed["_orig"][i]])
            records.rejects.append(
                Reject(raw.label, int(typed["row"][i]), cols.get(cname, cname), value,
                       f"value {value!r} is not in the currency of column {ccy_col} ({stated[i]}); expected the same currency in both")
            )
        bad |= clash
        typed[ccy_col] = stated.where(stated.notna(), given_ccy).astype(object)
        for col in (bound_col, f"{cname}_min", f"{cname}_max", cname, ccy_col):
            typed[col] = _nones(typed[col])
    return bad


def _apply_defaults(typed: pd.DataFrame, spec: TableSpec, records: Records, raw: RawTable, cols) -> pd.Series:
    """Declarative defaults (in mapping order; docs/mapping.md): value, start_of_year, year_of,
    years_after, board_of, when_contains, copy_when, share_of_total, batch_year. Rows a rule cannot fill
    where it must (a share with neither a stated share nor capital) are rejected."""
    bad = pd.Series(False, index=typed.index)
    for col, rule in spec.defaults.items():
        if col not in typed:
            typed[col] = None
        cur = typed[col]
        if "when_contains" in rule:
            src = rule["when_contains"]
            texts = map_objects(typed.get("_text_" + src, typed[src]), lambda v: None if v is None else str(v))
            words = [str(w) for w in rule["words"]]
            hit = map_objects(texts, lambda v, words=words: v is not None and any(w in v for w in words))
            fill = pd.Series([rule.get("value", True) if h else None for h in hit], index=typed.index, dtype=object)
            if rule.get("reason_column"):
                why = rule.get("reason", "{value}")
                rc = rule["reason_column"]
                reasons = pd.Series([why.format(value=v, column=cols.get(src, src)) if h else None for v, h in zip(texts, hit, strict=True)],
                                    index=typed.index, dtype=object)
                old = typed[rc] if rc in typed else pd.Series([None] * len(typed), index=typed.index, dtype=object)
                typed[rc] = old.where(old.notna() | ~(hit & cur.isna()), reasons).astype(object)
        elif "value" in rule:
            fill = pd.Series([rule["value"]] * len(typed), index=typed.index, dtype=object)
        elif "start_of_year" in rule:
            fill = map_objects(typed[rule["start_of_year"]], lambda y: dates.PartialDate(int(y)) if y is not None and y == y else None)
        elif "year_of" in rule:
            fill = map_objects(typed[rule["year_of"]], lambda d: d.year if d is not None else None)
        elif "years_after" in rule:
            n = int(rule.get("years", 3))
            fill = map_objects(typed[rule["years_after"]], lambda d, n=n: _years_after(d, n))
        elif "board_of" in rule:
            fill = map_objects(typed[rule["board_of"]], lambda t: t.board if t is not None else None)
        elif "batch_year" in rule:
            fill = pd.Series([batch_year(p, b) for p, b in zip(typed[rule["programme"]], typed[rule["batch_year"]], strict=True)],
                             index=typed.index, dtype=object)
        elif "copy_when" in rule:
            allowed = {str(x) for x in (rule.get("in") or [])}
            when = map_objects(typed[rule["when"]], lambda v, allowed=allowed: v is not None and str(v) in allowed)
            sources = rule["copy_when"] if isinstance(rule["copy_when"], list) else [rule["copy_when"]]
            first = typed[sources[0]]
            for other in sources[1:]:  # the first of the columns with a value
                first = first.where(first.notna(), typed[other])
            fill = first.where(when, None)
        elif "share_of_total" in rule:
            fill, missing = _share_of_total(typed, rule)
            need = cur.isna() & missing
            header = cols.get(col, col)
            for i in need[need].index:
                records.rejects.append(Reject(raw.label, int(typed["row"][i]), header, "",
                                              f"value '' is empty; expected a {col} or a {rule['share_of_total']} to compute it from"))
            bad |= need
            basis_col = rule.get("basis_column", "share_basis")
            computed = cur.isna() & fill.notna()
            old = typed[basis_col] if basis_col in typed else pd.Series([None] * len(typed), index=typed.index, dtype=object)
            typed[basis_col] = old.where(~computed, rule.get("basis", "computed_from_capital")).astype(object)
        else:
            raise MappingError(f"table {spec.name}: unknown default rule {rule!r}")
        typed[col] = cur.where(cur.notna(), fill).astype(object)
    return bad


def _share_of_total(typed: pd.DataFrame, rule: dict) -> tuple[pd.Series, pd.Series]:
    """A holder's capital over the total of the holders of the same firm (its first ``per`` column
    with a value) in this table; and where no share can be computed."""
    capital = pd.to_numeric(typed[rule["share_of_total"]], errors="coerce")
    firm = pd.Series([None] * len(typed), index=typed.index, dtype=object)
    for p in rule["per"] if isinstance(rule["per"], list) else [rule["per"]]:
        firm = firm.where(firm.notna(), typed[p].map(lambda v, p=p: None if v is None else f"{p}\x1f{v}"))
    total = capital.groupby(firm.fillna("\x1f")).transform("sum")
    ok = capital.notna() & firm.notna() & (total > 0)
    share = (capital / total).where(ok)
    return _nones(share.astype(object)), ~ok


def _years_after(d, n: int):
    """Validity end: n years after the start, minus one day (a 3-year status from 2019-07-01
    runs to 2022-06-30)."""
    if d is None:
        return None
    import datetime as dt

    end = dates.add_years(d.first_day(), n) - dt.timedelta(days=1)
    return dates.PartialDate(end.year, end.month, end.day)
