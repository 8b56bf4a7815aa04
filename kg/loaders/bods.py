"""BODS 0.4 loader: Beneficial Ownership Data Standard statements (a JSON array, a BODS package,
JSON Lines) become entities, OWNS and DECLARED_CONTROL links.

Every statement is checked against the official schema (``kg.sources.bods_schema``); a bad one
is rejected with a line naming the file, the statement (its number, and its id in the reason)
and the field. Files are streamed (JSON Lines line by line, arrays by ijson) and each statement
is reduced to the few values kg keeps before the next is read, so memory grows with the number
of records, not with the size of the JSON.

What becomes what:

* **entity** records: ``registeredEntity``, ``legalEntity``, ``arrangement``, anonymous and
  unknown entities -> Firm; ``state`` and ``stateBody`` -> GovernmentBody (a state entity, so
  the derived state share counts what they own). Identifiers: a Unified Social Credit Code
  (schemes ``CN-SAIC``, ``CN-SAMR``, ``CN-USCC``, or a scheme name saying "social credit" /
  统一社会信用代码) -> ``uscc``; ``XI-LEI`` -> ``lei``; both checked, so resolution merges the
  entity with the same firm from other sources. A ticker of a listing on an exchange kg knows
  -> ``ticker``. ``jurisdiction.code`` -> ``country``; ``foundingDate`` -> ``founded``; a
  Chinese name (the name or an alternate name) -> ``name_zh``.
* **person** records -> Person (legal name first; first nationality as ``country``).
* **relationship** records: each interest is a link from the interested party to the subject.
  ``shareholding`` -> OWNS with ``share`` (``exact``) or ``share_min``/``share_max`` (minimum /
  maximum, exclusive bounds taken as bounds; a range is never collapsed to a point); every
  other interest type (voting rights, appointment of the board, ...) -> DECLARED_CONTROL with
  ``basis`` the type in snake_case (``voting_rights``), ``role`` the interest's ``details``,
  shares as ``share_min``/``share_max``. ``directOrIndirect`` is kept as
  ``direct_or_indirect``: a declared indirect holding stays a declaration (derive leaves it out
  of the computed integrated ownership). A relationship without interests, or an interest
  without a type, is a DECLARED_CONTROL with basis ``unknown_interest``. A party that is an
  unspecified record (no interested party disclosed) makes no link; a warning says so.
* **recordStatus** is applied per ``recordId`` in ``statementDate`` order (file order for
  ties), over every BODS file of the build (a register's updates come in later files). An ``updated`` statement replaces the previous one: for relationships each version
  stays as links of its own period (history kept): the new version starts at the earliest
  interest ``startDate`` after the previous statement's date, else at its own statement date,
  and the old version's links end the day before. A ``closed`` statement ends the open links
  the day before the closing date (the closing interests' ``endDate``, else the statement
  date); a closed entity or person ends the open links that name it the same way. Entities
  and persons keep the attributes of their latest statement (kg has no dated names).
* Dates: BODS ``endDate`` is "the date from which the interest ceased", so the link's
  inclusive ``end`` is the day before (``kg export --format bods`` writes ``end`` + 1 day).
* Provenance: ``source`` and ``file`` are the file name, ``row`` the statement's line (JSON
  Lines) or position (arrays), ``source_record`` the statementId.

Entity ids are the BODS ``recordId`` (unique within a publisher's data, so the same record in
two files of one dataset is one entity), except that an identifier with scheme name
"accelerator-kg source id" (written by ``kg export --format bods``) gives back kg's own id.

>>> from kg.resources import resource_path
>>> from kg.records import Records
>>> import pathlib, tempfile, json
>>> p = pathlib.Path(tempfile.mkdtemp()) / "pkg.json"
>>> st = [{"statementId": "a" * 32, "declarationSubject": "firm", "statementDate": "2024-01-02", "recordId": "firm",
...        "recordType": "entity", "recordDetails": {"isComponent": False, "entityType": {"type": "stateBody"}, "name": "SASAC"}}]
>>> _ = p.write_text(json.dumps(st), encoding="utf-8")
>>> recs = Records(); load_bods(p, recs)
>>> recs.entities[0][["id", "type", "name", "row", "source_record"]].to_dict("records")
[{'id': 'firm', 'type': 'GovernmentBody', 'name': 'SASAC', 'row': 1, 'source_record': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'}]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from kg.records import FileCount, Records, Reject
from kg.resolve import ENTITY_COLUMNS
from kg.sources import jsonstream
from kg.sources.bods_schema import problems, schemas
from kg.sources.jsonstream import BadJson
from kg.sources.tabular import SourceError
from kg.values import dates
from kg.values import lei as lei_mod
from kg.values import ticker as ticker_mod
from kg.values import uscc as uscc_mod
from kg.values.errors import ValueProblem
from kg.values.text import clean

SUFFIXES = (".json", ".jsonl", ".ndjson")

ENTITY_TYPES = {"state": "GovernmentBody", "stateBody": "GovernmentBody"}  # everything else: Firm
USCC_SCHEMES = {"CN-SAIC", "CN-SAMR", "CN-USCC", "CN-USCI"}
USCC_SCHEME_WORDS = ("social credit", "统一社会信用代码")
LEI_SCHEMES = {"XI-LEI"}
LOCAL_ID_SCHEME_NAME = "accelerator-kg source id"
"""schemeName of the identifier carrying kg's own entity id (``kg export --format bods``)."""

PROVENANCE = ("source", "file", "row", "source_record", "part")
LINK_COLUMNS = {
    "OWNS": ("from_ref", "to_ref", "share", "share_min", "share_max", "direct_or_indirect", "start", "end"),
    "DECLARED_CONTROL": ("from_ref", "to_ref", "basis", "role", "share_min", "share_max", "direct_or_indirect",
                         "start", "end"),
}
HEADERS = {"from_ref": "recordDetails.interestedParty", "to_ref": "recordDetails.subject"}
_ONE_DAY = dt.timedelta(days=1)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def sniff(path: Path, head: bytes) -> bool:
    """BODS statements: a statementId with recordType/recordDetails (0.4), or an older
    version's statementType (claimed to say it is not 0.4).

    >>> sniff(Path("x.json"), b'[{"statementId": "1", "recordType": "entity"}]')
    True
    >>> sniff(Path("x.jsonl"), b'{"id": "1", "schema": "Company", "properties": {}}')
    False
    """
    if jsonstream.first_byte(head) not in (b"[", b"{"):
        return False
    return (b'"statementId"' in head and (b'"recordType"' in head or b'"recordDetails"' in head)) or \
        (b'"statementType"' in head and b'"statementID"' in head)


def interest_types() -> tuple[str, ...]:
    """The BODS interest types (the schema's codelist).

    >>> interest_types()[:3]
    ('shareholding', 'votingRights', 'appointmentOfBoard')
    """
    return tuple(schemas()["urn:relationship"]["$defs"]["Interest"]["properties"]["type"]["enum"])


@lru_cache(maxsize=256)
def snake(name: str) -> str:
    """An interest type in snake_case.

    >>> snake("appointmentOfBoard"), snake("votingRights")
    ('appointment_of_board', 'voting_rights')
    """
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# ---------------------------------------------------------------- one statement -> compact tuple

@dataclass(frozen=True, slots=True)
class _Interest:
    kind: str
    direct: str | None
    share: float | None
    share_min: float | None
    share_max: float | None
    start: dates.PartialDate | None
    end: dates.PartialDate | None  # inclusive (BODS endDate - 1 day)
    details: str | None


@dataclass(frozen=True, slots=True)
class _Version:
    """One statement of a record, reduced to what kg keeps."""

    key: tuple  # (statement time, file order, number): the order versions apply in
    label: str  # the file it came from
    number: int
    sid: str
    status: str
    day: dt.date
    rtype: str
    payload: tuple  # entity: values in ENTITY_COLUMNS order; relationship: (subject, party, interests)


def _when(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else \
        dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _pdate(d: dt.date) -> dates.PartialDate:
    return dates.PartialDate(d.year, d.month, d.day)


@lru_cache(maxsize=1 << 16)
def _date(v: str | None) -> dates.PartialDate | None:
    """A BODS date (one shared object per distinct date: millions of statements repeat few)."""
    return None if not v else _pdate(dt.date.fromisoformat(v[:10]))


def _zh(names: Iterable[str | None]) -> str | None:
    return next((n for n in names if n and _CJK.search(n)), None)


class _Bad(Exception):
    def __init__(self, field: str, value, problem: ValueProblem | str):
        self.field, self.value, self.problem = field, value, problem


def _identifiers(ids: list[dict]) -> tuple[str | None, str | None, str | None]:
    """(uscc, lei, kg id) from BODS identifiers; a bad USCC or LEI raises _Bad."""
    uscc = lei = local = None
    for i, ident in enumerate(ids or ()):
        scheme = str(ident.get("scheme") or "").upper()
        name = str(ident.get("schemeName") or "")
        value = ident.get("id")
        if value is None:
            continue
        where = f"recordDetails.identifiers[{i}].id"
        if scheme in USCC_SCHEMES or any(w in name.lower() for w in USCC_SCHEME_WORDS):
            try:
                uscc = uscc or uscc_mod.parse(value)
            except ValueProblem as e:
                raise _Bad(where, value, e) from None
        elif scheme in LEI_SCHEMES:
            try:
                lei = lei or lei_mod.parse(value)
            except ValueProblem as e:
                raise _Bad(where, value, e) from None
        elif name == LOCAL_ID_SCHEME_NAME:
            local = local or str(value)
    return uscc, lei, local


def _ticker(details: dict) -> tuple[str | None, list[str]]:
    """The first listing kg can read as a ticker; notes on the others."""
    notes = []
    for item in (details.get("publicListing") or {}).get("securitiesListings") or ():
        code = (item.get("security") or {}).get("ticker")
        if not code:
            continue
        hint = item.get("marketIdentifierCode") or item.get("stockExchangeName")
        try:
            return ticker_mod.parse(code, exchange_hint=hint).canonical, notes
        except (ValueProblem, KeyError, TypeError):
            notes.append(f"{code} ({hint or 'no exchange'})")
    return None, notes


def _entity(details: dict, record_id: str, person: bool) -> tuple:
    uscc, lei, local = _identifiers(details.get("identifiers"))
    if person:
        names = sorted(details.get("names") or (), key=lambda n: n.get("type") != "legal")
        full = [n.get("fullName") or " ".join(x for x in (n.get("givenName"), n.get("familyName")) if x) or None for n in names]
        name = clean(full[0]) if full else None
        zh = _zh(full)
        country = next((n.get("code") for n in details.get("nationalities") or () if n.get("code")), None)
        etype, founded, tick = "Person", None, None
    else:
        name = clean(details.get("name"))
        zh = _zh([details.get("name"), *(details.get("alternateNames") or ())])
        country = (details.get("jurisdiction") or {}).get("code")
        etype = ENTITY_TYPES.get((details.get("entityType") or {}).get("type"), "Firm")
        founded = _date(details.get("foundingDate"))
        tick, _ = _ticker(details)
    if name is None:  # anonymous or unknown: a name that says so and cannot merge with another record's
        kind = details.get("personType") if person else (details.get("entityType") or {}).get("type")
        name = f"({snake(kind or 'unnamed').replace('_', ' ')} {record_id})"
    values = {"id": local or record_id, "type": etype, "name": name, "name_zh": clean(zh), "uscc": uscc, "lei": lei,
              "ticker": tick, "country": country.upper() if country and len(country) == 2 else None,
              "founded": founded}
    return tuple(values.get(c) for c in ENTITY_COLUMNS)


def _fraction(percent) -> float | None:
    return None if percent is None else round(float(percent) / 100, 12)


def _share(share: dict | None) -> tuple[float | None, float | None, float | None]:
    """(exact, minimum, maximum) as fractions; exclusive bounds are taken as bounds."""
    if not share:
        return None, None, None
    lo = share.get("minimum", share.get("exclusiveMinimum"))
    hi = share.get("maximum", share.get("exclusiveMaximum"))
    return _fraction(share.get("exact")), _fraction(lo), _fraction(hi)


def _interests(details: dict) -> tuple[_Interest, ...]:
    out = []
    for i, it in enumerate(details.get("interests") or ()):
        exact, lo, hi = _share(it.get("share"))
        if lo is not None and hi is not None and lo > hi:
            raise _Bad(f"recordDetails.interests[{i}].share", it.get("share"),
                       "has a minimum above its maximum; expected minimum <= maximum")
        end = _date(it.get("endDate"))
        out.append(_Interest(it.get("type") or "unknownInterest", it.get("directOrIndirect"), exact, lo, hi,
                             _date(it.get("startDate")), _pdate(end.first_day() - _ONE_DAY) if end else None,
                             clean(it.get("details"))))
    return tuple(out) or (_Interest("unknownInterest", None, None, None, None, None, None, None),)


def _version(st: dict, number: int, label: str = "", order: int = 0) -> _Version:
    rtype = st["recordType"]
    details = st["recordDetails"]
    if rtype == "relationship":
        payload = (details["subject"], details["interestedParty"], _interests(details))
    else:
        payload = _entity(details, st["recordId"], rtype == "person")
    when = _when(st["statementDate"])
    return _Version((when, order, number), label, number, st["statementId"], st.get("recordStatus") or "new", when.date(),
                    rtype, payload)


# ---------------------------------------------------------------- a file's records -> frames

@dataclass(slots=True)
class _Link:
    rel: str
    values: dict
    label: str  # the statement's file
    number: int  # the statement's
    sid: str
    part: int  # the interest's place in the statement
    subject: str
    party: str


@dataclass
class _Pending:
    """The statements of every BODS file of a build so far, by recordId: recordStatus applies
    across files (an update published in a later file replaces a record of an earlier one)."""

    versions: dict[str, list[_Version]] = field(default_factory=dict)
    files: int = 0


@dataclass
class _File:
    label: str
    count: int = 0


def load_bods(path: Path, records: Records, options=None, *, finish: bool = True) -> None:
    """Read one BODS file into ``records`` (entities, OWNS, DECLARED_CONTROL, rejects, counts).

    With ``finish=False`` (the build, which reads every file first) the statements wait in
    ``records.pending`` until :func:`finish_bods`, so recordStatus applies across files."""
    f = _File(path.name)
    pending = records.pending.setdefault("bods", _Pending())
    pending.files += 1
    for number, st in jsonstream.records(path):
        f.count += 1
        if isinstance(st, BadJson):
            records.rejects.append(Reject(f.label, number, "json", "", f"line is not JSON ({st.reason}); expected one BODS statement per line"))
            continue
        if isinstance(st, dict) and "statementType" in st and "recordType" not in st:
            raise SourceError(f"{f.label}:{number}: statement uses statementType (BODS 0.2/0.3); kg reads BODS 0.4 "
                              "(recordType and recordDetails)")
        if not isinstance(st, dict):
            records.rejects.append(Reject(f.label, number, "statement", str(st)[:80],
                                          f"value {str(st)[:80]!r} is not a JSON object; expected one BODS statement"))
            continue
        sid = st.get("statementId") if isinstance(st.get("statementId"), str) else "?"
        bad = problems(st)
        for fld, value, msg in bad:
            records.rejects.append(Reject(f.label, number, fld, "" if value is None else _short(value),
                                          f"statement {sid}: {msg} (BODS 0.4 schema)"))
        if bad:
            continue
        try:
            v = _version(st, number, f.label, pending.files)
        except _Bad as e:
            records.rejects.append(Reject(f.label, number, e.field, _short(e.value), f"statement {sid}: {e.problem}"))
            continue
        pending.versions.setdefault(st["recordId"], []).append(v)
    records.files.append(FileCount(f.label, "statements", f.count))
    for col, header in HEADERS.items():
        records.headers[(f.label, col)] = header
    if finish:
        finish_bods(records)


def finish_bods(records: Records, options=None) -> None:
    """Apply recordStatus over every BODS statement read so far and add the entities and links."""
    pending = records.pending.pop("bods", None)
    if pending is not None:
        _emit(pending, records)


def _short(v) -> str:
    s = v if isinstance(v, str) else str(v)
    return s if len(s) <= 120 else s[:117] + "..."


def _emit(f: _Pending, records: Records) -> None:
    entities: dict[str, _Version] = {}
    closed: dict[str, dt.date] = {}
    links: list[_Link] = []
    for rid in list(f.versions):
        versions = f.versions.pop(rid)  # freed as it goes: memory is the frames', not the statements'
        versions.sort(key=lambda v: v.key)
        latest = versions[-1]
        if latest.rtype == "relationship":
            links += _history(versions, records)
            continue
        live = [v for v in versions if v.status != "closed"]
        entities[rid] = live[-1] if live else latest
        if latest.status == "closed":
            closed[rid] = latest.day
    ids = {rid: v.payload[0] for rid, v in entities.items()}
    _add_entities(entities, records)
    _add_links(links, ids, closed, records)


def _history(versions: list[_Version], records: Records) -> list[_Link]:
    """The links of one relationship record, one set per version, each ending where the next
    version starts (or at its closing)."""
    out: list[_Link] = []
    open_links: list[_Link] = []
    prev: _Version | None = None
    for v in versions:
        subject, party, interests = v.payload
        if not isinstance(subject, str) or not isinstance(party, str):
            missing = party if not isinstance(party, str) else subject
            role = "interested party" if not isinstance(party, str) else "subject"
            records.warnings.append(f"{v.label}:{v.number}: statement {v.sid}: the {role} is not disclosed "
                                    f"({missing.get('reason', 'no reason given')}); no link made")
            prev = v
            continue
        if v.status == "closed":
            ends = [i.end for i in interests if i.end is not None]
            last = min(ends).first_day() if ends else v.day - _ONE_DAY
            if prev is not None and prev.status != "closed":  # the closing ends the live version
                _close(open_links, last)
            else:  # first seen closed: its own interests, ended at the closing
                new = _links(v, subject, party, interests, None)
                _close([x for x in new if x.values["end"] is None], last)
                out += new
            open_links, prev = [], v
            continue
        start = None
        if prev is not None and prev.status != "closed":
            later = [i.start.first_day() for i in interests if i.start is not None and i.start.first_day() > prev.day]
            start = min(later) if later else v.day
            _close(open_links, start - _ONE_DAY)
        new = _links(v, subject, party, interests, start)
        out += new
        open_links = [x for x in new if x.values["end"] is None]
        prev = v
    return out


def _close(links: list[_Link], last: dt.date) -> None:
    for x in links:
        s = x.values["start"]
        day = max(last, s.first_day()) if s is not None else last
        x.values["end"] = _pdate(day)


def _links(v: _Version, subject: str, party: str, interests, start: dt.date | None) -> list[_Link]:
    out = []
    for part, it in enumerate(interests):
        s = it.start
        if start is not None and (s is None or s.first_day() < start):
            s = _pdate(start)
        common = {"share_min": it.share_min, "share_max": it.share_max, "direct_or_indirect": it.direct,
                  "start": s, "end": it.end}
        if it.kind == "shareholding":
            out.append(_Link("OWNS", {**common, "share": it.share}, v.label, v.number, v.sid, part, subject, party))
        else:
            lo = it.share if it.share is not None else it.share_min
            hi = it.share if it.share is not None else it.share_max
            out.append(_Link("DECLARED_CONTROL", {**common, "share_min": lo, "share_max": hi,
                                                  "basis": snake(it.kind), "role": it.details}, v.label, v.number, v.sid, part,
                                  subject, party))
    return out


def _add_entities(entities: dict[str, _Version], records: Records) -> None:
    if not entities:
        return
    rows = [(*v.payload, v.label, v.label, v.number, v.sid) for v in entities.values()]
    records.add("entity", _frame(rows, [*ENTITY_COLUMNS, "source", "file", "row", "source_record"]))


def _add_links(links: list[_Link], ids: dict[str, str], closed: dict[str, dt.date], records: Records) -> None:
    for x in links:  # a closed party ends the links naming it
        for rid in (x.subject, x.party):
            if rid in closed and (x.values["end"] is None or x.values["end"].first_day() >= closed[rid]):
                _close([x], closed[rid] - _ONE_DAY)
    for rel, cols in LINK_COLUMNS.items():
        mine = [x for x in links if x.rel == rel]
        if not mine:
            continue
        rows = [(ids.get(x.party, x.party), ids.get(x.subject, x.subject), *(x.values[c] for c in cols[2:]),
                 x.label, x.label, x.number, x.sid, x.part) for x in mine]
        records.add("link", _frame(rows, [*cols, *PROVENANCE]), rel)


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Rows in file order as a frame of objects (None stays None; no copy per column)."""
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    keys = [c for c in ("row", "part") if c in frame]
    for c in keys:
        frame[c] = frame[c].astype("int64")
    keys = ["file", *keys]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)
