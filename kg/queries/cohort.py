"""The cohort language: one set of parameters that selects certified firms, the same in every
query that selects them, written once per backend.

The parameters (``programme``, ``batches``, ``sector``, ``province``, ``certified``) and their
meaning are declared once, in the header of ``queries/_cohort.rq`` (and, identical, of
``queries/_cohort.cypher``); each file's body is that backend's pattern. A query whose header
says ``cohort: required`` (it always selects a cohort) or ``cohort: optional`` (it selects one
only when a cohort parameter is given, else it covers every firm) takes these parameters, and
its text names the cohort with a placeholder that the catalog expands when it loads the query:

==========================  =============================================================
placeholder                 expands to
==========================  =============================================================
``@cohort(?firm)``          SPARQL: a subquery, one row per cohort firm
``@cohort(?firm, ?c)``      SPARQL: a subquery, (firm, certification) pairs that qualify
``@cohort(firm)``           Cypher: ``MATCH ... WHERE ... WITH DISTINCT firm``
``@cohort(firm, c)``        Cypher: the same, ``WITH DISTINCT firm, c, c_programme``
``@in_cohort(firm)``        Cypher: ``EXISTS { MATCH ... WHERE ... }`` on a bound firm
==========================  =============================================================

Values stay parameters (pre-bound in SPARQL, Bolt parameters in Cypher); the expansion only
renames the pattern's variables to the query's. ``certified`` gets its value here
(:func:`resolve`): as given; else ``ever`` when ``batches`` is given; else the query's default
(``valid``, or ``ever`` where the header says so); for an optional cohort with no cohort
parameter given it stays None, which makes the cohort pattern match nothing and the query's
"every firm" branch apply.

>>> body = "?cohort_c kg:certifiedFirm ?firm ."
>>> print(expand_sparql("SELECT ?f WHERE { @cohort(?f) }", body))
SELECT ?f WHERE { { SELECT DISTINCT ?f WHERE {
  ?cohort_c kg:certifiedFirm ?f .
} } }
>>> print(expand_cypher("@cohort(f, c)\\nRETURN f", "MATCH (firm)-[cohort_c:CERTIFIED_AS]->(cohort_p)"))
MATCH (f)-[c:CERTIFIED_AS]->(c_programme)
WITH DISTINCT f, c, c_programme
RETURN f
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from kg.resources import resource_path

__all__ = ["COHORT_PARAMS", "KINDS", "fragment", "expand_sparql", "expand_cypher", "resolve", "cohort_given"]

#: The cohort's parameters, in the order queries list them.
COHORT_PARAMS = ("programme", "batches", "sector", "province", "certified")
#: ``cohort:`` header values: always a cohort, or only when a cohort parameter is given.
KINDS = ("required", "optional")

_SPARQL_PH = re.compile(r"@cohort\(\s*\?(\w+)\s*(?:,\s*\?(\w+)\s*)?\)")
_CYPHER_PH = re.compile(r"@(cohort|in_cohort)\(\s*(\w+)\s*(?:,\s*(\w+)\s*)?\)")


@cache
def fragment(ext: str) -> tuple[str, str]:
    """``(text, body)`` of the shipped cohort fragment for ``.rq`` or ``.cypher``: the whole file
    (its header declares the parameters) and the pattern without comment lines.

    >>> "certifiedFirm" in fragment(".rq")[1], "CERTIFIED_AS" in fragment(".cypher")[1]
    (True, True)
    """
    text = resource_path("queries").joinpath(f"_cohort{ext}").read_text(encoding="utf-8")
    comment = "#" if ext == ".rq" else "//"
    body = "\n".join(ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(comment))
    return text, body


def _rename(body: str, names: Mapping[str, str], sigil: str) -> str:
    """Rename variables: ``?name`` in SPARQL (sigil ``?``), a bare name in Cypher (not a
    ``$parameter``, a property after ``.`` or part of a longer name).

    >>> _rename("MATCH (firm) WHERE firm.x = $firm AND cohort_firm.y", {"firm": "f"}, "")
    'MATCH (f) WHERE f.x = $firm AND cohort_firm.y'
    """
    for old, new in names.items():
        if sigil:
            body = re.sub(rf"{re.escape(sigil)}{old}\b", sigil + new, body)
        else:
            body = re.sub(rf"(?<![\w$.]){old}\b", new, body)
    return body


def expand_sparql(text: str, body: str | None = None) -> str:
    """``text`` with every ``@cohort(?x)`` / ``@cohort(?x, ?c)`` replaced by the cohort subquery."""
    body = fragment(".rq")[1] if body is None else body

    def sub(m: re.Match) -> str:
        firm, cert = m.group(1), m.group(2)
        names = {"firm": firm} | ({"cohort_c": cert} if cert else {})
        inner = _rename(body, names, "?")
        head = f"?{firm}" + (f" ?{cert}" if cert else "")
        return "{ SELECT DISTINCT " + head + " WHERE {\n  " + inner.replace("\n", "\n  ") + "\n} }"

    return _SPARQL_PH.sub(sub, text)


def expand_cypher(text: str, body: str | None = None) -> str:
    """``text`` with ``@cohort(x)`` / ``@cohort(x, c)`` (clauses) and ``@in_cohort(x)`` (a
    condition) replaced by the cohort pattern."""
    body = fragment(".cypher")[1] if body is None else body

    def sub(m: re.Match) -> str:
        kind, firm, cert = m.group(1), m.group(2), m.group(3)
        names = {"firm": firm} | ({"cohort_c": cert, "cohort_p": f"{cert}_programme"} if cert else {})
        inner = _rename(body, names, "")
        if kind == "in_cohort":
            # the firm's own conditions (sector, province) go outside the subquery: inside EXISTS
            # LadybugDB 0.22 loses the rows where a property of an outer variable is null
            # (``EXISTS { MATCH (f)-->() WHERE f.p IS NULL }`` is false for them)
            own = re.compile(rf"^\s*AND .*(?<![\w$.]){re.escape(firm)}\.")
            lines = inner.splitlines()
            outside = [ln.strip() for ln in lines if own.match(ln)]
            inside = "\n".join(ln for ln in lines if not own.match(ln))
            exists = "EXISTS {\n  " + inside.replace("\n", "\n  ") + "\n}"
            return f"({exists} " + " ".join(outside) + ")" if outside else exists
        return inner + f"\nWITH DISTINCT {firm}" + (f", {cert}, {cert}_programme" if cert else "")

    return _CYPHER_PH.sub(sub, text)


def cohort_given(values: Mapping[str, Any]) -> bool:
    """Whether any cohort parameter has a value (after defaults).

    >>> cohort_given({"programme": None, "batches": [1, 2]}), cohort_given({})
    (True, False)
    """
    return any(values.get(p) is not None for p in COHORT_PARAMS)


def resolve(kind: str | None, values: dict[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Set ``certified`` in ``values`` (parsed parameters, defaults filled) by the cohort rule;
    ``given`` are the parameters as the user gave them, ``kind`` the query's ``cohort:``.

    >>> resolve("required", {"batches": [1, 2], "certified": None}, {"batches": "1,2"})["certified"]
    'ever'
    >>> resolve("required", {"batches": None, "certified": None}, {})["certified"]
    'valid'
    >>> resolve("optional", {"batches": None, "certified": None}, {})["certified"] is None
    True
    >>> resolve("required", {"batches": [1], "certified": "valid"}, {"certified": "valid"})["certified"]
    'valid'
    """
    if kind is None:
        return values
    if given.get("certified") in (None, ""):
        if values.get("batches") is not None:
            values["certified"] = "ever"
        elif values.get("certified") is None and (kind == "required" or cohort_given(values)):
            values["certified"] = "valid"
    return values
