"""Neo4j sinks: the Bolt push, Cypher queries and neo4j-admin bulk-import CSVs.

The push and the bulk import read the graph from the build's graph tables (nodes by label set,
links by type), not from the RDF store: the push their typed Arrow view
(:func:`kg.tables.view.iter_graph`), the bulk import its frames (:func:`kg.tables.graph_frames`).

* :mod:`kg.neo4j.schema`   constraints and indexes; the ontology's labels and relationship types (kg.tables.names)
* :mod:`kg.neo4j.frames`   the same frames read back out of the RDF store (the reference they are tested against)
* :mod:`kg.neo4j.push`     idempotent UNWIND/MERGE batches over Bolt (``kg push neo4j``)
* :mod:`kg.neo4j.rows`     Arrow tables to the rows of one batch (dates as text, constants once)
* :mod:`kg.neo4j.cypher`   run Cypher, answers as plain rows (``kg cypher``)
* :mod:`kg.neo4j.bulk_csv` CSVs + ``import.sh`` for ``neo4j-admin database import full``
* :mod:`kg.neo4j.connect`  settings, password handling, one-line errors

>>> from kg.neo4j.schema import NODE_LABEL, node_labels
>>> node_labels("GuidanceFund")
('KgNode', 'GuidanceFund', 'Fund')
"""
