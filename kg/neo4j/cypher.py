"""Run Cypher on Neo4j and turn the answers into plain rows (the ``kg cypher`` engine).

Parameters are Bolt parameters, never pasted into the query text. Values come back as plain
Python: nodes as dicts of their properties plus ``labels``, relationships as dicts plus
``type``, paths as ``{"nodes": [...], "relationships": [...]}``, dates and times as ISO text,
lists and maps kept.

>>> import neo4j.time
>>> plain([neo4j.time.Date(2021, 7, 1), {"share": 0.51}])
['2021-07-01', {'share': 0.51}]
"""

from __future__ import annotations

import datetime as dt

from kg.errors import InputError, KgError
from kg.neo4j.connect import Settings, describe


def plain(v):
    """A value from the driver as a plain Python value (JSON-friendly).

    >>> plain(3), plain("x"), plain(None), plain([1, [2]])
    (3, 'x', None, [1, [2]])
    >>> import datetime; plain(datetime.date(2020, 1, 31))
    '2020-01-31'
    """
    from neo4j.graph import Node, Path, Relationship

    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, Node):
        out = {k: plain(v[k]) for k in sorted(v.keys())}
        out["labels"] = sorted(v.labels)
        return out
    if isinstance(v, Relationship):
        out = {k: plain(v[k]) for k in sorted(v.keys())}
        out["type"] = v.type
        return out
    if isinstance(v, Path):
        return {"nodes": [plain(n) for n in v.nodes], "relationships": [plain(r) for r in v.relationships]}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    iso = getattr(v, "iso_format", None)
    if callable(iso):  # neo4j.time Date, Time, DateTime, Duration
        return iso()
    if isinstance(v, (dt.date, dt.time, dt.datetime)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v)


def run_cypher(driver, settings: Settings, query: str, params: dict | None = None) -> tuple[list[str], list[list]]:
    """Run one query in an auto-commit transaction; return (columns, rows) of plain values.

    Bad queries (syntax, missing parameters, constraint violations) raise InputError (exit 2),
    other failures KgError (exit 1), each as one line without the password.

    >>> from kg.neo4j.connect import open_driver  # needs a server: # doctest: +SKIP
    >>> with open_driver(settings) as d:  # doctest: +SKIP
    ...     run_cypher(d, settings, "RETURN $x AS x, date('2021-07-01') AS d", {"x": "a"})
    (['x', 'd'], [['a', '2021-07-01']])
    """
    import neo4j.exceptions as nx

    try:
        with driver.session(database=settings.database) as session:
            result = session.run(query, params or {})
            cols = list(result.keys())
            rows = [[plain(r[c]) for c in cols] for r in result]
            result.consume()
            return cols, rows
    except nx.ClientError as e:
        if isinstance(e, (nx.AuthError, nx.Forbidden)):
            raise KgError(describe(e, settings)) from None
        raise InputError(describe(e, settings)) from None
    except (nx.Neo4jError, nx.DriverError, OSError) as e:
        raise KgError(describe(e, settings)) from None
