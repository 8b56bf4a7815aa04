"""``kg serve``: the built graph over HTTP, read-only.

* :mod:`kg.serve.app` builds the Starlette application (routes, security headers, errors);
* :mod:`kg.serve.sparql` is the SPARQL 1.1 Protocol endpoint at ``/sparql``;
* :mod:`kg.serve.api` is the canned-query API at ``/api/queries`` (the catalog; rows as JSON or CSV);
* :mod:`kg.serve.pool` runs every query in a bounded pool of worker processes, each holding the
  live store read-only, so a runaway query is stopped at the timeout without starving the rest;
* :mod:`kg.serve.negotiate` picks a media type from an ``Accept`` header;
* :mod:`kg.serve.pages` are the HTML pages (search, entity, network, canned queries, SPARQL
  console; templates in kg/serve/templates/, scripts and styles in kg/serve/assets/), reading
  the store through :mod:`kg.serve.pages_data` in the same worker pool.
"""
