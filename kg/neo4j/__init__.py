"""Neo4j sinks: the Bolt push, Cypher queries and neo4j-admin bulk-import CSVs.

* :mod:`kg.neo4j.schema`   labels, relationship types, constraints and indexes from the ontology
* :mod:`kg.neo4j.frames`   the stored graph as typed tables (nodes by label set, links by type)
* :mod:`kg.neo4j.push`     idempotent UNWIND/MERGE batches over Bolt (``kg push neo4j``)
* :mod:`kg.neo4j.cypher`   run Cypher, answers as plain rows (``kg cypher``)
* :mod:`kg.neo4j.bulk_csv` CSVs + ``import.sh`` for ``neo4j-admin database import full``
* :mod:`kg.neo4j.connect`  settings, password handling, one-line errors

>>> from kg.neo4j.schema import NODE_LABEL, node_labels
>>> node_labels("GuidanceFund")
('KgNode', 'GuidanceFund', 'Fund')
"""
