"""The official BODS 0.4 JSON schema (shipped in ``loaders/bods-0.4/``, Apache-2.0, Open
Ownership) and a validator for one statement, with one-line problems naming the field.

The files reference each other by ``$id`` (``urn:statement``, ``urn:entity``, ...); both the
loader (jsonschema-rs, compiled: ~3 microseconds a statement where the pure-Python jsonschema
needs ~1.3 ms, which would make 10^6 statements take 20 minutes) and the export's tests
(jsonschema + referencing) build their validators from :func:`schemas`.

>>> sorted(schemas())[:3]
['urn:codelists', 'urn:components', 'urn:entity']
>>> problems({"statementId": "x"})[-2:]
[('statementDate', None, 'is required'), ('statementId', 'x', '"x" is shorter than 32 characters')]
"""

from __future__ import annotations

import json
from functools import lru_cache

import jsonschema_rs

from kg.resources import resource_path

STATEMENT_REF = "urn:statement#/$defs/Statement"

_DATE_FIELDS = {"statementDate", "publicationDate"}
_PARTY_FIELDS = {"subject", "interestedParty"}


@lru_cache(maxsize=1)
def schemas() -> dict[str, dict]:
    """The schema documents by ``$id``."""
    out = {}
    for f in sorted(resource_path("loaders", "bods-0.4").glob("*.json")):
        doc = json.loads(f.read_text(encoding="utf-8"))
        out[doc["$id"]] = doc
    return out


@lru_cache(maxsize=1)
def statement_validator() -> jsonschema_rs.Validator:
    """A compiled Draft 2020-12 validator of one statement (formats checked)."""
    registry = jsonschema_rs.Registry(list(schemas().items()))
    return jsonschema_rs.Draft202012Validator({"$ref": STATEMENT_REF}, registry=registry, validate_formats=True)


def field_path(parts) -> str:
    """``recordDetails.interests[0].share`` from a JSON path's parts.

    >>> field_path(["recordDetails", "interests", 0, "share"])
    'recordDetails.interests[0].share'
    """
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _message(e) -> tuple[str, str]:
    """(field, message) of a jsonschema-rs error, with clearer words where the schema says
    anyOf/oneOf (dates, parties)."""
    parts = list(e.instance_path)
    kind = e.kind.name if hasattr(e.kind, "name") else ""
    if kind == "required":
        parts.append(e.kind.property)
        return field_path(parts), "is required"
    last = parts[-1] if parts else ""
    if last in _DATE_FIELDS and kind == "anyOf":
        return field_path(parts), f"{json.dumps(e.instance, ensure_ascii=False)} is not a date; expected YYYY-MM-DD or a date-time such as 2024-01-31T12:00:00Z"
    if last in _PARTY_FIELDS and kind.startswith("oneOf"):
        return field_path(parts), (f"{json.dumps(e.instance, ensure_ascii=False)[:80]} is not a party; expected a recordId "
                                   "or an unspecified-record object with a reason")
    return field_path(parts), e.message


def problems(statement) -> list[tuple[str, object, str]]:
    """(field, value, message) for each schema violation of ``statement`` (empty when valid)."""
    v = statement_validator()
    if v.is_valid(statement):
        return []
    out: dict[tuple[str, str], tuple[str, object, str]] = {}
    for e in v.iter_errors(statement):
        fld, msg = _message(e)
        out.setdefault((fld, msg), (fld, None if msg == "is required" else e.instance, msg))
    return sorted(out.values(), key=lambda x: x[0])
