"""Cypher export (``--format cypher``): a script that recreates the subgraph in Neo4j.

Run it on an empty database with ``cypher-shell -f FILE`` or paste it into Neo4j Browser
(one statement per ``;``). The graph is the one ``kg push neo4j`` writes for these nodes:

* first the schema ``kg push`` uses (kg.neo4j.schema): the uniqueness constraint on
  ``(:KgNode {iri})``, the relationship ``iri`` constraints, identifier and name indexes;
* nodes by label set: ``MERGE (n:KgNode {iri: row.iri}) SET n:Firm ... SET n += row.p``, labels
  from the ontology (each checked to be a plain identifier), the firm's financial years as
  ``(:KgNode:FinancialYear)`` nodes behind ``REPORTED``;
* links by type: ``MATCH`` both ends by ``iri``, ``MERGE (a)-[r:OWNS {iri: row.iri}]->(b)``,
  ``SET r += row.p``; derived links carry ``derived: true``.

Values are written as Cypher literals inside ``UNWIND [...] AS row`` batches, never spliced
into query text: strings single-quoted with ``\\``, ``'`` and control characters escaped
(``\\uXXXX``), numbers as numbers, booleans as ``true``/``false``, dates as
``date('YYYY-MM-DD')``; property keys and labels are ontology names checked as identifiers.
Statements never contain a raw line break inside a string, so the file splits safely at
lines ending in ``;``.

>>> cypher_literal("O'Brien \\\\ 北京\\n"), cypher_literal(0.51), cypher_literal(True)
("'O\\\\'Brien \\\\\\\\ 北京\\\\u000A'", '0.51', 'true')
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from kg.export.common import missing
from kg.neo4j.schema import (
    NODE_LABEL,
    column_kinds,
    ident,
    link_columns,
    node_labels,
    schema_statements,
)
from kg.ontology import model
from kg.subgraph import Subgraph

BATCH = 200
"""Rows per UNWIND statement."""


def cypher_string(s: str) -> str:
    """A single-quoted Cypher string literal.

    >>> cypher_string("a'b")
    "'a\\\\'b'"
    """
    out = []
    for ch in s:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "'":
            out.append("\\'")
        elif o < 0x20 or o == 0x7F or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def cypher_literal(v: Any) -> str:
    """A Python value as a Cypher literal (maps and lists included)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "null"
        return repr(v)
    if isinstance(v, dt.date):
        return f"date({cypher_string(v.isoformat())})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{ident(k)}: {cypher_literal(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(cypher_literal(x) for x in v) + "]"
    return cypher_string(str(v))


def _value(kind: str, v: Any) -> Any:
    if missing(v):
        return None
    if kind == "date":
        return dt.date.fromisoformat(str(v)[:10])
    if kind == "float":
        return float(v)
    if kind == "int":
        return int(v)
    if kind == "bool":
        return v if isinstance(v, bool) else str(v).lower() in ("true", "1")
    return str(v)


def _props(row: dict[str, Any], kinds: dict[str, str], skip: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        if k in skip:
            continue
        val = _value(kinds.get(k, "string"), v)
        if val is not None:
            out[ident(k)] = val
    return out


def _unwind(rows: list[dict[str, Any]], body: str) -> list[str]:
    out = []
    for k in range(0, len(rows), BATCH):
        batch = rows[k:k + BATCH]
        out.append("UNWIND [\n  " + ",\n  ".join(cypher_literal(r) for r in batch) + f"\n] AS row\n{body};")
    return out


def statements(sub: Subgraph, *, schema: bool = True) -> list[str]:
    """The script as a list of statements (each ends with ``;``).

    >>> [s.splitlines()[-1] for s in statements(Subgraph.example(), schema=False)][-2:]
    ['MERGE (a)-[r:OWNS {iri: row.iri}]->(b) SET r += row.p;', 'MERGE (a)-[:REPORTED]->(b);']
    """
    m = model()
    kinds = dict(column_kinds())
    out = [s + ";" for s in schema_statements()] if schema else []
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in sub.node_rows():
        labels = tuple(r.get("labels", ()))
        props = _props(r, kinds, ("iri", "labels", "hop", "focus"))
        groups.setdefault(labels, []).append({"iri": r["iri"], "p": props})
    fy = [r for r in _fy_rows(sub)]
    if fy:
        groups.setdefault(("FinancialYear",), []).extend({"iri": r["iri"], "p": r["p"]} for r in fy)
    for labels in sorted(groups):
        extra = "".join(f":{ident(x)}" for x in node_labels(labels[0])[1:]) if labels else ""
        for x in labels[1:]:
            if f":{x}" not in extra:
                extra += f":{ident(x)}"
        set_labels = f" SET n{extra}" if extra else ""
        out += _unwind(groups[labels], f"MERGE (n:{NODE_LABEL} {{iri: row.iri}}){set_labels} SET n += row.p")
    for rel, frame in sub.links.items():
        if not len(frame):
            continue
        link = m.link(rel)
        lk = {**kinds, **link_columns(link)}
        rows = []
        for _, r in sub.edges_of(rel):
            p = _props(r, lk, ("iri", "from", "to", "graph"))
            if link.derived:
                p["derived"] = True
            rows.append({"from": r["from"], "to": r["to"], "iri": r["iri"], "p": p})
        out += _unwind(rows, f"MATCH (a:{NODE_LABEL} {{iri: row.from}}) MATCH (b:{NODE_LABEL} {{iri: row.to}})\n"
                             f"MERGE (a)-[r:{ident(rel)} {{iri: row.iri}}]->(b) SET r += row.p")
    if fy and "REPORTED" in m.links:
        rows = [{"from": r["firm"], "to": r["iri"]} for r in fy]
        out += _unwind(rows, f"MATCH (a:{NODE_LABEL} {{iri: row.from}}) MATCH (b:{NODE_LABEL} {{iri: row.to}})\n"
                             f"MERGE (a)-[:{ident('REPORTED')}]->(b)")
    return out


def _fy_rows(sub: Subgraph) -> list[dict[str, Any]]:
    fin = sub.financials
    if not len(fin):
        return []
    kinds = dict(column_kinds())
    cols = list(fin.columns)
    out = []
    for row in fin.itertuples(index=False, name=None):
        r = dict(zip(cols, row, strict=True))
        out.append({"iri": r["iri"], "firm": r["firm"], "p": _props(r, kinds, ("iri", "firm"))})
    return out


def render(sub: Subgraph) -> bytes:
    """The Cypher script as UTF-8 bytes, with a header comment naming the selection.

    >>> render(Subgraph.example()).decode().splitlines()[0]
    '// accelerator-kg subgraph around A Co.: 2 nodes, 1 links'
    """
    m = sub.meta()
    focus = ", ".join(sub.display_name(f) for f in sub.focus)
    head = [f"// accelerator-kg subgraph around {focus}: {m['node_count']} nodes, {m['link_count']} links",
            f"// hops {m['hops']}, direction {m['direction']}, links {', '.join(m['links'])}"
            + (f", as of {m['as_of']}" if m["as_of"] else ""),
            "// Run on an empty database: cypher-shell -f FILE, or paste into Neo4j Browser."]
    if m["truncated"]:
        head.append(f"// {m['truncated']}")
    text = "\n".join(head) + "\n\n" + "\n\n".join(statements(sub)) + "\n"
    return text.replace("\r", "").encode("utf-8")
