"""Entity resolution: one entity per real-world firm, and every reference pointed at it.

Rows naming the same firm by USCC, LEI, ticker or the same ``id`` become one entity (a
connected-components pass over rows and their identifiers). Rows with no strong identifier
join the entity with the same normalised name (and compatible province/city) when exactly one
such entity exists. References (owner, owned, funder, recipient, firm) may use an ``id``,
USCC, LEI, ticker or a name; an unknown or ambiguous reference rejects its row.

IRIs come from the strongest identifier (USCC > LEI > ticker > local id), so the same input
gives the same IRIs on every build.

>>> entity_iri(uscc="91350200776049653A")
'https://w3id.org/accelerator-kg/id/uscc/91350200776049653A'
>>> entity_iri(local_id="big fund/II")
'https://w3id.org/accelerator-kg/id/entity/big%20fund%2FII'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from kg.ontology import ID, model
from kg.records import Records, Reject, with_nones
from kg.values import lei as lei_mod
from kg.values import place
from kg.values import ticker as ticker_mod
from kg.values import uscc as uscc_mod
from kg.values.errors import ValueProblem
from kg.values.text import normalise_name, normalise_names

TYPE_CONFLICT_COLUMNS = ("iri", "file", "row", "source", "type", "ref_file", "ref_row", "ref_source", "ref_type", "shared")
#: Links whose two ends must be different entities (a self-holding is no holding by another).
DISTINCT_ENDS = ("OWNS", "DECLARED_CONTROL")

ENTITY_COLUMNS = ("id", "type", "name", "name_zh", "uscc", "lei", "ticker", "country", "province",
                  "city", "sector", "founded", "state_owned")


def entity_iri(*, uscc: str | None = None, lei: str | None = None, ticker: str | None = None,
               local_id: str | None = None) -> str:
    """The IRI of an entity from its strongest identifier."""
    if uscc:
        return f"{ID}uscc/{uscc}"
    if lei:
        return f"{ID}lei/{lei}"
    if ticker:
        return f"{ID}ticker/{quote(ticker, safe='.')}"
    return f"{ID}entity/{quote(str(local_id), safe='')}"


def link_iri(kind: str, *parts) -> str:
    """A stable IRI for a link occurrence (hash of its ends and provenance)."""
    h = hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:20]
    return f"{ID}link/{kind.lower()}/{h}"


def _as_text(values: pd.Series) -> pa.Array:
    """``str()`` of each value as an Arrow string array (``"None"`` for None), vectorised for
    text and integers, each value through ``str`` otherwise.

    >>> _as_text(pd.Series(["a", None], dtype=object)).to_pylist(), _as_text(pd.Series([1, 2])).to_pylist()
    (['a', 'None'], ['1', '2'])
    """
    arr = values.to_numpy(dtype=object) if values.dtype != np.int64 else values.to_numpy()
    if arr.dtype == np.int64:
        return pa.array(arr).cast(pa.string())
    kind = pd.api.types.infer_dtype(arr, skipna=True)
    missing = pd.isna(arr)
    if kind in ("string", "integer", "empty") and all(v is None for v in arr[missing]):
        out = pa.array(arr, type=pa.string() if kind != "integer" else pa.int64(), from_pandas=True)
        return pc.fill_null(out.cast(pa.string()), "None")
    return pa.array([str(v) for v in arr], type=pa.string())


def link_iris(kind: str, *columns: pd.Series, part: pd.Series | None = None,
              prefix: str | None = None) -> pd.api.extensions.ExtensionArray | list:
    """:func:`link_iri` of every row of the columns (and of ``part`` where it is not None), as
    a text array (pandas ``str``, Arrow-backed).

    >>> a, b = pd.Series(["x", "y"]), pd.Series([2, 3])
    >>> link_iris("OWNS", a, b).tolist() == [link_iri("OWNS", "x", 2), link_iri("OWNS", "y", 3)]
    True
    >>> link_iris("OWNS", a, b, part=pd.Series([None, "p"]))[1] == link_iri("OWNS", "y", 3, "p")
    True
    """
    n = len(columns[0]) if len(columns) else 0
    if not n:
        return []  # as a list: what an empty frame made of it before
    pre = (prefix if prefix is not None else f"{ID}link/{kind.lower()}/").encode("utf-8")
    sha1 = hashlib.sha1
    digests = []
    for k in range(0, n, _CHUNK):  # a chunk's text at a time: memory stays bounded
        joined = pc.binary_join_element_wise(*(_as_text(c.iloc[k:k + _CHUNK]) for c in columns), "\x1f")
        if part is not None:
            p = part.iloc[k:k + _CHUNK]
            has = np.array([v is not None for v in p.to_numpy(dtype=object)], dtype=bool)  # as link_iri's callers did
            if has.any():
                joined = pc.if_else(pa.array(has), pc.binary_join_element_wise(joined, _as_text(p), "\x1f"), joined)
        digests.append(b"".join([sha1(b).digest() for b in joined.cast(pa.binary()).to_pylist()]))
    # prefix + the first 10 bytes of each digest in hex, made in numpy: no Python string per row
    raw = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(n, 20)[:, :10]
    width = len(pre) + 20
    text = np.empty((n, width), dtype=np.uint8)
    text[:, :len(pre)] = np.frombuffer(pre, dtype=np.uint8)
    text[:, len(pre):] = _HEX[raw].view(np.uint8).reshape(n, 20)
    offsets = np.arange(n + 1, dtype=np.int64) * width
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    return pd.StringDtype("pyarrow", na_value=np.nan).__from_arrow__(pa.chunked_array([arr], type=pa.large_string()))


# each byte's two hex digits, as the two bytes of one little-endian uint16
_HEX = np.array([ord(f"{b:02x}"[0]) | ord(f"{b:02x}"[1]) << 8 for b in range(256)], dtype="<u2")
_CHUNK = 1 << 16


def programme_iri(code: str) -> str:
    return f"{ID}programme/{code}"


def exchange_iri(code: str) -> str:
    return f"{ID}exchange/{code}"


@dataclass
class Resolved:
    """Resolved entities (one row each), the entity rows that describe them, and links."""

    entities: pd.DataFrame
    entity_rows: pd.DataFrame
    links: dict[str, pd.DataFrame] = field(default_factory=dict)
    financials: pd.DataFrame = field(default_factory=pd.DataFrame)
    rejects: list[Reject] = field(default_factory=list)
    # (key, iri) for every normalised name and Chinese name of the entity rows, where asked for
    # (resolve(with_name_keys=True)): what an incremental build matches new names against
    name_keys: pd.DataFrame | None = None
    # entity rows rejected because their primary type contradicts the entity's first row
    # (TYPE_CONFLICT_COLUMNS); kg.conflicts lists them
    type_conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(TYPE_CONFLICT_COLUMNS)))


def _concat(frames: list[pd.DataFrame], columns) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return with_nones(pd.concat(frames, ignore_index=True))


def _cluster_rows(rows: pd.DataFrame) -> np.ndarray:
    """Connected components over rows linked by shared id / USCC / LEI / ticker."""
    n = len(rows)
    ri, keys = [], []
    m = n
    for col in ("id", "uscc", "lei", "ticker"):  # a key node per distinct text of each column
        have = rows[col].notna().to_numpy(dtype=bool)
        ri.append(np.flatnonzero(have))
        c, uniq = pd.factorize(_as_str(rows[col], have))
        keys.append(c.astype(np.int64) + (m - n))
        m += len(uniq)
    ri = np.concatenate(ri)
    codes = np.concatenate(keys)
    adj = coo_matrix((np.ones(len(ri)), (ri.astype(np.int64), n + codes.astype(np.int64))), shape=(m, m))
    _, labels = connected_components(adj, directed=False)
    return labels[:n]


def compatible_types(a: str | None, b: str | None) -> bool:
    """Two primary types can describe one entity: equal, missing, or one refines the other.

    >>> compatible_types("GuidanceFund", "Fund"), compatible_types("Firm", "Bank")
    (True, False)
    """
    if a is None or b is None or a == b:
        return True
    m = model()
    return a in m.node_type(b).labels or b in m.node_type(a).labels


def _more_specific(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return b if a in model().node_type(b).labels else a


def _reject_conflicting_types(rows: pd.DataFrame, records: Records):
    """Cluster rows by identifiers; a row whose type contradicts its entity is rejected.

    The rule: rows of one entity are taken in the order they were loaded (sources in the order
    given, then rows); the first row's type is the entity's, a later row may refine it (GuidanceFund after Fund) or repeat its supertype (Fund
    after GuidanceFund); any other type (Bank after Firm) rejects that row, naming the first.
    Rejected rows are taken out and the rest is clustered again (a rejected row may have been
    the only link between two groups of rows). Returns (rows with ``cluster``, rejects, the
    conflicts as a TYPE_CONFLICT_COLUMNS frame).
    """
    rejects: list[Reject] = []
    found = []
    while True:
        rows = rows.reset_index(drop=True)
        rows["cluster"] = _cluster_rows(rows)
        has_type = rows["type"].notna().to_numpy(dtype=bool)
        mixed = rows.loc[has_type, ["cluster", "type"]].groupby("cluster")["type"].nunique()
        mixed = mixed.index[mixed > 1]
        drop = []
        group = rows[has_type & rows["cluster"].isin(mixed).to_numpy(dtype=bool)].sort_values(["cluster", "_rid"])
        for _, g in group.groupby("cluster", sort=False):
            ref = g.iloc[0]
            current = ref["type"]
            for i, r in g.iloc[1:].iterrows():
                if compatible_types(current, r["type"]):
                    current = _more_specific(current, r["type"])
                    continue
                shared = _shared_identifiers(r, ref)
                drop.append(i)
                found.append((ref["_rid"], r["file"], int(r["row"]), r["source"], r["type"], ref["file"], int(ref["row"]),
                              ref["source"], ref["type"], shared))
                rejects.append(Reject(
                    r["file"], int(r["row"]), records.header(r["file"], "type"), str(r["type"]),
                    f"value {r['type']!r} is not the type {ref['file']}:{int(ref['row'])} gives the same entity "
                    f"({ref['type']}; {shared}); expected one primary type per entity (a subtype refines its "
                    "supertype, as GuidanceFund refines Fund), so this row is rejected"))
        if not drop:  # only refinements (GuidanceFund with Fund), or nothing mixed
            return rows, rejects, pd.DataFrame(found, columns=list(TYPE_CONFLICT_COLUMNS))
        rows = rows.drop(index=drop)


def _shared_identifiers(a: pd.Series, b: pd.Series) -> str:
    """'same id leaderdrive' / 'same USCC ...': what makes two rows one entity."""
    same = [f"same {label} {a[col]}" for col, label in (("id", "id"), ("uscc", "USCC"), ("lei", "LEI"), ("ticker", "ticker"))
            if a[col] is not None and str(a[col]) == str(b[col])]
    return ", ".join(same) or "linked through the identifiers of other rows"


def _reject_self_links(df: pd.DataFrame, records: Records):
    """Links from an entity to itself (a 100% self-holding diverges) are rejected."""
    same = (df["from_iri"] == df["to_iri"]).to_numpy(dtype=bool)
    rejects = [
        Reject(f, int(r), records.header(f, "to_ref"), str(b),
               f"value {b!r} is not an entity other than {a!r} (both are {iri.removeprefix(ID)}); expected two "
               "different entities: a holding of an entity in itself (treasury shares) is not ownership by "
               "another entity, and a 100% self-holding makes integrated ownership diverge")
        for f, r, a, b, iri in zip(df.loc[same, "file"], df.loc[same, "row"], df.loc[same, "from_ref"],
                                   df.loc[same, "to_ref"], df.loc[same, "from_iri"], strict=True)
    ]
    return df.loc[~same].copy(), rejects


def _merge_weak_by_name(rows: pd.DataFrame, key=normalise_name) -> tuple[pd.Series, dict]:
    """Clusters without USCC/LEI/ticker join a strong cluster with the same normalised name
    (and no conflicting province/city) when exactly one exists; weak clusters with the same
    name and place merge with each other. Also: weak cluster -> the strong clusters it fits
    when it fits several (an ambiguity, never guessed). The names' keys are the rows'
    ``_name_key`` and ``_name_zh_key`` where given (:func:`_with_name_keys`), else ``key`` of them."""
    rows = _with_name_keys(rows, key)
    strong = rows[["uscc", "lei", "ticker"]].notna().any(axis=1).groupby(rows["cluster"]).any()
    is_strong = rows["cluster"].map(strong).to_numpy(dtype=bool)
    if is_strong.all():
        return rows["cluster"], {}
    weak = rows.loc[~is_strong, ["cluster", "name", "province", "city", "_name_key"]].drop_duplicates("cluster")
    weak = _place_keys(weak.rename(columns={"_name_key": "_key"}))
    names_needed = set(weak["_key"])
    st = _place_keys(_name_keys(rows.loc[is_strong], names_needed))
    cand = weak.merge(st, on="_key", suffixes=("", "_s"))
    compatible = ((cand["province"].isna() | cand["province_s"].isna() | (cand["province"] == cand["province_s"]))
                  & (cand["city"].isna() | cand["city_s"].isna() | (cand["city"] == cand["city_s"])))
    # a name is no identifier: a Bank and a Firm of one name stay two entities
    typed = rows["type"].notna().to_numpy(dtype=bool)
    ctype = rows.loc[typed, ["cluster", "type"]].groupby("cluster")["type"].first()
    compatible &= np.array([compatible_types(ctype.get(a), ctype.get(b))
                            for a, b in zip(cand["cluster"], cand["cluster_s"], strict=True)], dtype=bool)
    cand = cand[compatible]
    unique = cand.drop_duplicates(["cluster", "cluster_s"]).groupby("cluster")["cluster_s"].agg(["nunique", "first"])
    remap = unique.loc[unique["nunique"] == 1, "first"].to_dict()
    several = cand[cand["cluster"].isin(unique.index[unique["nunique"] > 1])]
    ambiguous = several.groupby("cluster")["cluster_s"].agg(lambda c: sorted(set(c))).to_dict()
    rest = weak[~weak["cluster"].isin(remap) & ~weak["cluster"].isin(ambiguous)]
    rest_type = rest["cluster"].map(ctype).fillna("")
    same = rest.groupby(["_key", rest["province"].fillna(""), rest["city"].fillna(""), rest_type])["cluster"].transform("min")
    remap.update(dict(zip(rest["cluster"], same, strict=True)))
    cluster = rows["cluster"].to_numpy()
    lut = np.arange(cluster.max() + 1 if len(cluster) else 0, dtype=cluster.dtype)  # cluster -> the one it joins
    if remap:
        lut[np.fromiter(remap.keys(), dtype=np.int64, count=len(remap))] = np.fromiter(remap.values(), dtype=np.int64,
                                                                                       count=len(remap))
    return pd.Series(lut[cluster], index=rows.index, name="cluster"), ambiguous


def _place_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Province and city as matching keys (江苏省 = 江苏 = Jiangsu; kg.values.place)."""
    out = frame.copy()
    out["province"] = _each(out["province"], place.province_key)
    out["city"] = _each(out["city"], place.city_key)
    return out


def _lists(*columns: pd.Series) -> list[list]:
    """Columns as plain lists (iterating an Arrow-backed column makes each value on demand).

    >>> _lists(pd.Series(["a"], dtype="str"), pd.Series([2]))
    [['a'], [2]]
    """
    return [c.tolist() for c in columns]


def _memo(f):
    """``f`` remembering every answer (one build keys the same names in several steps, more
    names than kg.values.text.normalise_name's own bounded cache holds at 10^5 firms and up).

    >>> k = _memo(str.upper); k("a"), k("a"), len(k.cache)
    ('A', 'A', 1)
    """
    cache: dict = {}

    def keyed(v):
        out = cache.get(v, cache)
        if out is cache:
            out = cache[v] = f(v)
        return out

    keyed.cache = cache
    return keyed


def _each(values: pd.Series, f) -> pd.Series:
    """``f`` of each value, called once per distinct value (None stays None; names and places
    repeat, and the same names are keyed by several steps of one build).

    >>> _each(pd.Series(["a", None, "a"]), str.upper).tolist()
    ['A', None, 'A']
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    keyed = np.empty(len(uniq) + 1, dtype=object)  # the last slot answers code -1 (missing)
    for k, u in enumerate(uniq.tolist()):  # plain values: iterating an Arrow array boxes each one
        keyed[k] = f(u)
    return pd.Series(keyed[codes], index=values.index, dtype=object)


def _name_place(rows: pd.DataFrame, key=normalise_name) -> pd.Series:
    """Per cluster: its smallest normalised name, with its province and city when known
    as keys ('name@32/苏州'): the IRI of an entity no source gives an identifier or id."""
    rows = _with_name_keys(rows, key)
    keys = _place_keys(rows[["cluster", "name", "province", "city", "_name_key"]].dropna(subset=["name"]))
    keys = keys.rename(columns={"_name_key": "_k"})
    keys = keys.sort_values(["cluster", "_k", "province", "city"], kind="stable").drop_duplicates("cluster").set_index("cluster")
    where = keys["province"].fillna("") + "/" + keys["city"].fillna("")
    return keys["_k"] + where.map(lambda p: "" if p == "/" else "@" + p.rstrip("/"))


def _reject_ambiguous(rows: pd.DataFrame, iri: dict, ambiguous: dict) -> tuple[pd.DataFrame, list[Reject]]:
    """Rows without USCC/LEI/ticker whose normalised name and place fit several entities are
    rejected with the candidates (never guessed); so are the links the same rows make."""
    if not ambiguous:
        return rows, []
    sel = rows["cluster"].isin(ambiguous)
    rejects = [
        Reject(f, int(r), "name", str(n),
               f"value {str(n)!r} is not a unique entity by name and place (it matches "
               f"{', '.join(sorted(iri[x].removeprefix(ID) for x in ambiguous[c]))}); expected a USCC, or a province or city that tells them apart")
        for f, r, n, c in zip(rows.loc[sel, "file"], rows.loc[sel, "row"], rows.loc[sel, "name"], rows.loc[sel, "cluster"], strict=True)
    ]
    return rows[~sel].reset_index(drop=True), rejects


def _name_keys(rows: pd.DataFrame, wanted: set) -> pd.DataFrame:
    """cluster, province, city and _key for every distinct key in ``wanted`` of a name or
    Chinese name of the rows (their ``_name_key`` and ``_name_zh_key``)."""
    parts = []
    for col in ("_name_key", "_name_zh_key"):
        sel = (rows[col].notna() & rows[col].isin(wanted)).to_numpy(dtype=bool)
        parts.append(rows.loc[sel, ["cluster", "province", "city", col]].rename(columns={col: "_key"}))
    return pd.concat(parts, ignore_index=True).drop_duplicates(["cluster", "_key"])


def _keys_of(values: list[np.ndarray], key=normalise_name) -> list[np.ndarray]:
    """``key`` of each value of the arrays (None stays None), called once per distinct value.

    >>> [a.tolist() for a in _keys_of([np.array(["Acme Ltd", None], dtype=object), np.array(["ACME"], dtype=object)])]
    [['acme', None], ['acme']]
    """
    codes, uniq = pd.factorize(np.concatenate(values) if values else np.array([], dtype=object), use_na_sentinel=True)
    keyed = np.empty(len(uniq) + 1, dtype=object)  # the last slot answers code -1 (missing)
    if key is normalise_name or key is getattr(normalise_name, "__wrapped__", None):
        keyed[:-1] = normalise_names(uniq)  # the same keys, the plain names in bulk
    else:
        keyed[:-1] = [key(u) for u in uniq.tolist()]
    out, at = [], 0
    for v in values:
        out.append(keyed[codes[at:at + len(v)]])
        at += len(v)
    return out


def _with_name_keys(rows: pd.DataFrame, key=normalise_name) -> pd.DataFrame:
    """``rows`` with ``_name_key`` and ``_name_zh_key``: the normalised name and Chinese name
    of each row (None where missing), each distinct name keyed once (kept as they are where
    the rows have them)."""
    if "_name_key" in rows and "_name_zh_key" in rows:
        return rows
    k, kz = _keys_of([rows["name"].to_numpy(dtype=object), rows["name_zh"].to_numpy(dtype=object)], key)
    return rows.assign(_name_key=pd.Series(k, index=rows.index, dtype=object),
                       _name_zh_key=pd.Series(kz, index=rows.index, dtype=object))


def _tuples(rows: pd.DataFrame, col: str, index: pd.Index | None = None) -> pd.Series:
    """Sorted distinct values of a column per entity IRI, as tuples; with ``index`` (distinct
    IRIs), for those IRIs in that order (NaN where an IRI has none). Only entities with several
    values are sorted: most have one.

    >>> rows = pd.DataFrame({"iri": ["b", "a", "b", "b"], "t": ["y", "x", "x", None]})
    >>> _tuples(rows, "t").to_dict(), _tuples(rows, "t", pd.Index(["c", "b"])).tolist()
    ({'a': ('x',), 'b': ('x', 'y')}, [nan, ('x', 'y')])
    """
    if index is None:
        pairs = rows[["iri", col]].dropna()
        index = pd.Index(np.sort(pd.unique(pairs["iri"].to_numpy(dtype=object))), name="iri")
    return _tuples_at(index.get_indexer(rows["iri"]), rows[col], index)


def _tuples_at(pos: np.ndarray, values: pd.Series, index: pd.Index) -> pd.Series:
    """:func:`_tuples` of ``values`` where each row's IRI is given by its position in ``index``
    (``pos``, ascending with the IRIs; -1: none), without matching the IRIs' text again."""
    pairs = pd.DataFrame({"iri": pos, "v": values.to_numpy(dtype=object)}, index=values.index)
    pairs = pairs[pairs["v"].notna().to_numpy(dtype=bool) & (pos >= 0)].drop_duplicates()
    pos = pairs["iri"].to_numpy()
    col = "v"
    values = pairs[col].to_numpy(dtype=object)
    one = np.bincount(pos, minlength=len(index))[pos] == 1
    out = np.full(len(index), np.nan, dtype=object)
    for i, v in zip(pos[one].tolist(), values[one].tolist(), strict=True):  # element by element: tuples stay tuples
        out[i] = (v,)
    several = pairs[~one].sort_values(["iri", col])
    if len(several):
        agg = several.groupby("iri", sort=False)[col].agg(tuple)
        for i, t in zip(agg.index.tolist(), agg.to_list(), strict=True):
            out[i] = t
    return pd.Series(out, index=index, dtype=object)


def _v(x):
    """None for missing (None or NaN), else the value."""
    return None if x is None or x != x else x


def _first(s: pd.Series):
    nn = s.dropna()
    return nn.iloc[0] if len(nn) else None


def _first_of(keys: list[np.ndarray], values: list[np.ndarray]) -> dict:
    """key -> the value of its first occurrence, over the arrays in order.

    >>> _first_of([np.array(["a", "b"], dtype=object), np.array(["a"], dtype=object)], [np.array([1, 2]), np.array([3])])
    {'a': 1, 'b': 2}
    """
    k = np.concatenate(keys) if keys else np.array([], dtype=object)
    v = np.concatenate(values) if values else np.array([], dtype=object)
    if not len(k):
        return {}
    codes = pd.factorize(k)[0]  # numbered in order of first occurrence: a new one exceeds all before it
    first = np.flatnonzero(codes > np.concatenate([[-1], np.maximum.accumulate(codes)[:-1]]))
    return dict(zip(k[first].tolist(), v[first].tolist(), strict=True))


def _as_str(values: pd.Series, have: np.ndarray) -> np.ndarray:
    """``values[have].astype(str)`` as an object array, the texts themselves where all are text
    (astype would make a new copy of each).

    >>> _as_str(pd.Series(["a", None, 3], dtype=object), np.array([True, False, True])).tolist()
    ['a', '3']
    """
    v = values.to_numpy(dtype=object)[have]
    if pd.api.types.infer_dtype(v, skipna=False) in ("string", "empty"):
        return v
    return values[have].astype(str).to_numpy(dtype=object)


class _RefIndex:
    """Looks references up by id, USCC, LEI, ticker, then normalised name. ``known_names``
    (key -> IRIs) stands for the names of rows resolved before, which are then not keyed again:
    only the rows from ``named_from`` on are."""

    def __init__(self, rows: pd.DataFrame, key=normalise_name, known_names=None, named_from: int = 0):
        self._rows = rows
        self._key = key
        self._names: dict[str, set[str]] | None = None
        self._known_names, self._named_from = known_names, named_from
        # the first row giving a value wins, id before USCC, LEI and ticker (as one pass of
        # setdefault would); a row's own entity (row_ref) overrides; then tickers without exchange
        keys, iris = [], []
        iri = rows["iri"].to_numpy(dtype=object)  # once (an Arrow column makes a new text per row and call)
        for col in ("id", "uscc", "lei", "ticker"):
            have = rows[col].notna().to_numpy(dtype=bool)
            keys.append(_as_str(rows[col], have))
            iris.append(iri[have])
        self.exact: dict[str, str] = _first_of(keys, iris)
        if "row_ref" in rows:  # a row's own entity, for the links that row makes (kg.loaders.tabular.row_ref)
            have = rows["row_ref"].notna().to_numpy(dtype=bool)
            self.exact.update(zip(rows.loc[have, "row_ref"].tolist(), rows.loc[have, "iri"].tolist(), strict=True))
        have = rows["ticker"].notna().to_numpy(dtype=bool)
        short = rows.loc[have, "ticker"].astype(str).str.split(".", n=1).str[0].to_numpy(dtype=object)
        for k, v in _first_of([short], [iri[have]]).items():
            self.exact.setdefault(k, v)

    @property
    def names(self) -> dict[str, set[str]]:
        """Normalised name -> IRIs, made on the first lookup by name (most sources refer by id)."""
        if self._names is None:
            known = self._known_names() if callable(self._known_names) else self._known_names
            self._names = {k: set(v) for k, v in (known or {}).items()}
            rows = self._rows.iloc[self._named_from:]
            for col in ("name", "name_zh"):
                sel = rows[col].notna().to_numpy(dtype=bool)
                keys = rows.loc[sel, f"_{col}_key"] if f"_{col}_key" in rows else _each(rows.loc[sel, col], self._key)
                for key, iri in zip(keys.tolist(), rows.loc[sel, "iri"].tolist(), strict=True):
                    self._names.setdefault(key, set()).add(iri)
        return self._names

    def lookup(self, ref: str) -> str | ValueProblem:
        if ref in self.exact:
            return self.exact[ref]
        for parse in (uscc_mod.parse, lei_mod.parse):
            try:
                v = parse(ref)
            except ValueProblem:
                continue
            if v in self.exact:
                return self.exact[v]
        try:
            t = ticker_mod.parse(ref).canonical
            if t in self.exact:
                return self.exact[t]
        except ValueProblem:
            pass
        hits = self.names.get(self._key(ref), set())
        if len(hits) == 1:
            return next(iter(hits))
        if len(hits) > 1:
            cands = ", ".join(sorted(h.removeprefix(ID) for h in hits))
            return ValueProblem(ref, f"a unique name (it matches {cands})", "an id, USCC, LEI or ticker")
        return ValueProblem(ref, "a known entity", "an id, USCC, LEI or ticker from the entities table, or an entity's exact name")


def name_keys(rows: pd.DataFrame, key=normalise_name) -> pd.DataFrame:
    """``key, iri``: each distinct normalised name and Chinese name of the resolved rows.

    >>> name_keys(pd.DataFrame({"iri": ["a", "a"], "name": ["Acme Co., Ltd.", "ACME CO LTD"], "name_zh": [None, None]}))
    ... # doctest: +NORMALIZE_WHITESPACE
        key iri
    0  acme   a
    """
    parts = []
    for col in ("name", "name_zh"):
        if col in rows:
            have = rows[col].notna().to_numpy(dtype=bool)
            keys = rows.loc[have, f"_{col}_key"] if f"_{col}_key" in rows else _each(rows.loc[have, col], key)
            parts.append(pd.DataFrame({"key": keys.to_numpy(dtype=object),
                                       "iri": rows.loc[have, "iri"].to_numpy(dtype=object)}))
    if not parts:
        return pd.DataFrame({"key": pd.Series(dtype=object), "iri": pd.Series(dtype=object)})
    return pd.concat(parts, ignore_index=True).drop_duplicates().reset_index(drop=True)


def resolve(records: Records, *, known: pd.DataFrame | None = None, known_names=None,
            with_name_keys: bool = False, consume: bool = False) -> Resolved:
    """Merge entity rows into entities and point every link at them.

    ``known``: entity rows resolved by an earlier build (``id``, ``uscc``, ``lei``, ``ticker``
    and ``iri``), which links may refer to but which make no entity here, and ``known_names``
    their names (key -> IRIs, or a function giving them when a reference by name first needs
    them): an incremental build (kg.incremental), which has checked that
    the new rows share no identifier or name with them. ``with_name_keys`` fills
    ``Resolved.name_keys``. With ``consume`` the loaded frames are taken out of ``records`` as
    they are read (a build that needs them no more: at 10^6 firms they are gigabytes).
    """
    m = model()
    # names are keyed by several steps: each distinct name once per build, in a memo that goes
    # with the build (not through normalise_name's global cache, too small at 10^5 firms and up)
    key = _memo(getattr(normalise_name, "__wrapped__", normalise_name))
    rows = _concat(records.entities, (*ENTITY_COLUMNS, "source", "file", "row"))
    if consume:
        records.entities.clear()
    for c in ENTITY_COLUMNS:
        if c not in rows:
            rows[c] = None
    tickers = rows["ticker"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(pd.notna(tickers)).tolist():  # most entities have none
        t = tickers[i]
        tickers[i] = t.canonical if hasattr(t, "canonical") else t
    rows["ticker"] = pd.Series(tickers, index=rows.index, dtype=object)
    # each distinct name keyed once, here (not through the memo: a million names would stay in it)
    rows = _with_name_keys(with_nones(rows.reset_index(drop=True)), getattr(normalise_name, "__wrapped__", normalise_name))
    type_rejects: list[Reject] = []
    type_conflicts = pd.DataFrame(columns=list(TYPE_CONFLICT_COLUMNS))
    ambiguous: dict = {}
    if len(rows):
        rows["_rid"] = np.arange(len(rows))
        rows, type_rejects, type_conflicts = _reject_conflicting_types(rows, records)
        rows["cluster"], ambiguous = _merge_weak_by_name(rows, key)
    else:
        rows["cluster"] = pd.Series(dtype=np.int64)

    # identifiers decide the IRI: the smallest USCC, else LEI, else ticker, else local id
    clusters = pd.Index(rows["cluster"].unique())
    best = {}
    for col in ("uscc", "lei", "ticker", "id"):
        have = rows.loc[rows[col].notna(), ["cluster", col]].astype({col: str})
        first = have.sort_values([col]).drop_duplicates("cluster")  # the smallest value per cluster
        best[col] = first.set_index("cluster")[col].reindex(clusters)
    # for entities a source names without any id (only those clusters are looked at)
    unnamed = np.logical_and.reduce([best[c].isna().to_numpy(dtype=bool) for c in best]) if len(clusters) else np.zeros(0, bool)
    named = _name_place(rows[rows["cluster"].isin(clusters[unnamed])], key).reindex(clusters)
    # entity_iri of each cluster, a column at a time: the first identifier given (a non-empty
    # text) of USCC, LEI and ticker, else the local id, else (no identifier at all) the name
    text = np.empty(len(clusters), dtype=object)
    todo = np.ones(len(clusters), dtype=bool)
    given = {k: best[k].notna().to_numpy(dtype=bool) for k in best}
    for k, pre, safe in (("uscc", f"{ID}uscc/", None), ("lei", f"{ID}lei/", None), ("ticker", f"{ID}ticker/", ".")):
        vals = best[k].to_numpy(dtype=object)
        at = np.flatnonzero(todo & given[k] & (vals != ""))
        text[at] = [pre + (v if safe is None else quote(v, safe=safe)) for v in vals[at].tolist()]
        todo[at] = False
    some = given["uscc"] | given["lei"] | given["ticker"] | given["id"]
    at = np.flatnonzero(todo & some)
    text[at] = [f"{ID}entity/{quote(str(_v(v)), safe='')}" for v in best["id"].to_numpy(dtype=object)[at].tolist()]
    at = np.flatnonzero(todo & ~some)
    text[at] = [f"{ID}name/{quote(str(v), safe='')}" for v in named.to_numpy(dtype=object)[at].tolist()]
    iri = dict(zip(clusters.tolist(), text.tolist(), strict=True))
    by_cluster = np.empty(int(rows["cluster"].max()) + 1 if len(rows) else 0, dtype=object)  # one text per entity
    by_cluster[np.fromiter(iri.keys(), dtype=np.int64, count=len(iri))] = list(iri.values())
    if len(rows):
        rows["iri"] = pd.Series(by_cluster[rows["cluster"].to_numpy()], index=rows.index, dtype="str")
    else:
        rows["iri"] = rows["cluster"].map(iri)  # the type an empty build always had
    if "_rid" in rows:  # the conflicts name the entity of the row that set its type
        type_conflicts["iri"] = type_conflicts["iri"].map(dict(zip(rows["_rid"].tolist(), rows["iri"].tolist(), strict=True)))
        rows = rows.drop(columns="_rid")
    rows, ambiguous = _reject_ambiguous(rows, iri, ambiguous)

    first_cols = [c for c in ENTITY_COLUMNS if c not in ("id", "type")]
    # the IRIs matched once, as codes in IRI order (as groupby("iri", sort=True) numbers them)
    iri_codes, iris = pd.factorize(rows["iri"], sort=True)
    iris = pd.Index(iris, name="iri")
    ent = rows[first_cols].groupby(iri_codes, sort=True).first()  # first non-missing value per column
    ent.index = iris[ent.index.to_numpy()]
    ent["types"] = _tuples_at(iri_codes, rows["type"], ent.index)
    ids = rows["id"]  # as astype(str) has them (missing ids drop out), without a new copy of each
    if pd.api.types.infer_dtype(ids.to_numpy(dtype=object), skipna=True) not in ("string", "empty"):
        ids = ids.astype(str)
    ent["local_ids"] = _tuples_at(iri_codes, ids, ent.index)
    del iri_codes
    ent = ent.reset_index()
    ent = with_nones(ent)
    labels: dict = {}  # per distinct tuple of types

    def labels_of(ts):
        out = labels.get(ts)
        if out is None:
            out = labels[ts] = tuple(dict.fromkeys(lbl for t in ts for lbl in m.node_type(t).labels))
        return out

    ent["labels"] = ent["types"].map(labels_of)
    ent["type"] = ent["types"].map(lambda ts: ts[0] if ts else None)

    # the index's IRIs: the one text of each entity, not a new text per row
    named_rows = rows.assign(iri=pd.Series(by_cluster[rows["cluster"].to_numpy()], index=rows.index, dtype=object))
    if known is None:
        index = _RefIndex(named_rows, key)
    else:
        index = _RefIndex(pd.concat([known, named_rows], ignore_index=True), key, known_names, len(known))
    del named_rows
    # the cluster numbers are resolve's own (row positions of this build): not kept
    resolved = Resolved(entities=ent, entity_rows=rows.drop(columns=["cluster", "_name_key", "_name_zh_key"]),
                        rejects=type_rejects + ambiguous,
                        type_conflicts=type_conflicts)
    if with_name_keys:
        resolved.name_keys = name_keys(rows, key)
    gone = {(r.file, r.row) for r in ambiguous}
    for rel in list(records.links):
        link = m.link(rel)
        spec_from, spec_to = "from_ref", "to_ref"
        df = _concat(records.links.pop(rel) if consume else records.links[rel], ())
        df = df[[(f, r) not in gone for f, r in zip(df["file"], df["row"], strict=True)]] if gone else df
        df, rejects = _resolve_refs(df, spec_from, "from_iri", index, records)
        resolved.rejects += rejects
        if rel == "CERTIFIED_AS":
            df["to_iri"] = df[spec_to].map(programme_iri)
        elif rel == "LISTED_ON":
            df["to_iri"] = df[spec_to].map(exchange_iri)
            df["ticker"] = df["ticker"].map(lambda t: t.canonical if t is not None else None)
        else:
            df, rejects = _resolve_refs(df, spec_to, "to_iri", index, records)
            resolved.rejects += rejects
        if rel in DISTINCT_ENDS:
            df, rejects = _reject_self_links(df, records)
            resolved.rejects += rejects
        # `part` tells apart the links one source record makes between the same two ends (a
        # BODS statement's interests); absent for tables, whose IRIs stay as they were
        df["iri"] = link_iris(rel, df["from_iri"], df["to_iri"], df["source"], df["file"], df["row"],
                              part=df["part"] if "part" in df else None)
        df.attrs["link"] = link.rel_type
        resolved.links[rel] = df.reset_index(drop=True)

    fin = _concat(records.financials, ())
    if consume:
        records.financials.clear()
    if len(fin):
        fin, rejects = _resolve_refs(fin, "from_ref", "from_iri", index, records)
        resolved.rejects += rejects
        fin["iri"] = link_iris("fy", fin["from_iri"], fin["year"], fin["source"], fin["file"], fin["row"], prefix=f"{ID}fy/")
    resolved.financials = fin.reset_index(drop=True)
    return resolved


def _resolve_refs(df: pd.DataFrame, col: str, out: str, index: _RefIndex, records: Records):
    codes, uniq = pd.factorize(df[col], use_na_sentinel=True)  # each distinct reference looked up once
    keyed = np.empty(len(uniq) + 1, dtype=object)  # the last slot answers code -1 (missing)
    keyed[:-1] = [index.lookup(u) for u in uniq.tolist()]
    res = pd.Series(keyed[codes], index=df.index, dtype=object)
    bad = pd.Series(np.array([isinstance(v, ValueProblem) for v in keyed.tolist()], dtype=bool)[codes], index=df.index,
                    dtype=bool)
    rejects = [
        Reject(f, int(r), records.header(f, col), str(v), str(e))
        for f, r, v, e in zip(df.loc[bad, "file"], df.loc[bad, "row"], df.loc[bad, col], res[bad], strict=True)
    ]
    # a frame of its own (copy-on-write: setting a column leaves the caller's frame as it was);
    # a full copy only where rows go
    df = df.loc[~bad] if bad.any() else df.copy(deep=False)
    df[out] = res[~bad]
    return df, rejects
