"""FollowTheMoney export (``--format ftm``): entities as JSON lines, as Aleph and OpenSanctions
tools read them (``ftm`` CLI, ``followthemoney`` library).

Written without a runtime dependency on followthemoney, using its schema and property names;
the tests check every entity against the followthemoney model. Mapping:

* Firm, Bank, Fund, GuidanceFund -> ``Company`` (``uscCode``, ``leiCode``, ``ticker``,
  ``incorporationDate``, ``jurisdiction``, ``sector``, ``program`` for certifications, topic
  ``gov.soe`` when state-owned or state-controlled); GovernmentBody -> ``PublicBody``;
  Person -> ``Person``; Exchange -> ``Organization`` (programmes become ``program`` values);
* OWNS -> ``Ownership`` (``owner``, ``asset``, ``percentage`` as FtM's percent text, e.g.
  ``"51"``, ``startDate``, ``endDate``); ULTIMATELY_OWNS -> ``Ownership`` with
  ``ownershipType`` "indirect (derived)"; CONTROLS -> ``UnknownLink`` with role "controls";
* FUNDED -> ``Debt`` for loans and bonds (``creditor`` = funder, ``debtor`` = recipient),
  ``Payment`` for equity, subsidies and LP commitments (``purpose`` = the instrument), with
  ``amount``, ``currency``, ``date``;
* LISTED_ON -> ``Security`` (``issuer``, ``ticker``) and the firm's ``ticker``.

Every entity carries its sources in ``publisher`` (the dataset) and, for links, ``recordId``
(file:row). Entity ids are ``kg-`` plus the IRI's path (``kg-uscc-9132...``), or a hash
where the path has characters FtM ids do not allow; :func:`ftm_id` maps an IRI to its id.
Dates are written at their precision (``2019``, ``2019-06``, ``2019-06-22``), a share range as
``percentage`` ``"25-50"``, a declared direct or indirect holding as ``ownershipType``;
DECLARED_CONTROL becomes ``Directorship`` (basis directorship: ``director``,
``organization``, ``role``) or ``UnknownLink`` (other bases, role "declared control: ...").

What FtM has no property for travels in a top-level ``kg`` object, which FtM keeps as context
(``EntityProxy.context``) and ``kg build`` reads back (kg.loaders.ftm), so an export loads
back into the same graph: an entity's kg ``id`` and ``type`` (Bank, Fund, GuidanceFund),
``name_zh``, ``province``, ``city``, ``state_owned``; a funding's ``instrument``,
``interest_rate`` and ``amount_bound``; a declared control's ``basis``; a listing's ``board``
and ``delisted``; ``derived: true`` on CONTROLS and ULTIMATELY_OWNS (kg derives them again).

>>> ftm_id("https://w3id.org/accelerator-kg/id/uscc/91350200776049653A")
'kg-uscc-91350200776049653A'
>>> ftm_id("https://w3id.org/accelerator-kg/id/entity/big%20fund%2FII")[:10]
'kg-entity-'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from kg.export.common import certifications, jsonable, missing, node_sources, short_id
from kg.subgraph import Subgraph

_ID_OK = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")

SCHEMAS = {"Person": "Person", "GovernmentBody": "PublicBody", "Exchange": "Organization"}
DEBT_INSTRUMENTS = ("loan", "bond")


def ftm_id(iri: str) -> str:
    """The FtM entity id of a kg IRI (``kg-`` + the IRI's path, dashes for slashes)."""
    path = short_id(iri)
    cand = "kg-" + path.replace("/", "-").replace("_", "-")
    if _ID_OK.match(cand) and len(cand) <= 200:
        return cand
    kind = path.split("/", 1)[0]
    kind = kind if _ID_OK.match(kind) else "x"
    return f"kg-{kind}-{hashlib.sha1(iri.encode('utf-8')).hexdigest()[:20]}"


def _schema(labels: tuple[str, ...]) -> str:
    for label in labels:
        if label in SCHEMAS:
            return SCHEMAS[label]
    return "Company"


def _num(v: Any) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def _entity(eid: str, schema: str, props: dict[str, list[Any]], kg: dict[str, Any] | None = None) -> dict[str, Any]:
    clean = {k: [str(x) for x in dict.fromkeys(v) if not missing(x) and str(x) != ""] for k, v in props.items()}
    out = {"id": eid, "schema": schema, "properties": {k: v for k, v in clean.items() if v}}
    extra = {k: jsonable(v) for k, v in (kg or {}).items() if not missing(v) and v != ""}
    if extra:
        out["kg"] = extra
    return out


def _date(row: dict[str, Any], col: str) -> str | None:
    """A stored date at its precision: '2019', '2019-06' or '2019-06-22'.

    >>> _date({"start": "2019-01-01", "start_precision": "year"}, "start"), _date({"end": "2021-06-30"}, "end")
    ('2019', '2021-06-30')
    """
    v = row.get(col)
    if missing(v) or v is None:
        return None
    return str(v)[:{"year": 4, "month": 7}.get(row.get(f"{col}_precision"), 10)]


def _percentage(r: dict[str, Any]) -> str | None:
    """FtM's percent text: the share ('51'), else the range ('25-50')."""
    if not missing(r.get("share")):
        return _num(round(float(r["share"]) * 100, 8))
    lo, hi = r.get("share_min"), r.get("share_max")
    if missing(lo) and missing(hi):
        return None
    return "-".join(_num(round(float(x) * 100, 8)) if not missing(x) else "" for x in (lo, hi))


def entities(sub: Subgraph) -> Iterator[dict[str, Any]]:
    """The FtM entities of a subgraph, nodes first, then links (as plain dicts).

    >>> [(e["schema"], e["properties"].get("percentage")) for e in entities(Subgraph.example())]
    [('Company', None), ('PublicBody', None), ('Ownership', ['60'])]
    """
    sources = node_sources(sub)
    certs = certifications(sub)
    tickers: dict[str, list[str]] = {}
    for _, r in sub.edges_of("LISTED_ON"):
        if r.get("ticker"):
            tickers.setdefault(r["from"], []).append(r["ticker"])
    for row in sub.node_rows():
        labels = tuple(row.get("labels", ()))
        if "Programme" in labels:
            continue
        schema = _schema(labels)
        kg = {"id": row.get("id"), "type": labels[0] if labels else None, "name_zh": row.get("name_zh"),
              "province": row.get("province"), "city": row.get("city"), "state_owned": row.get("state_owned")}
        props: dict[str, list[Any]] = {"name": [row.get("name"), row.get("name_zh")],
                                       "country": [str(row["country"]).lower()] if row.get("country") else [],
                                       "publisher": [s.get("source") for s in sources.get(row["iri"], [])]}
        place = ", ".join(str(row[k]) for k in ("city", "province") if row.get(k))
        if place:
            props["address"] = [place]
        if schema == "Person":
            pass
        else:
            props["jurisdiction"] = props["country"]
            props["incorporationDate"] = [_date(row, "founded")]
            props["sector"] = [row.get("sector")]
            props["leiCode"] = [row.get("lei")]
            if schema == "Company":
                props["uscCode"] = [row.get("uscc")]
                props["ticker"] = [row.get("ticker"), *tickers.get(row["iri"], [])]
            else:
                props["registrationNumber"] = [row.get("uscc")]
            if row.get("state_owned") or row.get("state_controlled") or "GuidanceFund" in labels:
                props["topics"] = ["gov.soe"] if schema == "Company" else []
            if schema == "PublicBody":
                props["topics"] = ["gov"]
            props["program"] = [" ".join(x for x in (c.get("programme_name") or c.get("programme"),
                                                     f"({c['year']})" if c.get("year") else "") if x)
                                for c in certs.get(row["iri"], [])]
            props["programId"] = [c.get("programme") for c in certs.get(row["iri"], [])]
        if row.get("id"):
            props["notes"] = [f"accelerator-kg id {row['id']}; IRI {row['iri']}"]
        yield _entity(ftm_id(row["iri"]), schema, props, kg)
    for rel, r in sub.edges():
        yield from _link(rel, r, sub)


def _link(rel: str, r: dict[str, Any], sub: Subgraph) -> Iterator[dict[str, Any]]:
    a, b = ftm_id(r["from"]), ftm_id(r["to"])
    prov: dict[str, list[Any]] = {"publisher": [r.get("source")],
                                  "recordId": [":".join(str(r[k]) for k in ("source_file", "source_row") if not missing(r.get(k))) or None]}
    eid = ftm_id(r["iri"])
    derived = {"derived": True} if rel in ("ULTIMATELY_OWNS", "CONTROLS") else {}
    if rel in ("OWNS", "ULTIMATELY_OWNS"):
        props = {"owner": [a], "asset": [b], "startDate": [_date(r, "start")], "endDate": [_date(r, "end")],
                 "percentage": [_percentage(r)], "ownershipType": [r.get("direct_or_indirect")], **prov}
        if rel == "ULTIMATELY_OWNS":
            props["ownershipType"] = ["indirect (integrated ownership, derived by accelerator-kg)"]
            props["description"] = [r.get("method")]
        yield _entity(eid, "Ownership", props, {**derived, "share_basis": r.get("share_basis")})
    elif rel == "CONTROLS":
        yield _entity(eid, "UnknownLink", {"subject": [a], "object": [b], "role": ["controls (majority control, derived by accelerator-kg)"],
                                           "description": [r.get("method")], **prov}, derived)
    elif rel == "DECLARED_CONTROL":
        dates = {"startDate": [_date(r, "start")], "endDate": [_date(r, "end")], "status": [r.get("status")], **prov}
        kg = {"basis": r.get("basis"), "role": r.get("role"), "direct_or_indirect": r.get("direct_or_indirect"),
              "share_min": r.get("share_min"), "share_max": r.get("share_max")}
        if r.get("basis") == "directorship":
            yield _entity(eid, "Directorship", {"director": [a], "organization": [b], "role": [r.get("role")], **dates}, kg)
        else:
            role = "declared control: " + " ".join(x for x in (str(r.get("basis") or "").replace("_", " "), r.get("role")) if x)
            yield _entity(eid, "UnknownLink", {"subject": [a], "object": [b], "role": [role], **dates}, kg)
    elif rel == "FUNDED":
        instrument = r.get("instrument")
        amount = [_num(r["amount"])] if not missing(r.get("amount")) else []
        common = {"amount": amount, "currency": [r.get("currency")], "date": [_date(r, "date")], **prov}
        kg = {"instrument": instrument, "interest_rate": r.get("interest_rate"), "amount_bound": r.get("amount_bound")}
        notes = []
        if not missing(r.get("interest_rate")):
            notes.append(f"interest rate {float(r['interest_rate']) * 100:g}% a year")
        if r.get("amount_bound"):
            notes.append(f"amount is a {r['amount_bound']} bound")
        if instrument in DEBT_INSTRUMENTS:
            yield _entity(eid, "Debt", {"creditor": [a], "debtor": [b], "description": notes or [instrument], **common}, kg)
        else:
            yield _entity(eid, "Payment", {"payer": [a], "beneficiary": [b], "purpose": [instrument],
                                           "description": notes, **common}, kg)
    elif rel == "LISTED_ON":
        ex = sub.node(r["to"])
        yield _entity(eid, "Security", {"issuer": [a], "ticker": [r.get("ticker")],
                                        "name": [f"{r.get('ticker') or ''} on {ex.get('name') or ex.get('code') or ''}".strip()],
                                        "issueDate": [_date(r, "listed")], "publisher": prov["publisher"]},
                      {"exchange": ex.get("code"), "board": r.get("board"), "delisted": _date(r, "delisted")})
    # CERTIFIED_AS: the firm's ``program``/``programId`` values (FtM has no certification link)


def render(sub: Subgraph) -> bytes:
    """JSON lines, one entity per line (UTF-8).

    >>> len(render(Subgraph.example()).splitlines())
    3
    """
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entities(sub)).encode("utf-8")
