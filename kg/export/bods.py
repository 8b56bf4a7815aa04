"""Beneficial Ownership Data Standard 0.4 export (``--format bods``): a JSON array of statements.

Record-based BODS 0.4 (https://standard.openownership.org/en/0.4.0/):

* an **entity** record for every selected organisation: firms, banks, funds and guidance funds
  as ``registeredEntity``, government bodies as ``stateBody``; with name (and the Chinese
  name as an alternate name), jurisdiction, identifiers (USCC under ``CN-SAIC`` -- the org-id
  scheme of the registration authority, now SAMR --, LEI under ``XI-LEI``, the sources' local
  id), founding date, seat, the IRI as ``uri`` and, from LISTED_ON links, the public listing;
* a **person** record for every person (``knownPerson``, legal name);
* a **relationship** record for every ownership or control link: OWNS as a direct
  ``shareholding`` with ``share.exact`` in percent (0-100), ULTIMATELY_OWNS (derived) as an
  indirect shareholding, CONTROLS (derived) as ``otherInfluenceOrControl``, each with
  ``startDate``/``endDate`` and its source (dataset, file and row).

Record ids are the kg IRIs (entity, person) and the qualified link IRIs (relationship), so a
statement can be traced back to the graph; statement ids are SHA-1 hashes of the record and
its content (stable across runs). ``declarationSubject`` is the focus entity. Entities come
before the relationships that name them. Funding, certification and listing links are not
ownership or control and have no BODS relationship; programmes and exchanges are no parties.

>>> import tempfile, pathlib, json
>>> from kg.build import build
>>> from kg.rdf.store import open_store
>>> from kg.subgraph import Selection, around
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "tests" / "fixtures" / "mini"], db, derive=False)
>>> st = statements(around(open_store(db), "sub", Selection(hops=1, links=("OWNS",))))
>>> [(s["recordType"], s["recordDetails"].get("interests", [{}])[0].get("share")) for s in st]
[('entity', None), ('entity', None), ('relationship', {'exact': 70.0})]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from kg.export.common import interval, missing, node_sources, sources_text
from kg.loaders.bods import LOCAL_ID_SCHEME_NAME, interest_types
from kg.ontology import model
from kg.subgraph import Subgraph, reference_classes

BODS_VERSION = "0.4"
PUBLISHER = {"name": "accelerator-kg"}
USCC_SCHEME = {"scheme": "CN-SAIC", "schemeName": "Unified Social Credit Code (统一社会信用代码)"}
LEI_SCHEME = {"scheme": "XI-LEI", "schemeName": "Global Legal Entity Identifier Index"}
LOCAL_SCHEME = {"schemeName": LOCAL_ID_SCHEME_NAME}

COUNTRIES = {"CN": "China", "HK": "Hong Kong", "MO": "Macao", "TW": "Taiwan", "US": "United States",
             "SG": "Singapore", "GB": "United Kingdom", "DE": "Germany", "JP": "Japan", "KR": "Korea"}
EXCHANGE_JURISDICTION = {"HKEX": "HK"}

# link kind -> (interest type, directOrIndirect, details); DECLARED_CONTROL takes its type from its basis
INTERESTS = {
    "OWNS": ("shareholding", "direct", None),
    "DECLARED_CONTROL": ("otherInfluenceOrControl", "unknown", None),
    "ULTIMATELY_OWNS": ("shareholding", "indirect", "integrated (direct and indirect) ownership, derived by accelerator-kg"),
    "CONTROLS": ("otherInfluenceOrControl", "unknown", "majority control, directly or through controlled firms; derived by accelerator-kg"),
}


def _country(code: Any) -> dict[str, str] | None:
    if missing(code) or not code:
        return None
    code = str(code).upper()
    return {"name": COUNTRIES.get(code, code), "code": code} if len(code) == 2 else {"name": code}


def _sid(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")).hexdigest()


def _source(items: list[dict[str, Any]], derived: str | None = None) -> dict[str, Any]:
    if derived:
        return {"description": derived}
    out: dict[str, Any] = {"type": ["thirdParty"]}
    if items:
        out["description"] = "accelerator-kg sources: " + sources_text(items)
        names = list(dict.fromkeys(str(i["source"]) for i in items if i.get("source")))
        if names:
            out["assertedBy"] = [{"name": n} for n in names]
    return out


def _listings(sub: Subgraph) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for _, r in sub.edges_of("LISTED_ON"):
        ex = sub.node(r["to"])
        code = ex.get("code") or r["to"].rsplit("/", 1)[-1]
        item: dict[str, Any] = {"stockExchangeJurisdiction": EXCHANGE_JURISDICTION.get(code, "CN"),
                                "stockExchangeName": ex.get("name") or code,
                                "security": {"ticker": r.get("ticker") or sub.node(r["from"]).get("ticker") or ""}}
        if ex.get("mic"):
            item["marketIdentifierCode"] = ex["mic"]
        out.setdefault(r["from"], []).append(item)
    return out


def _entity_details(row: dict[str, Any], listings: list[dict[str, Any]]) -> dict[str, Any]:
    labels = row.get("labels", ())
    state = "GovernmentBody" in labels
    d: dict[str, Any] = {"isComponent": False,
                         "entityType": {"type": "stateBody" if state else "registeredEntity", "details": labels[0]}}
    name = row.get("name") or row.get("name_zh")
    if name:
        d["name"] = name
    if row.get("name_zh") and row.get("name") and row["name_zh"] != row["name"]:
        d["alternateNames"] = [row["name_zh"]]
    if _country(row.get("country")):
        d["jurisdiction"] = _country(row.get("country"))
    ids = []
    if row.get("uscc"):
        ids.append({"id": row["uscc"], **USCC_SCHEME})
    if row.get("lei"):
        ids.append({"id": row["lei"], **LEI_SCHEME})
    if row.get("id"):
        ids.append({"id": str(row["id"]), **LOCAL_SCHEME})
    if ids:
        d["identifiers"] = ids
    if row.get("founded"):
        d["foundingDate"] = str(row["founded"])[:10]
    place = ", ".join(str(row[k]) for k in ("city", "province") if row.get(k))
    if place:
        addr: dict[str, Any] = {"type": "registered", "address": place}
        if _country(row.get("country")):
            addr["country"] = _country(row.get("country"))
        d["addresses"] = [addr]
    d["uri"] = row["iri"]
    if listings:
        d["publicListing"] = {"hasPublicListing": True, "securitiesListings": listings}
    return d


def _person_details(row: dict[str, Any]) -> dict[str, Any]:
    names = []
    if row.get("name"):
        names.append({"type": "legal", "fullName": row["name"]})
    if row.get("name_zh") and row.get("name_zh") != row.get("name"):
        names.append({"type": "alternative" if names else "legal", "fullName": row["name_zh"]})
    d: dict[str, Any] = {"isComponent": False, "personType": "knownPerson" if names else "unknownPerson"}
    if names:
        d["names"] = names
    if row.get("id"):
        d["identifiers"] = [{"id": str(row["id"]), **LOCAL_SCHEME}]
    return d


def _share(r: dict[str, Any]) -> dict[str, float]:
    """A link's share in percent: exact, else the range it is known to lie in."""
    if not missing(r.get("share")):
        return {"exact": round(float(r["share"]) * 100, 10)}
    out = {}
    for key, col in (("minimum", "share_min"), ("maximum", "share_max")):
        if not missing(r.get(col)):
            out[key] = round(float(r[col]) * 100, 10)
    return out


def _declared_type(basis: str | None, role: str | None) -> tuple[str, str | None]:
    """The BODS interest type of a declared control's basis (voting_rights -> votingRights);
    a basis BODS has no type for (directorship, a GLEIF consolidation) is
    otherInfluenceOrControl with the basis in the details."""
    head, *rest = (basis or "unknown_interest").split("_")
    camel = head + "".join(w.title() for w in rest)
    if camel in interest_types():
        return camel, role
    return "otherInfluenceOrControl", "; ".join(x for x in (basis, role) if x)


def statements(sub: Subgraph, *, published: dt.date | None = None) -> list[dict[str, Any]]:
    """The BODS statements of a subgraph (entities and persons first, then relationships).

    >>> st = statements(Subgraph.example(), published=dt.date(2024, 1, 1))
    >>> [s["recordDetails"].get("entityType", {}).get("type") for s in st]
    ['registeredEntity', 'stateBody', None]
    >>> st[2]["recordDetails"]["interests"]
    [{'type': 'shareholding', 'directOrIndirect': 'direct', 'share': {'exact': 60.0}, 'startDate': '2019-01-01'}]
    """
    published = published or dt.date.today()
    statement_date = (sub.selection.as_of or published).isoformat()
    pub = {"publicationDate": published.isoformat(), "bodsVersion": BODS_VERSION, "publisher": PUBLISHER}
    subject = sub.focus[0]
    sources = node_sources(sub)
    listings = _listings(sub)
    parties = set()
    out: list[dict[str, Any]] = []

    def add(record_id: str, record_type: str, details: dict[str, Any], source: dict[str, Any]) -> None:
        out.append({"statementId": _sid(record_id, record_type, details, statement_date),
                    "declarationSubject": subject, "statementDate": statement_date,
                    "publicationDetails": pub, "source": source, "recordId": record_id,
                    "recordStatus": "new", "recordType": record_type, "recordDetails": details})

    for row in sub.node_rows():
        labels = set(row.get("labels", ()))
        if labels & set(reference_classes()):
            continue
        parties.add(row["iri"])
        if "Person" in labels:
            add(row["iri"], "person", _person_details(row), _source(sources.get(row["iri"], [])))
        else:
            add(row["iri"], "entity", _entity_details(row, listings.get(row["iri"], [])),
                _source(sources.get(row["iri"], [])))
    m = model()
    for rel, r in sub.edges():
        if rel not in INTERESTS or r["from"] not in parties or r["to"] not in parties:
            continue
        kind, direct, details = INTERESTS[rel]
        if rel == "DECLARED_CONTROL":
            kind, details = _declared_type(r.get("basis"), r.get("role"))
        interest: dict[str, Any] = {"type": kind, "directOrIndirect": r.get("direct_or_indirect") or direct}
        if details:
            interest["details"] = details
        share = _share(r)
        if share:
            interest["share"] = share
        start, end = interval(rel, r)
        if start:
            interest["startDate"] = start
        if end:  # BODS endDate is the first day the interest no longer holds
            interest["endDate"] = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
        rd = {"isComponent": False, "subject": r["to"], "interestedParty": r["from"], "interests": [interest]}
        prov = [{k: r[c] for k, c in (("source", "source"), ("file", "source_file"), ("row", "source_row")) if not missing(r.get(c))}]
        method = r.get("method") if m.link(rel).derived else None
        add(r["iri"], "relationship", rd, _source(prov if prov[0] else [], derived=(details + (f" ({method})" if method else "")) if m.link(rel).derived else None))
    return out


def render(sub: Subgraph) -> bytes:
    """The statements as a JSON array (UTF-8, indented).

    >>> json.loads(render(Subgraph.example()))[0]["publicationDetails"]["bodsVersion"]
    '0.4'
    """
    return (json.dumps(statements(sub), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
