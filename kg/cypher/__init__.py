"""Cypher without a server: the build's property graph in an embedded LadybugDB database.

* :mod:`kg.cypher.schema` -- node and relationship tables, derived from the ontology;
* :mod:`kg.cypher.load` -- writes a build's :class:`~kg.neo4j.frames.GraphFrames` into a new
  database with bulk ``COPY`` (the build's ``cypher/`` folder in its generation);
* :mod:`kg.cypher.dialect` -- the one place where Neo4j Cypher and LadybugDB Cypher differ
  (label unions, functions); the canned ``queries/*.cypher`` are written for Neo4j;
* :mod:`kg.cypher.engine` -- opens the live generation's database read-only and runs Cypher
  with bound parameters (``kg cypher``, ``kg query run --backend cypher``).

LadybugDB (PyPI ``ladybug``) is the maintained fork of Kuzu. Never import ``kuzu`` in the same
process: the two native libraries crash together.
"""
