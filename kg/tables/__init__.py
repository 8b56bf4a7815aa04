"""The graph tables: the build's product, between derive and every sink.

A build writes its resolved records and derived facts once, as typed columnar tables (Parquet
via pyarrow, one file per table, a manifest) into its generation of the database folder
(``DB/builds/<stamp>/tables/``, published with the generation, atomically). Every sink reads
them: the RDF store is bulk-loaded from them, the Neo4j push and bulk import read their
property-graph view.

* :mod:`kg.tables.names`   property-graph names and value kinds from the ontology
* :mod:`kg.tables.schema`  each column's Arrow type from the ontology
* :mod:`kg.tables.arrow`   pandas frames <-> typed Arrow tables, exactly
* :mod:`kg.tables.write`   ``write_tables(resolved, derived, folder)``
* :mod:`kg.tables.read`    ``open_tables(folder)`` (Resolved, Derived, the view), ``graph_frames(db)``
* :mod:`kg.tables.view`    ``GraphFrames``: nodes by label set, links by type
* :mod:`kg.tables.derived` how the derived facts read as links and properties, their method texts

>>> sorted(n for n in __all__ if n[0].islower())
['graph_frames', 'open_live_tables', 'open_tables', 'tables_dir', 'write_tables']
"""

from kg.tables.read import (
           TABLES_DIR,
           Tables,
           TablesError,
           graph_frames,
           open_live_tables,
           open_tables,
           tables_dir,
)
from kg.tables.view import GraphFrames
from kg.tables.write import write_tables

__all__ = ["TABLES_DIR", "GraphFrames", "Tables", "TablesError", "graph_frames", "open_live_tables", "open_tables",
           "tables_dir", "write_tables"]
