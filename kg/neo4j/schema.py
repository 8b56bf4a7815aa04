"""Neo4j names and schema, all taken from the ontology (never from user input).

* Every node pushed gets the marker label ``KgNode`` (one uniqueness constraint on ``iri``,
  which makes a node MERGE one index seek; a push finds link ends by internal id) plus its
  ontology labels, most specific first (a GuidanceFund is also a Fund).
* Relationship types are the ontology's ``kg:relType`` values; links that have a qualified
  node in RDF carry its IRI as ``iri``, derived ones ``derived: true``. No relationship index:
  a MERGE finds a link from its two ends (found by id), and a relationship index
  would slow every write by about a third.
* Identifier indexes (id, uscc, lei, ticker, code, mic) per label that carries them, and a
  full-text index ``kg_names`` on ``name`` and ``name_zh`` (CJK analyser).

>>> NODE_LABEL
'KgNode'
>>> node_labels("GuidanceFund")
('KgNode', 'GuidanceFund', 'Fund')
>>> [s for s in schema_statements() if "kg_node_iri" in s][0]
'CREATE CONSTRAINT kg_node_iri IF NOT EXISTS FOR (n:KgNode) REQUIRE n.iri IS UNIQUE'
"""

from __future__ import annotations

import re

from kg.ontology import Property, model
from kg.tables.names import (  # noqa: F401  (re-exported: the names every property-graph sink uses)
    BOOL,
    DATE,
    FLOAT,
    INT,
    NODE_LABEL,
    STRING,
    ObjectLink,
    all_labels,
    column_kinds,
    ident,
    kind,
    link_columns,
    node_labels,
    object_links,
    rel_types,
    superclasses,
)

FULLTEXT_INDEX = "kg_names"
"""Name of the full-text index on ``name`` and ``name_zh``."""

IDENTIFIER_COLUMNS = ("id", "uscc", "lei", "ticker", "code", "mic")
"""Node properties that get a range index on every label whose class carries them."""

NAME_COLUMNS = ("name", "name_zh")


def props_of_node_type(node_type: str) -> list[Property]:
    """Datatype properties that nodes of a node type carry (inherited ones included).

    >>> "uscc" in [p.column for p in props_of_node_type("GuidanceFund")]
    True
    >>> [p.column for p in props_of_node_type("Programme")]
    ['code', 'name', 'name_zh', 'tier']
    """
    classes = superclasses(node_type)
    return sorted((p for p in model().properties.values() if classes & set(p.on)), key=lambda p: p.column)


def schema_statements() -> list[str]:
    """Cypher statements creating the constraints and indexes a push needs (idempotent).

    >>> any(s.startswith("CREATE INDEX kg_firm_uscc") for s in schema_statements())
    True
    """
    out = [f"CREATE CONSTRAINT kg_node_iri IF NOT EXISTS FOR (n:{NODE_LABEL}) REQUIRE n.iri IS UNIQUE"]
    for col in IDENTIFIER_COLUMNS[:4]:
        out.append(f"CREATE INDEX kg_node_{col} IF NOT EXISTS FOR (n:{NODE_LABEL}) ON (n.{col})")
    done = set()
    for nt in model().node_types:
        cols = {p.column for p in props_of_node_type(nt)}
        for label in model().node_type(nt).labels:
            for col in IDENTIFIER_COLUMNS:
                if col in cols and (label, col) not in done:
                    done.add((label, col))
                    out.append(f"CREATE INDEX kg_{label.lower()}_{col} IF NOT EXISTS "
                               f"FOR (n:{ident(label)}) ON (n.{ident(col)})")
    out.append(f"CREATE FULLTEXT INDEX {FULLTEXT_INDEX} IF NOT EXISTS FOR (n:{NODE_LABEL}) "
               f"ON EACH [{', '.join('n.' + c for c in NAME_COLUMNS)}] "
               "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}")
    return out


_SCHEMA_NAME = re.compile(r"^CREATE (CONSTRAINT|INDEX|FULLTEXT INDEX) ([A-Za-z0-9_]+) IF NOT EXISTS")


def schema_names() -> list[tuple[str, str]]:
    """``(kind, name)`` of every constraint and index :func:`schema_statements` creates, kind
    ``CONSTRAINT`` or ``INDEX`` (what a ``DROP`` needs).

    >>> schema_names()[0], ("INDEX", "kg_names") in schema_names()
    (('CONSTRAINT', 'kg_node_iri'), True)
    """
    out = []
    for stmt in schema_statements():
        m = _SCHEMA_NAME.match(stmt)
        out.append(("CONSTRAINT" if m.group(1) == "CONSTRAINT" else "INDEX", m.group(2)))
    return out

