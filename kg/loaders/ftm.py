"""FollowTheMoney loader: FtM entities (JSON Lines, as ``ftm`` and OpenSanctions/Aleph tools
write them, or a JSON array) become entities and links, read with the followthemoney library
(its model checks every schema, property and value).

What becomes what:

* ``Person`` -> Person; ``PublicBody`` -> GovernmentBody; ``Company``, ``Organization``,
  ``LegalEntity`` (and their other descendants) -> Firm. ``name`` (the first; a further Chinese
  one -> ``name_zh``), ``uscCode`` -> ``uscc``, ``leiCode`` -> ``lei`` (both checked),
  ``ticker`` (when kg can read it), ``country``/``jurisdiction`` -> ``country``,
  ``incorporationDate`` -> ``founded``, ``sector``, topic ``gov.soe`` -> ``state_owned``.
* ``Ownership`` -> OWNS owner -> asset: ``percentage`` is percent text ("51", "51%", "0.5" is
  half a percent), a range "25-50" -> ``share_min``/``share_max``; ``ownershipType`` direct /
  indirect -> ``direct_or_indirect``; ``startDate``/``endDate``.
* ``Directorship`` -> DECLARED_CONTROL director -> organization, basis ``directorship``,
  ``role``, ``status``, dates (control, not a share).
* ``Payment`` -> FUNDED payer -> beneficiary (instrument: ``purpose`` when it names one, else
  none); ``Debt`` -> FUNDED creditor -> debtor as a loan; ``amount``, ``currency``, ``date``.
* ``Security`` with an ``issuer`` and a ticker kg reads -> LISTED_ON (``issueDate`` -> listed).
* What ``kg export --format ftm`` adds in its top-level ``kg`` object (kg.export.ftm) is read
  back: kg's id and type, Chinese name, province, city, state ownership, instrument, interest
  rate, amount bound, declared-control basis, board and delisting, so an export loads back into
  the same graph; links it marks ``derived`` (CONTROLS, ULTIMATELY_OWNS) are skipped, since kg
  derives them again. Other schemas (Address, Vessel, Sanction, UnknownLink without kg's
  marks, ...) are skipped with a warning that counts them.

Entity ids are the FtM ids (kg's own id where the ``kg`` object gives it); references in links
are looked up in the file first, else passed on as ids for resolution. Provenance: ``source``
and ``file`` the file name, ``row`` the line (or position), ``source_record`` the FtM id. Bad
values reject their entity with ``file:line:properties.NAME: entity ID: ...``.

>>> import pathlib, tempfile, json
>>> from kg.records import Records
>>> p = pathlib.Path(tempfile.mkdtemp()) / "e.ftm.json"
>>> lines = [{"id": "c1", "schema": "Company", "properties": {"name": ["Acme"], "uscCode": ["91350200776049653A"]}},
...          {"id": "o1", "schema": "Ownership", "properties": {"owner": ["p1"], "asset": ["c1"], "percentage": ["25-50"]}}]
>>> _ = p.write_text("\\n".join(json.dumps(x) for x in lines), encoding="utf-8")
>>> recs = Records(); load_ftm(p, recs)
>>> recs.entities[0][["id", "type", "name", "uscc", "row", "source_record"]].to_dict("records")
[{'id': 'c1', 'type': 'Firm', 'name': 'Acme', 'uscc': '91350200776049653A', 'row': 1, 'source_record': 'c1'}]
>>> recs.links["OWNS"][0][["from_ref", "to_ref", "share", "share_min", "share_max"]].to_dict("records")
[{'from_ref': 'p1', 'to_ref': 'c1', 'share': None, 'share_min': 0.25, 'share_max': 0.5}]
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from followthemoney import model
from followthemoney.exc import InvalidData

from kg.ontology import model as kg_model
from kg.records import FileCount, Records, Reject, with_nones
from kg.resolve import ENTITY_COLUMNS
from kg.sources import jsonstream
from kg.sources.jsonstream import BadJson
from kg.values import dates, lei, ticker, uscc
from kg.values.errors import ValueProblem
from kg.values.text import clean

SUFFIXES = (".json", ".jsonl", ".ndjson", ".ftm", ".ijson")
INSTRUMENTS = ("equity", "loan", "subsidy", "lp_commitment", "bond")
PROVENANCE = ("source", "file", "row", "source_record")
LINK_COLUMNS = {
    "OWNS": ("share", "share_min", "share_max", "share_basis", "direct_or_indirect", "start", "end"),
    "DECLARED_CONTROL": ("basis", "role", "status", "share_min", "share_max", "direct_or_indirect", "start", "end"),
    "FUNDED": ("instrument", "amount", "amount_bound", "currency", "date", "interest_rate"),
    "LISTED_ON": ("ticker", "board", "listed", "delisted"),
}
# FtM schema -> (kg link, property naming the start, property naming the end)
LINKS = {"Ownership": ("OWNS", "owner", "asset"), "Directorship": ("DECLARED_CONTROL", "director", "organization"),
         "Payment": ("FUNDED", "payer", "beneficiary"), "Debt": ("FUNDED", "creditor", "debtor"),
         "UnknownLink": ("DECLARED_CONTROL", "subject", "object"), "Security": ("LISTED_ON", "issuer", None)}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_NUM = r"(\d+(?:\.\d+)?)\s*%?"
_PERCENT = re.compile(rf"^\s*{_NUM}\s*$")
_RANGE = re.compile(rf"^\s*(?:{_NUM})?\s*(?:-|–|to)\s*(?:{_NUM})?\s*$")
FTM_EXPECTED = {"date": "a date such as 2019, 2019-06 or 2019-06-22", "country": "a country code such as cn",
                "number": "a number such as 1500000", "entity": "an entity id", "url": "a URL",
                "email": "an e-mail address", "phone": "a phone number", "topic": "a FollowTheMoney topic such as gov.soe"}
PERCENT_EXPECTED = "percent text such as 51, 51%, 0.5 (half a percent) or a range 25-50"


def sniff(path: Path, head: bytes) -> bool:
    """FtM entities: JSON objects with ``schema`` and ``properties``.

    >>> sniff(Path("x.jsonl"), b'{"id": "1", "schema": "Company", "properties": {"name": ["A"]}}')
    True
    >>> sniff(Path("x.json"), b'[{"statementId": "1", "recordType": "entity"}]')
    False
    """
    return jsonstream.first_byte(head) in (b"[", b"{") and b'"schema"' in head and b'"properties"' in head


def percentage(text: str) -> tuple[float | None, float | None, float | None]:
    """(share, share_min, share_max) from FtM's percent text.

    >>> percentage("51"), percentage("0.5%"), percentage("25-50%"), percentage("75-")
    ((0.51, None, None), (0.005, None, None), (None, 0.25, 0.5), (None, 0.75, None))
    """
    m = _PERCENT.match(text)
    if m:
        share, lo, hi = float(m.group(1)), None, None
    else:
        m = _RANGE.match(text)
        if not m or not (m.group(1) or m.group(2)):
            raise ValueProblem(text, "a percentage", PERCENT_EXPECTED)
        share, lo, hi = None, *(float(g) if g else None for g in m.groups())
    vals = [v for v in (share, lo, hi) if v is not None]
    if any(v > 100 for v in vals) or (lo is not None and hi is not None and lo > hi):
        raise ValueProblem(text, "a percentage between 0 and 100 (a range low-high)", PERCENT_EXPECTED)
    return tuple(None if v is None else round(v / 100, 12) for v in (share, lo, hi))


class _Bad(Exception):
    def __init__(self, prop: str, value, problem):
        self.prop, self.value, self.problem = prop, value, problem


@dataclass
class _File:
    label: str
    entities: list[tuple] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # FtM id -> the reference kg resolves
    links: dict[str, list[tuple]] = field(default_factory=dict)
    skipped: Counter = field(default_factory=Counter)
    derived: Counter = field(default_factory=Counter)
    unknown_props: Counter = field(default_factory=Counter)
    count: int = 0


def load_ftm(path: Path, records: Records, options=None) -> None:
    """Read one FtM file into ``records``."""
    f = _File(path.name)
    for number, data in jsonstream.records(path):
        f.count += 1
        if isinstance(data, BadJson):
            records.rejects.append(Reject(f.label, number, "json", "", f"line is not JSON ({data.reason}); expected one FollowTheMoney entity per line"))
            continue
        try:
            _read(f, number, data)
        except _Bad as e:
            eid = data.get("id") if isinstance(data, dict) else None
            records.rejects.append(Reject(f.label, number, e.prop, _short(e.value), f"entity {eid}: {e.problem}"))
    records.files.append(FileCount(f.label, "entities", f.count))
    records.headers.update({(f.label, "from_ref"): "properties.owner|director|payer|creditor|issuer",
                            (f.label, "to_ref"): "properties.asset|organization|beneficiary|debtor"})
    _warnings(f, records)
    _emit(f, records)


def _short(v) -> str:
    s = v if isinstance(v, str) else str(v)
    return s if len(s) <= 120 else s[:117] + "..."


def _read(f: _File, number: int, data) -> None:
    if not isinstance(data, dict):
        raise _Bad("entity", data, f"value {_short(data)!r} is not a JSON object; expected a FollowTheMoney entity")
    schema = model.get(data.get("schema")) if isinstance(data.get("schema"), str) else None
    if schema is None:
        raise _Bad("schema", data.get("schema"), f"value {data.get('schema')!r} is not a FollowTheMoney schema; "
                                                  "expected Company, Organization, LegalEntity, PublicBody, Person, Ownership, "
                                                  "Directorship, Payment, Debt, ...")
    if not data.get("id"):
        raise _Bad("id", "", "value '' is empty; expected the entity's id")
    props = data.get("properties") or {}
    if not isinstance(props, dict) or not all(isinstance(v, list) for v in props.values()):
        raise _Bad("properties", props, "is not an object of lists; expected {\"name\": [\"...\"], ...}")
    for p in props:
        if p not in schema.properties:
            f.unknown_props[f"{schema.name}.{p}"] += 1
    for p in schema.required:
        if not props.get(p):
            raise _Bad(f"properties.{p}", "", f"is empty; expected the {p} (FollowTheMoney {schema.name} requires it)")
    try:
        schema.validate(data)
    except InvalidData as e:
        name = next(iter((e.errors or {}).get("properties", {})), None)
        prop = schema.properties.get(name)
        if prop is None:
            raise _Bad("properties", props, f"{e}; expected valid FollowTheMoney {schema.name} properties") from None
        value = next((v for v in props[name] if not prop.type.validate(v)), "")
        kind = prop.type.name
        raise _Bad(f"properties.{name}", value, f"value {value!r} is not a valid {kind} (FollowTheMoney {schema.name}.{name}); "
                                                f"expected {FTM_EXPECTED.get(kind, 'a valid ' + kind)}") from None
    proxy = model.get_proxy(data)
    kg = data.get("kg") if isinstance(data.get("kg"), dict) else {}
    if kg.get("derived"):
        f.derived[schema.name] += 1
    elif schema.is_a("LegalEntity"):
        _entity(f, number, proxy, kg)
    elif schema.name in LINKS and (schema.name != "UnknownLink" or kg.get("basis")):
        _link(f, number, proxy, kg)
    else:
        f.skipped[schema.name] += 1


def _first(proxy, prop: str) -> str | None:
    vals = proxy.get(prop, quiet=True)
    return clean(vals[0]) if vals else None


def _checked(proxy, prop: str, parse):
    v = _first(proxy, prop)
    if v is None:
        return None
    try:
        return parse(v)
    except ValueProblem as e:
        raise _Bad(f"properties.{prop}", v, e) from None


def _entity(f: _File, number: int, proxy, kg: dict) -> None:
    s = proxy.schema
    ktype = kg.get("type")
    if ktype in ("Exchange", "Programme"):  # kg's reference entities ship with kg
        f.skipped[f"{s.name} (kg reference {ktype})"] += 1
        return
    if ktype not in kg_model().node_types:
        ktype = "Person" if s.is_a("Person") else "GovernmentBody" if s.is_a("PublicBody") else "Firm"
    names = [clean(n) for n in proxy.get("name")]
    name = names[0] if names else None
    if kg:  # kg's own export says which name is the Chinese one
        zh = kg.get("name_zh")
    else:
        zh = next((n for n in names if n and _CJK.search(n) and n != name), None) or \
            (name if name and _CJK.search(name) else None)
    country = next((c.upper() for c in proxy.get("country", quiet=True) + proxy.get("jurisdiction", quiet=True)
                    if len(c) == 2), None)
    tick = None
    for t in proxy.get("ticker", quiet=True):
        try:
            tick = ticker.parse(t).canonical
            break
        except ValueProblem:
            continue
    founded = _checked(proxy, "incorporationDate", dates.parse)
    state = kg.get("state_owned") if kg else (True if "gov.soe" in proxy.get("topics", quiet=True) else None)
    values = {"type": ktype, "name": name, "name_zh": zh, "uscc": _checked(proxy, "uscCode", uscc.parse),
              "lei": _checked(proxy, "leiCode", lei.parse), "ticker": tick, "country": country,
              "province": kg.get("province"), "city": kg.get("city"), "sector": _first(proxy, "sector"),
              "founded": founded, "state_owned": state}
    local = kg.get("id") if kg else proxy.id
    values["id"] = local if local is not None else (None if values["uscc"] or values["lei"] or tick else proxy.id)
    f.refs[proxy.id] = values["id"] or values["uscc"] or values["lei"] or tick
    f.entities.append((*(values.get(c) for c in ENTITY_COLUMNS), number, proxy.id))


def _date(proxy, prop: str):
    return _checked(proxy, prop, dates.parse)


def _link(f: _File, number: int, proxy, kg: dict) -> None:
    s = proxy.schema.name
    rel, a_prop, b_prop = LINKS[s]
    a = _first(proxy, a_prop)
    if a is None:
        raise _Bad(f"properties.{a_prop}", "", f"is empty; expected the id of the {a_prop}")
    v: dict = {}
    if s == "Ownership":
        pct = _first(proxy, "percentage")
        if pct is not None:
            try:
                v["share"], v["share_min"], v["share_max"] = percentage(pct)
            except ValueProblem as e:
                raise _Bad("properties.percentage", pct, e) from None
        kind = (_first(proxy, "ownershipType") or "").lower()
        v["direct_or_indirect"] = next((w for w in ("indirect", "direct", "unknown") if kind.startswith(w)), None)
        v["share_basis"] = kg.get("share_basis")
    elif rel == "DECLARED_CONTROL":
        v.update(basis=kg.get("basis") or "directorship", role=kg.get("role") if kg.get("basis") else _first(proxy, "role"),
                 status=_first(proxy, "status"), share_min=kg.get("share_min"), share_max=kg.get("share_max"),
                 direct_or_indirect=kg.get("direct_or_indirect"))
    elif rel == "FUNDED":
        purpose = (_first(proxy, "purpose") or "").lower()
        v["instrument"] = kg.get("instrument") or ("loan" if s == "Debt" else purpose if purpose in INSTRUMENTS else None)
        amount = _first(proxy, "amount")
        try:
            v["amount"] = float(amount) if amount is not None else None
        except ValueError:
            raise _Bad("properties.amount", amount, f"value {amount!r} is not a number; expected an amount such as 1500000") from None
        v.update(amount_bound=kg.get("amount_bound"), interest_rate=kg.get("interest_rate"),
                 currency=(_first(proxy, "currency") or "").upper() or None, date=_date(proxy, "date"))
    if rel in ("OWNS", "DECLARED_CONTROL"):
        v.update(start=_date(proxy, "startDate"), end=_date(proxy, "endDate"))
    if rel == "LISTED_ON":
        code = _first(proxy, "ticker")
        try:
            t = ticker.parse(code, exchange_hint=kg.get("exchange")) if code else None
        except ValueProblem:
            t = None
        if t is None:
            f.skipped["Security (no ticker kg reads)"] += 1
            return
        b = t.exchange
        v.update(ticker=t, board=kg.get("board") or t.board, listed=_date(proxy, "issueDate"),
                 delisted=dates.parse(kg["delisted"]) if kg.get("delisted") else None)
    else:
        b = _first(proxy, b_prop)
        if b is None:
            raise _Bad(f"properties.{b_prop}", "", f"is empty; expected the id of the {b_prop}")
    f.links.setdefault(rel, []).append((a, b, *(v.get(c) for c in LINK_COLUMNS[rel]), number, proxy.id))


def _warnings(f: _File, records: Records) -> None:
    def counts(c: Counter) -> str:
        return ", ".join(f"{k} ({n})" for k, n in sorted(c.items()))

    if f.skipped:
        records.warnings.append(f"{f.label}: skipped {sum(f.skipped.values())} entities kg does not read: {counts(f.skipped)}")
    if f.derived:
        records.warnings.append(f"{f.label}: skipped {sum(f.derived.values())} links derived by accelerator-kg "
                                f"(kg derives them again): {counts(f.derived)}")
    if f.unknown_props:
        records.warnings.append(f"{f.label}: ignored properties not in their FollowTheMoney schema: {counts(f.unknown_props)}")


def _emit(f: _File, records: Records) -> None:
    label = f.label
    if f.entities:
        frame = pd.DataFrame(f.entities, columns=[*ENTITY_COLUMNS, "row", "source_record"])
        frame["source"] = frame["file"] = label
        records.add("entity", with_nones(frame))
    for rel, rows in f.links.items():
        frame = pd.DataFrame(rows, columns=["from_ref", "to_ref", *LINK_COLUMNS[rel], "row", "source_record"])
        frame["from_ref"] = frame["from_ref"].map(lambda x: f.refs.get(x, x))
        if rel != "LISTED_ON":
            frame["to_ref"] = frame["to_ref"].map(lambda x: f.refs.get(x, x))
        frame["source"] = frame["file"] = label
        records.add("link", with_nones(frame), rel)
