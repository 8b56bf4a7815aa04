"""The gleif-rdf loader: GLEIF Level 1 and Level 2 data in RDF (Turtle, N-Triples, N-Quads,
TriG, JSON-LD, RDF/XML), in the gleif-L1 / gleif-L2 / gleif-base vocabularies.

The file is streamed through Oxigraph's parser (:func:`pyoxigraph.parse`) and only the triples
kg uses are kept: legal entities (any gleif-L1 entity class, :data:`ENTITY_CLASSES`) with their
legal name, legal address country, legal jurisdiction and entity status; LEI registry entries
(the LEI and its registration status); relationships (:data:`RELATIONSHIP_CLASSES`) with child,
parent, relationship period and status, and their records' registration status. What they mean
in kg terms is :mod:`kg.loaders.gleif`. A party of a relationship is named by its LEI: from the
entity's LEI registry entry when the same file has it, else from GLEIF's IRI scheme
(``.../L1/L-<LEI>``), so L1 and L2 data may come in separate files.

Records are numbered (``row``) in the order their subject first appears in the file; the
subject's IRI is the record id (``source_record``). An RDF file without GLEIF data is refused
with one line saying what kg reads; GLEIF RDF without entities or relationships (the
ontologies themselves, reporting exceptions) is a warning.

>>> from pathlib import Path
>>> from kg.records import Records
>>> p = Path(__import__("tempfile").mkdtemp()) / "l1.ttl"
>>> _ = p.write_text('''@prefix l1: <https://www.gleif.org/ontology/L1/> .
... @prefix base: <https://www.gleif.org/ontology/Base/> .
... <https://rdf.gleif.org/L1/L-506700GE1G29325QX363> a l1:LegalEntity ;
...     l1:hasLegalName "Global Legal Entity Identifier Foundation"@en ;
...     base:hasEntityStatus base:EntityStatusActive .''')
>>> recs = Records()
>>> load(p, recs, None)
>>> recs.entities[0][["lei", "name", "entity_status", "row"]].to_dict("records")
[{'lei': '506700GE1G29325QX363', 'name': 'Global Legal Entity Identifier Foundation', 'entity_status': 'ACTIVE', 'row': 1}]
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pyoxigraph as ox

from kg.loaders.gleif import (
    add_entities,
    add_relationships,
    camel_to_upper,
    count_file,
    skipped_warning,
)
from kg.records import Records
from kg.sources.tabular import SourceError

GLEIF = "https://www.gleif.org/ontology/"
L1 = GLEIF + "L1/"
L2 = GLEIF + "L2/"
BASE = GLEIF + "Base/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: gleif-L1 entity classes -> LEI-CDF entity category (kg.loaders.gleif.KINDS gives the node type).
ENTITY_CLASSES = {
    L1 + "LegalEntity": "GENERAL",
    L1 + "GeneralEntity": "GENERAL",
    L1 + "LocalOperatingUnit": "GENERAL",
    L1 + "Branch": "BRANCH",
    L1 + "Fund": "FUND",
    L1 + "FundFamily": "FUND",
    L1 + "SoleProprietor": "SOLE_PROPRIETOR",
    L1 + "ResidentGovernmentEntity": "RESIDENT_GOVERNMENT_ENTITY",
    L1 + "CentralGovernment": "RESIDENT_GOVERNMENT_ENTITY",
    L1 + "StateGovernment": "RESIDENT_GOVERNMENT_ENTITY",
    L1 + "LocalGovernment": "RESIDENT_GOVERNMENT_ENTITY",
    L1 + "SocialSecurity": "RESIDENT_GOVERNMENT_ENTITY",
    L1 + "InternationalOrganization": "INTERNATIONAL_ORGANIZATION",
}

#: gleif-L2 relationship classes -> RR-CDF relationship type.
RELATIONSHIP_CLASSES = {
    L2 + "DirectConsolidation": "IS_DIRECTLY_CONSOLIDATED_BY",
    L2 + "UltimateConsolidation": "IS_ULTIMATELY_CONSOLIDATED_BY",
    L2 + "InternationalBranchRelationship": "IS_INTERNATIONAL_BRANCH_OF",
    L2 + "FundManagementRelationship": "IS_FUND-MANAGED_BY",
    L2 + "SubFundRelationship": "IS_SUBFUND_OF",
    L2 + "FeederMasterFundRelationship": "IS_FEEDER_TO",
}

#: predicate -> field kept for its subject (the first value each subject has).
PREDICATES = {
    L1 + "hasLegalName": "name",
    L1 + "LEI": "lei",
    L1 + "identifiesAndRecords": "lei_of",
    L1 + "hasLegalAddress": "address",
    BASE + "hasCountry": "country",
    BASE + "hasLegalJurisdiction": "jurisdiction",
    BASE + "hasEntityStatus": "entity_status",
    BASE + "hasRegistrationStatus": "registration_status",
    BASE + "records": "record_of",
    L2 + "hasChild": "child",
    L2 + "hasParent": "parent",
    L2 + "hasRelationshipPeriod": "period",
    L2 + "hasRelationshipStatus": "status",
    BASE + "hasStart": "start",
    BASE + "hasEnd": "end",
}

FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
           ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML}

_LEI_IRI = re.compile(r"/L-([0-9A-Z]{20})$")
HEADERS = {"lei": "gleif-L1:LEI", "name": "gleif-L1:hasLegalName", "category": "rdf:type",
           "child": "gleif-L2:hasChild", "parent": "gleif-L2:hasParent", "start": "gleif-base:hasStart",
           "end": "gleif-base:hasEnd"}


def _local(value: str, prefix: str = "") -> str:
    """The last segment of an IRI, without ``prefix``: .../EntityStatusActive -> 'Active'."""
    return re.split(r"[/#:]", value)[-1].removeprefix(prefix)


def _key(term) -> str:
    """An IRI as itself, a blank node as _:id (subjects and objects keyed alike)."""
    return term.value if isinstance(term, ox.NamedNode) else str(term)


def read(path: Path) -> tuple[dict[str, dict], dict[str, list[str]], list[str], bool]:
    """Stream the file: (fields per subject, GLEIF classes per subject, subjects in order of
    first appearance, whether any GLEIF term was seen)."""
    fmt = FORMATS.get(path.suffix.lower(), ox.RdfFormat.TURTLE)
    facts: dict[str, dict] = {}
    types: dict[str, list[str]] = {}
    order: dict[str, None] = {}
    gleif = False
    try:
        for q in ox.parse(path=str(path), format=fmt, lenient=True):
            p = q.predicate.value
            if not gleif and isinstance(q.subject, ox.NamedNode):  # the GLEIF ontologies themselves
                gleif = q.subject.value.startswith(GLEIF)
            if p == RDF_TYPE:
                cls = q.object.value
                if cls in ENTITY_CLASSES or cls in RELATIONSHIP_CLASSES:
                    s = _key(q.subject)
                    types.setdefault(s, []).append(cls)
                    order.setdefault(s)
                gleif = gleif or cls.startswith(GLEIF)
                continue
            field = PREDICATES.get(p)
            if field is None:
                gleif = gleif or p.startswith(GLEIF)
                continue
            gleif = True
            s = _key(q.subject)
            fields = facts.setdefault(s, {})
            if field not in fields:
                o = q.object
                if isinstance(o, ox.Literal):
                    fields[field] = o.value
                    if o.language:
                        fields[field + "_lang"] = o.language
                else:
                    fields[field] = _key(o)
    except SyntaxError as e:
        raise SourceError(f"{path.name}: not valid {fmt.name} ({str(e).splitlines()[0]})") from None
    except OSError as e:
        raise SourceError(f"{path}: cannot read ({e.strerror or e})") from None
    return facts, types, list(order), gleif


def _lei_of(iri: str, entity_lei: dict[str, str]) -> str:
    if iri in entity_lei:
        return entity_lei[iri]
    m = _LEI_IRI.search(iri)
    return m.group(1) if m else iri


def load(path: Path, records: Records, options) -> None:
    """The gleif-rdf loader (registry entry in kg.loaders.registry)."""
    facts, types, order, gleif = read(path)
    label = path.name
    if not gleif:
        raise SourceError(
            f"{label}: no GLEIF data in this RDF file; kg reads RDF in the GLEIF Level 1/Level 2 vocabularies "
            f"({L1}, {L2}) and tables in the canonical layout or a --mapping layout (see kg loaders)")
    registry = {}  # entity IRI -> (LEI, registration status)
    for fields in facts.values():
        if "lei_of" in fields:
            registry[fields["lei_of"]] = (fields.get("lei"), fields.get("registration_status"))
    record_status = {f["record_of"]: f.get("registration_status") for f in facts.values() if "record_of" in f}
    rownum = {s: i for i, s in enumerate(order, start=1)}

    ents, rels = [], []
    entity_lei: dict[str, str] = {}
    for s in order:
        classes = types[s]
        fields = facts.get(s, {})
        ent_classes = [c for c in classes if c in ENTITY_CLASSES]
        if ent_classes:
            cls = next((c for c in ent_classes if c != L1 + "LegalEntity"), ent_classes[0])
            code, reg = registry.get(s, (None, None))
            entity_lei[s] = code = code or _lei_of(s, {})
            address = facts.get(fields.get("address", ""), {})
            ents.append({
                "row": rownum[s], "source_record": s,
                "lei": code,
                "name": fields.get("name"), "lang": fields.get("name_lang"),
                "category": ENTITY_CLASSES[cls],
                "country": _local(address["country"]) if "country" in address else None,
                "jurisdiction": _local(fields["jurisdiction"]) if "jurisdiction" in fields else None,
                "entity_status": camel_to_upper(_local(fields["entity_status"], "EntityStatus")) if "entity_status" in fields else None,
                "lei_status": camel_to_upper(_local(reg, "RegistrationStatus")) if reg else None,
            })
        else:
            period = facts.get(fields.get("period", ""), {})
            reg = record_status.get(s)
            rels.append({
                "row": rownum[s], "source_record": s,
                "rel_type": RELATIONSHIP_CLASSES[classes[0]],
                "child": fields.get("child"), "parent": fields.get("parent"),
                "status": camel_to_upper(_local(fields["status"], "RelationshipStatus")) if "status" in fields else None,
                "start": period.get("start"), "end": period.get("end"),
                "record_status": camel_to_upper(_local(reg, "RegistrationStatus")) if reg else None,
            })
    skipped: Counter = Counter()
    if ents:
        add_entities(records, pd.DataFrame(ents), label, HEADERS)
    if rels:
        frame = pd.DataFrame(rels)
        for end in ("child", "parent"):
            frame[end] = frame[end].map(lambda iri: None if iri is None else _lei_of(iri, entity_lei))
        skipped = add_relationships(records, frame, label, HEADERS)
    count_file(records, label, "gleif-rdf", len(order) - sum(skipped.values()))
    if not order:
        records.warnings.append(f"{label}: GLEIF RDF without legal entities or relationships "
                                "(an ontology or reporting exceptions?); nothing loaded")
    warning = skipped_warning(label, skipped)
    if warning:
        records.warnings.append(warning)
