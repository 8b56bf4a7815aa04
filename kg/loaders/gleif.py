"""What GLEIF data means in kg terms, shared by the RDF and the Golden Copy CSV loaders.

Each reader turns its input into plain frames of text as GLEIF writes it, one row per LEI
record or relationship record (with the record's ``row`` number); :func:`add_entities` and
:func:`add_relationships` check them and add records and rejects.

* **Entities** (LEI-CDF / gleif-L1): the LEI -> ``lei`` (the entity's IRI comes from it); the
  legal name -> ``name`` (and ``name_zh`` when its language tag is Chinese); the legal address
  country -> ``country`` (else the country of the legal jurisdiction); the legal jurisdiction
  -> ``jurisdiction``; the entity status (ACTIVE/INACTIVE) -> ``entity_status``; the LEI's
  registration status (ISSUED, LAPSED ...) -> ``lei_status``; the entity category -> the node
  type (:data:`KINDS`).
* **Relationships** (RR-CDF / gleif-L2): "child IS_DIRECTLY_CONSOLIDATED_BY parent" becomes a
  ``DECLARED_CONTROL`` link parent -> child with basis ``direct_consolidation``;
  IS_ULTIMATELY_CONSOLIDATED_BY gives ``ultimate_consolidation`` and IS_INTERNATIONAL_BRANCH_OF
  ``international_branch`` (:data:`BASES`); the relationship period's start and end -> ``start``
  / ``end``, the relationship status (ACTIVE/INACTIVE) -> ``status``. An accounting
  consolidation says control, not a share: no share is ever set. Other relationship types
  (fund management, sub-funds, feeders) are not control; they are counted in a warning.

Bad values reject their record with a one-line reason naming file, record and field.

>>> import pandas as pd
>>> from kg.records import Records
>>> recs = Records()
>>> add_entities(recs, pd.DataFrame({"row": [2, 3], "lei": ["506700GE1G29325QX363", "506700GE1G29325QX364"],
...     "name": ["Global Legal Entity Identifier Foundation", "Bad Check Digits AG"], "category": ["GENERAL", ""]}),
...     "lei.csv", {"lei": "LEI"})
>>> recs.entities[0][["lei", "type", "name", "row"]].to_dict("records")
[{'lei': '506700GE1G29325QX363', 'type': 'Firm', 'name': 'Global Legal Entity Identifier Foundation', 'row': 2}]
>>> recs.rejects[0].line()
"lei.csv:3:LEI: value '506700GE1G29325QX364' is not a valid LEI (check digits should be '63', not '64'); expected 20 characters 0-9/A-Z ending in two check digits, e.g. 5493000IBP32UQZ0KL24"
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from kg.records import FileCount, Records, Reject, with_nones
from kg.values import dates, lei
from kg.values.errors import ValueProblem

#: GLEIF entity category (LEI-CDF Entity.EntityCategory) -> kg node type. A resident government
#: entity is a state body; an international organisation is not a government of its own.
#: Source: GLEIF LEI-CDF 3.1, EntityCategoryTypeEnum.
KINDS = {
    "GENERAL": "Firm",
    "BRANCH": "Firm",
    "FUND": "Fund",
    "SOLE_PROPRIETOR": "Firm",
    "RESIDENT_GOVERNMENT_ENTITY": "GovernmentBody",
    "INTERNATIONAL_ORGANIZATION": "Firm",
}

#: RR-CDF Relationship.RelationshipType -> kg:basis of the DECLARED_CONTROL link (parent -> child).
BASES = {
    "IS_DIRECTLY_CONSOLIDATED_BY": "direct_consolidation",
    "IS_ULTIMATELY_CONSOLIDATED_BY": "ultimate_consolidation",
    "IS_INTERNATIONAL_BRANCH_OF": "international_branch",
}

#: Relationship record registration statuses GLEIF uses for records made in error; such records
#: are not loaded (counted in a warning). LAPSED and RETIRED records still state a fact.
ERRONEOUS = ("ANNULLED", "DUPLICATE")

ENTITY_FIELDS = ("lei", "name", "lang", "category", "country", "jurisdiction", "entity_status", "lei_status")
RELATIONSHIP_FIELDS = ("child", "parent", "child_type", "parent_type", "rel_type", "status", "start", "end",
                       "record_status")

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")


def _clean(v, upper: bool = False) -> str | None:
    """Stripped text, None for missing or blank; upper-cased for codes."""
    if not isinstance(v, str):
        return None
    v = v.strip()
    return (v.upper() if upper else v) or None


def _text(frame: pd.DataFrame, col: str, *, upper: bool = False, distinct: bool = False) -> pd.Series:
    """A column as stripped text with None for missing or blank (absent column: all None).
    ``distinct``: the values are mostly different (names, codes), so each is cleaned in one
    plain loop; else each distinct value is cleaned once (statuses, countries: a handful)."""
    if col not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    values = frame[col].to_numpy(dtype=object)
    if distinct:
        return pd.Series([_clean(v, upper) for v in values], index=frame.index, dtype=object)
    clean = {u: _clean(u, upper) for u in pd.unique(values)}
    return pd.Series([clean.get(v) for v in values], index=frame.index, dtype=object)  # NaN: None


def _check_leis(codes: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(cleaned LEIs, problems): valid codes pass in bulk, the rest through lei.parse."""
    out = codes.copy()
    problems = pd.Series([None] * len(codes), index=codes.index, dtype=object)
    have = codes.notna()
    ok = pd.Series(lei.valid_mask(codes.to_numpy()), index=codes.index)
    for i in codes.index[have & ~ok]:
        try:
            out[i] = lei.parse(codes[i])
        except ValueProblem as e:
            problems[i] = str(e)
    return out, problems


def _reject(records: Records, file: str, rows: pd.Series, mask: pd.Series, header: str,
            values: pd.Series, reasons: pd.Series | str) -> None:
    for i in mask[mask].index:
        reason = reasons if isinstance(reasons, str) else reasons[i]
        value = "" if values[i] is None else str(values[i])
        records.rejects.append(Reject(file, int(rows[i]), header, value, reason.replace("{value}", repr(value))))


def add_entities(records: Records, plain: pd.DataFrame, file: str, headers: dict[str, str],
                 source: str | None = None) -> None:
    """Check LEI records (columns of :data:`ENTITY_FIELDS`, ``row``, optional ``source_record``)
    and add the good ones as entities of ``file``; ``headers`` name the fields in messages."""
    rows = plain["row"]
    h = {f: headers.get(f, f) for f in ENTITY_FIELDS}
    raw_codes = _text(plain, "lei", distinct=True)
    codes, problems = _check_leis(raw_codes)
    missing = codes.isna()
    _reject(records, file, rows, missing, h["lei"], codes, "value '' is empty; expected an LEI (required)")
    bad = missing | problems.notna()
    _reject(records, file, rows, problems.notna(), h["lei"], raw_codes, problems)
    name = _text(plain, "name", distinct=True)
    _reject(records, file, rows, name.isna(), h["name"], name, "value '' is empty; expected the legal name (required)")
    bad |= name.isna()
    category = _text(plain, "category", upper=True)
    kind = category.map(KINDS).where(category.notna(), "Firm")
    unknown = kind.isna()
    _reject(records, file, rows, unknown, h["category"], category,
            "value {value} is not a GLEIF entity category; expected " + ", ".join(KINDS) + " (or empty)")
    bad |= unknown
    chinese = _text(plain, "lang", upper=True).map(lambda v: v is not None and v.startswith("ZH")).astype(bool)
    jurisdiction = _text(plain, "jurisdiction", upper=True)
    country = _text(plain, "country", upper=True)
    country = country.where(country.notna(), jurisdiction.map(lambda j: j.split("-")[0] if j else None))
    out = pd.DataFrame({
        "id": None,
        "type": kind,
        "name": name,
        "name_zh": name.where(chinese, None),
        "lei": codes,
        "country": country,
        "jurisdiction": jurisdiction,
        "entity_status": _text(plain, "entity_status", upper=True),
        "lei_status": _text(plain, "lei_status", upper=True),
    }, index=plain.index)
    records.add("entity", _kept(out, plain, bad, source or file, file, rows))


def _kept(out: pd.DataFrame, plain: pd.DataFrame, bad: pd.Series, source: str, file: str,
          rows: pd.Series) -> pd.DataFrame:
    """``out`` with its provenance columns (source, file, row, and the record id when the
    source gives one), less the rejected rows."""
    out["source"] = source
    out["file"] = file
    out["row"] = rows.astype(int)
    if "source_record" in plain:
        out["source_record"] = _text(plain, "source_record", distinct=True)
    return with_nones(out[~bad.to_numpy()].reset_index(drop=True))


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(PartialDate or None, problem or None) per value; ISO date-times (GLEIF's
    2017-10-02T19:50:30.804Z) read as their date, each distinct date parsed once.

    >>> d, p = parse_dates(pd.Series(["2017-10-02T19:50:30.804Z", None, "2018-13-01"]))
    >>> [str(x) for x in d], p.notna().tolist()
    (['2017-10-02', 'None', 'None'], [False, False, True])
    """
    by_day: dict = {}
    parsed: dict = {}
    for v in pd.unique(values.to_numpy(dtype=object)):
        if not isinstance(v, str):
            continue
        day = v[:10] if _ISO.fullmatch(v) else v
        if day not in by_day:
            try:
                by_day[day] = dates.parse(day)
            except ValueProblem as e:
                by_day[day] = ValueProblem(v, e.reason, e.expected)
        parsed[v] = by_day[day]
    res = pd.Series([parsed.get(v) if isinstance(v, str) else None for v in values], index=values.index, dtype=object)
    is_err = res.map(lambda x: isinstance(x, ValueProblem)).astype(bool)
    problems = pd.Series([None] * len(values), index=values.index, dtype=object)
    problems[is_err] = [str(ValueProblem(values[i], res[i].reason, res[i].expected)) for i in is_err[is_err].index]
    return res.where(~is_err, None).astype(object), problems


def add_relationships(records: Records, plain: pd.DataFrame, file: str, headers: dict[str, str],
                      source: str | None = None) -> Counter:
    """Check relationship records (columns of :data:`RELATIONSHIP_FIELDS`, ``row``, optional
    ``source_record``) and add the consolidations and branches as DECLARED_CONTROL links
    parent -> child. Returns the relationship types not loaded, and ANNULLED/DUPLICATE
    records, with their counts (for the caller's warning)."""
    h = {f: headers.get(f, f) for f in RELATIONSHIP_FIELDS}
    rel_type = _text(plain, "rel_type", upper=True)
    record_status = _text(plain, "record_status", upper=True)
    erroneous = record_status.isin(ERRONEOUS)
    loaded = rel_type.isin(BASES) & ~erroneous
    skipped = Counter(rel_type[~rel_type.isin(BASES)].fillna("(no type)"))
    skipped.update(f"{s} records" for s in record_status[erroneous & rel_type.isin(BASES)])
    plain = plain[loaded.to_numpy()]
    rel_type = rel_type[loaded]
    rows = plain["row"]
    bad = pd.Series(False, index=plain.index)
    ends = {}
    for end in ("child", "parent"):
        id_type = _text(plain, f"{end}_type", upper=True)
        not_lei = id_type.notna() & (id_type != "LEI")
        _reject(records, file, rows, not_lei, h[f"{end}_type"], id_type,
                f"value {{value}} is not a node id type kg reads; expected LEI (the {end} must have an LEI)")
        raw = _text(plain, end, distinct=True)
        codes, problems = _check_leis(raw)
        _reject(records, file, rows, codes.isna() & ~not_lei, h[end], raw,
                f"value '' is empty; expected the {end}'s LEI (required)")
        _reject(records, file, rows, problems.notna() & ~not_lei, h[end], raw, problems)
        bad |= not_lei | codes.isna() | problems.notna()
        ends[end] = codes
    when = {}
    for col in ("start", "end"):
        raw = _text(plain, col)
        parsed, problems = parse_dates(raw)
        _reject(records, file, rows, problems.notna(), h[col], raw, problems)
        bad |= problems.notna()
        when[col] = parsed
    basis = rel_type.map(BASES)
    out = pd.DataFrame({
        "from_ref": ends["parent"],
        "to_ref": ends["child"],
        "basis": basis,
        "direct_or_indirect": np.where(basis == "direct_consolidation", "direct", None),
        "status": _text(plain, "status", upper=True),
        "start": when["start"],
        "end": when["end"],
    }, index=plain.index)
    out = _kept(out, plain, bad, source or file, file, rows)
    records.headers[(file, "from_ref")] = h["parent"]
    records.headers[(file, "to_ref")] = h["child"]
    records.add("link", out, "DECLARED_CONTROL")
    return skipped


def skipped_warning(file: str, skipped: Counter) -> str | None:
    """The warning naming relationship records that were not loaded, by type, or None.

    >>> skipped_warning("rr.csv", Counter({"IS_FUND-MANAGED_BY": 3}))
    'rr.csv: 3 relationship record(s) not loaded (IS_FUND-MANAGED_BY 3): kg loads IS_DIRECTLY_CONSOLIDATED_BY, IS_ULTIMATELY_CONSOLIDATED_BY, IS_INTERNATIONAL_BRANCH_OF, and no ANNULLED or DUPLICATE records'
    """
    if not skipped:
        return None
    parts = ", ".join(f"{k} {n:,}" for k, n in sorted(skipped.items()))
    return (f"{file}: {sum(skipped.values()):,} relationship record(s) not loaded ({parts}): kg loads "
            f"{', '.join(BASES)}, and no {' or '.join(ERRONEOUS)} records")


def count_file(records: Records, file: str, table: str, n: int) -> None:
    """Record how many records of a file kg reads (loaded = n minus its rejected records);
    records of kinds it does not load are left out of n and named in a warning instead."""
    records.files.append(FileCount(file, table, n))


def camel_to_upper(local: str) -> str:
    """GLEIF RDF individuals to the CSV spelling: 'PendingTransfer' -> 'PENDING_TRANSFER'.

    >>> camel_to_upper("PendingTransfer"), camel_to_upper("Active")
    ('PENDING_TRANSFER', 'ACTIVE')
    """
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", local).upper()
