"""Canned queries: a catalog of ``queries/NAME.rq`` + ``NAME.cypher`` files with typed
parameters, run on the embedded store or on Neo4j with the same rows from both.

>>> from kg.queries import load_catalog
>>> "state-capital-flows" in load_catalog()
True
"""

from kg.queries.catalog import Query, get_query, load_catalog
from kg.queries.run import (
    EmbeddedBackend,
    Neo4jBackend,
    as_backend,
    entity_iris,
    neo4j_backend,
    normalise_rows,
    run_query,
    same_rows,
)

__all__ = ["Query", "get_query", "load_catalog", "run_query", "entity_iris", "normalise_rows",
           "same_rows", "EmbeddedBackend", "Neo4jBackend", "as_backend", "neo4j_backend"]
