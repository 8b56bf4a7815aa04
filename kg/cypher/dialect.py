"""Neo4j Cypher -> LadybugDB Cypher: the one place where the two dialects differ.

The canned ``queries/*.cypher`` (and ``kg cypher`` input) are written in Neo4j's Cypher, kept
to what both engines understand; :func:`translate` rewrites the rest for LadybugDB:

* labels: a LadybugDB node sits in one table, so a Neo4j label becomes the union of the tables
  that carry it (``(f:Fund)`` -> ``(f:Fund:GuidanceFund)``, ``:KgNode`` -> every table);
* typed nulls: ``toInteger(null)`` -> ``CAST(NULL AS INT64)`` (also toFloat, toString), so
  the parts of a UNION agree on their columns' types;
* functions: ``toInteger``/``toFloat``/``toString``/``split`` -> ``to_int64``/``to_double``/
  ``to_string``/``string_split``; ``d.year`` of a date -> ``date_part('year', d)``;
  ``duration({days: n})`` -> ``to_days(n)``; ``duration.inDays(a, b).days`` -> ``(b - a)``;
* positions: ``substring`` and list indexes count from 1 (a literal offset or index is shifted);
* ``labels(n)`` -> the node's table's labels (a CASE over the tables);
* ``EXISTS { (a)-->(b) }`` -> ``EXISTS { MATCH (a)-->(b) }``; property names that are
  keywords (``d.end``) are quoted;
* folds: ``reduce`` of a product, sum or ``' > '``-joined text over a list -> ``list_product``,
  ``list_sum``, ``list_to_string``; the "no node twice" test of a path -> its distinct node IRIs counted (``is_acyclic`` misreads paths over several tables);
* parameters: a null parameter has no type in LadybugDB, so each use of one becomes
  ``CAST($p AS <type>)`` (the value stays bound, never pasted);
* null parameters folded: ``$p IS NULL`` of a parameter bound to null is ``true`` (``IS NOT
  NULL``: ``false``), and conditions made of such constants are simplified
  (``($p IS NULL OR EXISTS {...})`` -> nothing), because LadybugDB evaluates every operand of
  OR, the subquery of an EXISTS included, and filters only after the joins it needs.

Text in quotes and comments is never rewritten.

>>> translate("MATCH (f:Fund)-[c:CERTIFIED_AS]->(p) WHERE c.valid_from.year <= $as_of.year RETURN toFloat(1)")
"MATCH (f:Fund:GuidanceFund)-[c:CERTIFIED_AS]->(p) WHERE date_part('year', c.valid_from) <= date_part('year', $p_as_of) RETURN to_double(1)"
>>> translate("RETURN substring($s, 0, 10), split($s, '|')[2]", {"s": "STRING"})
"RETURN substring(CAST($p_s AS STRING), 1, 10), string_split(CAST($p_s AS STRING), '|')[3]"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache

from kg.errors import InputError

#: parameter types (kg.queries.params ParamSpec.type) -> LadybugDB types, for null parameters
PARAM_TYPES = {
    "date": "DATE", "year": "INT64", "integer": "INT64", "decimal": "DOUBLE", "boolean": "BOOLEAN",
    "integers": "INT64[]", "string": "STRING", "programme": "STRING", "ref": "STRING", "province": "STRING[]",
}

PARAM_PREFIX = "p_"
"""Prefix :func:`translate` gives every parameter name (``$only`` is a keyword of LadybugDB);
bind the values under the prefixed names."""

DATE_PARAMS = frozenset({"as_of"})
"""Parameters that are always dates (their ``.year`` is a date part)."""

_FUNCTIONS = {"toInteger": "to_int64", "toFloat": "to_double", "toString": "to_string", "split": "string_split"}
_KEYWORD_PROPS = ("end",)
_TYPED_NULLS = {"toInteger": "INT64", "toFloat": "DOUBLE", "toString": "STRING"}


@cache
def ontology_names() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], frozenset[str]]:
    """``(label -> node tables, node table -> labels, date columns)``, as kg.cypher.schema
    (``label_tables``), kg.neo4j.schema (``node_labels``) and kg.tables.names (``column_kinds``)
    give them (tested equal), read from the ontology here because importing those modules (the
    kg.tables package: pandas, pyarrow) takes half a second of every query's process start.

    >>> labels, tables, dates = ontology_names()
    >>> labels["Fund"], tables["GuidanceFund"], "valid_from" in dates
    (('Fund', 'GuidanceFund'), ('KgNode', 'GuidanceFund', 'Fund'), True)
    """
    from kg.ontology import XSD, model

    m = model()
    by_label: dict[str, list[str]] = {NODE_LABEL: list(m.node_types)}
    for nt in m.node_types.values():
        for label in nt.labels:
            by_label.setdefault(label, []).append(nt.name)
    kinds: dict[str, str] = {}
    for p in m.properties.values():
        kinds.setdefault(p.column, p.datatype)
    return ({k: tuple(v) for k, v in by_label.items()},
            {t: (NODE_LABEL, *nt.labels) for t, nt in m.node_types.items()},
            frozenset(c for c, d in kinds.items() if d == XSD + "date"))


NODE_LABEL = "KgNode"
"""The label every node carries in Neo4j (kg.tables.names.NODE_LABEL)."""


class DialectError(InputError):
    """A construct of the Neo4j query that has no LadybugDB translation here."""


def _mask(text: str) -> tuple[str, list[str]]:
    """Text with comments dropped and string literals replaced by ``\\x00N\\x00`` markers."""
    out, saved, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            j = i + 1
            while j < n and text[j] != ch:
                j += 2 if text[j] == "\\" else 1
            saved.append(text[i:j + 1])
            out.append(f"\x00{len(saved) - 1}\x00")
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(ch)
            i += 1
    return "".join(out), saved


def _unmask(text: str, saved: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: saved[int(m.group(1))], text)


def _close(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start``."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = []
    for i in range(start, len(text)):
        c = text[i]
        if c in pairs:
            stack.append(pairs[c])
        elif stack and c == stack[-1]:
            stack.pop()
            if not stack:
                return i
    raise DialectError(f"unbalanced brackets in the query after {text[start:start + 40]!r}")


def _split_top(text: str, sep: str) -> list[str]:
    """``text`` split at ``sep`` where no bracket is open."""
    parts, depth, last, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[last:i])
            last = i + len(sep)
            i = last
            continue
        i += 1
    parts.append(text[last:])
    return [p.strip() for p in parts]


def _calls(text: str, name: str, rewrite) -> str:
    """Each call ``name(args)`` (case-insensitive, innermost handled by recursion on the
    result) replaced by ``rewrite(args, rest)`` -> (replacement, characters of rest consumed)."""
    pat = re.compile(rf"(?<![\w.]){name}\s*\(", re.IGNORECASE)
    pos = 0
    while (m := pat.search(text, pos)) is not None:
        open_at = m.end() - 1
        close_at = _close(text, open_at)
        args = text[open_at + 1:close_at]
        replacement, used = rewrite(args, text[close_at + 1:])
        text = text[:m.start()] + replacement + text[close_at + 1 + used:]
        pos = m.start() + 1
    return text


def _shift(index: str, by: int = 1) -> str:
    index = index.strip()
    return str(int(index) + by) if re.fullmatch(r"\d+", index) else f"({index}) + {by}"


def _substring(args: str, rest: str) -> tuple[str, int]:
    a = _split_top(args, ",")
    if len(a) == 2:
        return f"substring({a[0]}, {_shift(a[1])}, 2147483647)", 0
    return f"substring({a[0]}, {_shift(a[1])}, {', '.join(a[2:])})", 0


def _in_days(args: str, rest: str) -> tuple[str, int]:
    a = _split_top(args, ",")
    m = re.match(r"\s*\.\s*days\b", rest)
    if len(a) != 2 or m is None:
        raise DialectError("duration.inDays(a, b) is translated only as duration.inDays(a, b).days")
    return f"(({a[1]}) - ({a[0]}))", m.end()


def _duration(args: str, rest: str) -> tuple[str, int]:
    m = re.fullmatch(r"\s*\{\s*days\s*:\s*(.+?)\s*\}\s*", args, re.DOTALL)
    if m is None:
        raise DialectError(f"duration({args.strip()}) is translated only as duration({{days: n}})")
    return f"to_days({m.group(1)})", 0


def _reduce(args: str, rest: str) -> tuple[str, int]:
    """``reduce(acc = init, v IN list | expr)`` for the folds that have a list function."""
    m = re.fullmatch(r"\s*(\w+)\s*=\s*(.+?)\s*,\s*(\w+)\s+IN\s+(.+)", args, re.DOTALL | re.IGNORECASE)
    parts = _split_top(m.group(4), "|") if m else []
    if m is None or len(parts) != 2:
        raise DialectError(f"reduce({args.strip()}) has no LadybugDB translation")
    acc, init, var, (lst, expr) = m.group(1), m.group(2), m.group(3), parts
    expr = re.sub(r"\s+", " ", expr)
    if re.fullmatch(r"1(\.0*)?", init) and (x := re.fullmatch(rf"{acc} \* (.+)", expr)):
        return f"list_product(list_transform({lst}, {var} -> {x.group(1)}))", 0
    if re.fullmatch(r"0(\.0*)?", init) and (x := re.fullmatch(rf"{acc} \+ (.+)", expr)):
        return f"list_sum(list_transform({lst}, {var} -> {x.group(1)}))", 0
    # the empty-string marker is masked: \x00N\x00
    joined = re.fullmatch(rf"{acc} \+ CASE WHEN {acc} = (\x00\d+\x00) THEN \x00\d+\x00 ELSE (\x00\d+\x00) END \+ (.+)",
                          expr, re.IGNORECASE)
    if joined:
        return f"list_to_string({joined.group(2)}, list_transform({lst}, {var} -> {joined.group(3)}))", 0
    raise DialectError(f"reduce({args.strip()}) has no LadybugDB translation (only products, sums and "
                       "separator-joined text)")


def _all_labels(args: str, rest: str) -> tuple[str, int]:
    """``labels(n)``: the labels Neo4j would give a node of n's table (from the ontology)."""
    whens = " ".join(f"WHEN '{t}' THEN [{', '.join(repr(x) for x in labels)}]" for t, labels in ontology_names()[1].items())
    return f"CASE label({args.strip()}) {whens} END", 0


_ACYCLIC = re.compile(r"\bALL\s*\(\s*(\w+)\s+IN\s+range\s*\(\s*0\s*,\s*length\s*\(\s*(\w+)\s*\)\s*\)\s+WHERE\s+NOT\s+"
                      r"nodes\s*\(\s*\2\s*\)\s*\[\s*\1\s*\]\s+IN\s+nodes\s*\(\s*\2\s*\)\s*\[\s*\1\s*\+\s*1\s*\.\.\s*\]\s*\)",
                      re.IGNORECASE)


def _labels(m: re.Match) -> str:
    var, label, more = m.group(1), m.group(2), m.group(3)
    if more:
        raise DialectError(f"node pattern ({var}:{label}{more}) has several labels; LadybugDB nodes carry one "
                           "(write one label)")
    tables = ontology_names()[0].get(label)
    return f"({var}:{':'.join(tables) if tables else label}"


def translate(text: str, null_params: Mapping[str, str] | None = None, bound: Iterable[str] | Mapping = ()) -> str:
    """The LadybugDB form of a Neo4j Cypher query; ``null_params`` maps each parameter bound to
    null to its LadybugDB type (e.g. ``{"since": "INT64"}``); ``bound`` names parameters bound
    to a value (not null): with the null ones, their ``IS NULL`` tests are folded. When
    ``bound`` maps names to their values, a text parameter compared with a quoted text
    (``$p = 'x'``, ``$p <> 'x'``) is folded too (:func:`_fold_texts`).

    >>> translate("MATCH (n:KgNode {iri: $ref}) RETURN n.name", {"ref": "STRING"})[:60]
    'MATCH (n:Firm:Bank:Fund:GuidanceFund:GovernmentBody:Exchange'
    >>> translate("RETURN reduce(x = 1.0, r IN relationships(p) | x * r.share)")
    'RETURN list_product(list_transform(relationships(p), r -> r.share))'
    >>> translate("MATCH (f) WHERE ($c = 'ever' OR EXISTS { MATCH (f)--() }) RETURN f", {}, {"c": "ever"})
    'MATCH (f) RETURN f'
    """
    q, saved = _mask(text)
    if isinstance(bound, Mapping):
        q = _fold_texts(q, saved, bound)
    if null_params or bound:
        q = _fold_nulls(q, null_params or {}, bound)
    q = _ACYCLIC.sub(lambda m: f"size(list_distinct(list_transform(nodes({m.group(2)}), kg_n -> kg_n.iri))) = length({m.group(2)}) + 1", q)
    q = _calls(q, "reduce", _reduce)
    q = _calls(q, r"duration\.inDays", _in_days)
    q = _calls(q, "duration", _duration)
    q = re.sub(r"\(\s*(\w*)\s*:\s*(\w+)((?:\s*:\s*\w+)*)", _labels, q)
    q = re.sub(r"\bEXISTS\s*\{\s*\(", "EXISTS { MATCH (", q, flags=re.IGNORECASE)
    q = _calls(q, "labels", _all_labels)
    dates = ontology_names()[2]

    def date_part(m: re.Match) -> str:
        base, part = m.group(1), m.group(2)
        is_date = base[1:] in DATE_PARAMS if base.startswith("$") else base.split(".")[1] in dates
        return f"date_part('{part}', {base})" if is_date else m.group(0)

    q = re.sub(r"(\$\w+|(?<![\w.$])\w+\.\w+)\.(year|month|day)\b", date_part, q)
    for neo, typ in _TYPED_NULLS.items():
        q = re.sub(rf"(?<![\w.]){neo}\s*\(\s*null\s*\)", f"CAST(NULL AS {typ})", q, flags=re.IGNORECASE)
    for neo, lb in _FUNCTIONS.items():
        q = re.sub(rf"(?<![\w.]){neo}\s*\(", f"{lb}(", q)
    q = _calls(q, "substring", _substring)
    q = re.sub(r"([\w)\]])\[\s*(\d+)\s*\]", lambda m: f"{m.group(1)}[{int(m.group(2)) + 1}]", q)
    for word in _KEYWORD_PROPS:
        q = re.sub(rf"\.\s*{word}\b", f".`{word}`", q, flags=re.IGNORECASE)
    for name, typ in (null_params or {}).items():
        q = re.sub(rf"\${name}\b", f"CAST(${name} AS {typ})", q)
    q = re.sub(r"\$(\w+)", rf"${PARAM_PREFIX}\1", q)  # some names are keywords (only)
    # LadybugDB reads "WHERE (name(" as the start of a pattern
    q = re.sub(r"\bWHERE\s+\(", "WHERE true AND (", q, flags=re.IGNORECASE)
    q = _order_by_aliases(q)
    return _unmask(q, saved)


def _order_by_aliases(q: str) -> str:
    """``RETURN items ORDER BY keys`` -> ``WITH items RETURN aliases ORDER BY keys`` in each part
    of a UNION: LadybugDB's ORDER BY reads a name that is both a variable and a returned alias
    (``firm.iri AS firm``) as the variable; after the WITH only the alias is left. Names the keys
    use that are not returned are carried through the WITH."""
    depth, cuts = 0, [0]
    for m in re.finditer(r"[{}]|\bUNION(?:\s+ALL)?\b", q, re.IGNORECASE):
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth -= 1
        elif depth == 0:
            cuts += [m.start(), m.end()]
    cuts.append(len(q))
    return "".join(_part_order_by(q[a:b]) if i % 2 == 0 else q[a:b]
                   for i, (a, b) in enumerate(zip(cuts, cuts[1:], strict=False)))


def _part_order_by(q: str) -> str:
    depth, ret, order = 0, None, None
    for m in re.finditer(r"[{}]|\bRETURN\b|\bORDER\s+BY\b", q, re.IGNORECASE):
        tok = m.group(0).upper()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        elif depth == 0 and tok == "RETURN":
            ret, order = m, None
        elif depth == 0 and tok.startswith("ORDER") and ret is not None:
            order = m
    if ret is None or order is None:
        return q
    items_text = q[ret.end():order.start()]
    distinct = re.match(r"\s*DISTINCT\b", items_text, re.IGNORECASE)
    if distinct:
        items_text = items_text[distinct.end():]
    items = _split_top(items_text, ",")
    aliases = []
    for it in items:
        m = re.search(r"\bAS\s+(\w+)\s*$", it, re.IGNORECASE)
        aliases.append(m.group(1) if m else it)
    keys = re.sub(r"\bSKIP\b.*|\bLIMIT\b.*", "", q[order.end():], flags=re.IGNORECASE | re.DOTALL)
    carried = [w for w in dict.fromkeys(re.findall(r"(?<![\w.$'])([A-Za-z_]\w*)\b(?!\s*\()", keys))
               if w not in aliases and w.upper() not in ("ASC", "DESC", "ASCENDING", "DESCENDING", "NULL", "TRUE", "FALSE")
               and re.search(rf"\b{w}\b", q[:ret.start()])]
    with_items = ", ".join(items + carried)
    return (q[:ret.start()] + f"WITH {'DISTINCT ' if distinct else ''}{with_items}\nRETURN {', '.join(aliases)}\n"
            + q[order.start():])


def _fold_texts(q: str, saved: list[str], values: Mapping) -> str:
    """``q`` (masked) with each comparison of a text parameter with a quoted text (``$p = 'x'``,
    ``$p <> 'x'``) replaced by its truth for the parameter's value: LadybugDB evaluates every
    operand of an OR, so ``($c = 'ever' OR EXISTS {...})`` would run the subquery for each row
    even when the first operand holds. Only quoted texts without escapes are compared.

    >>> q, saved = _mask("WHERE $c = 'ever' AND $c <> 'x' AND $d = 'ever'")
    >>> _unmask(_fold_texts(q, saved, {"c": "ever", "d": 1}), saved)
    "WHERE true AND true AND $d = 'ever'"
    """
    def fold(m: re.Match) -> str:
        value, lit = values.get(m.group(1)), saved[int(m.group(3))]
        if not isinstance(value, str) or "\\" in lit or len(lit) < 2:
            return m.group(0)
        same = value == lit[1:-1]
        return "true" if same == (m.group(2) == "=") else "false"

    return re.sub(r"\$(\w+)\s*(=|<>)\s*\x00(\d+)\x00", fold, q)


# ------------------------------------------------------------------ a final ORDER BY, for Arrow

_ORDER_KEY = re.compile(r"^(?:coalesce\(\s*(\w+)\s*,\s*(.+?)\s*\)|(\w+))(?:\s+(ASC|ASCENDING|DESC|DESCENDING))?$",
                        re.IGNORECASE | re.DOTALL)
_LITERAL = re.compile(r"^(?:(-?\d+(?:\.\d+)?)|date\(\s*'(\d{4}-\d{2}-\d{2})'\s*\)|'([^'\\]*)')$", re.IGNORECASE)


def split_order(text: str) -> tuple[str, list[tuple[str, bool, object]]]:
    r"""A translated query without its final ``ORDER BY`` and that ORDER BY's keys, ``(returned
    column, descending, value standing for null)``: so a caller can sort the rows itself (in
    Arrow, much faster than LadybugDB 0.22 sorts text). Each key must be a returned column, or
    ``coalesce(column, literal)`` of one (a number, a quoted text or ``date('YYYY-MM-DD')``); no
    UNION, SKIP or LIMIT. Otherwise the query is returned as it is, with no keys. Cypher's
    order, which the caller keeps: nulls last ascending, first descending.

    >>> split_order("MATCH (f) WITH f.a AS a, f.d AS d\nRETURN a, d\nORDER BY coalesce(d, date('0001-01-01')), a DESC")
    ('MATCH (f) WITH f.a AS a, f.d AS d\nRETURN a, d\n', [('d', False, datetime.date(1, 1, 1)), ('a', True, None)])
    >>> split_order("RETURN a ORDER BY a LIMIT 3")[1], split_order("RETURN a, b ORDER BY a + b")[1]
    ([], [])
    """
    import datetime as dt

    q, saved = _mask(text)
    if re.search(r"\bUNION\b|\bSKIP\b|\bLIMIT\b", q, re.IGNORECASE):
        return text, []
    order = list(re.finditer(r"\bORDER\s+BY\b", q, re.IGNORECASE))
    ret = list(re.finditer(r"\bRETURN\b", q, re.IGNORECASE))
    if not order or not ret or order[-1].start() < ret[-1].start() or "{" in q[ret[-1].end():] or "}" in q[ret[-1].end():]:
        return text, []
    items = _split_top(q[ret[-1].end():order[-1].start()], ",")
    items[0] = re.sub(r"^DISTINCT\s+", "", items[0], flags=re.IGNORECASE)
    returned = {re.search(r"(\w+)\s*$", it).group(1) for it in items if re.search(r"(\w+)\s*$", it)}
    keys: list[tuple[str, bool, object]] = []
    for part in _split_top(q[order[-1].end():].strip(), ","):
        m = _ORDER_KEY.match(_unmask(part, saved).strip())
        if m is None:
            return text, []
        name = m.group(1) or m.group(3)
        fill = None
        if m.group(1):
            lit = _LITERAL.match(m.group(2).strip())
            if lit is None:
                return text, []
            num, day, txt = lit.groups()
            fill = (float(num) if "." in num else int(num)) if num else dt.date.fromisoformat(day) if day else txt
        if name not in returned:
            return text, []
        keys.append((name, (m.group(4) or "").upper().startswith("DESC"), fill))
    return _unmask(q[:order[-1].start()], saved), keys


# ------------------------------------------------------------------ null parameters folded

_CLAUSE = re.compile(r"\b(?:WITH|RETURN|MATCH|OPTIONAL|UNWIND|ORDER|UNION|CALL|SKIP|LIMIT|WHERE)\b|[{}]", re.IGNORECASE)


_NOT_CALLS = {"WHERE", "AND", "OR", "XOR", "NOT", "WHEN", "THEN", "ELSE", "RETURN", "WITH", "MATCH", "IN", "DISTINCT"}


def _fold_nulls(q: str, null_params: Mapping[str, str], bound: Iterable[str] = ()) -> str:
    """``q`` (masked) with ``$p IS [NOT] NULL`` of each null parameter (and of each ``bound``
    one) made a constant and the conditions holding constants simplified (:func:`_fold_bool`):
    in brackets and WHERE clauses.

    >>> _fold_nulls("MATCH (f) WHERE ($a IS NULL OR EXISTS { MATCH (f)--() }) AND f.x = 1 RETURN f", {"a": "STRING"})
    'MATCH (f) WHERE f.x = 1 RETURN f'
    >>> _fold_nulls("WITH f WHERE $a IS NOT NULL AND f.y MATCH (f)", {"a": "STRING"})
    'WITH f WHERE false MATCH (f)'
    >>> _fold_nulls("RETURN CASE WHEN $a IS NULL AND x THEN 1 END, coalesce($a IS NULL)", {"a": "STRING"})
    'RETURN CASE WHEN true AND x THEN 1 END, coalesce(true)'
    """
    for names, is_null in ((null_params, "true"), (bound, "false")):
        for name in names:
            q = re.sub(rf"\${name}\s+IS\s+NOT\s+NULL\b", "false" if is_null == "true" else "true", q, flags=re.IGNORECASE)
            q = re.sub(rf"\${name}\s+IS\s+NULL\b", is_null, q, flags=re.IGNORECASE)
    if not re.search(r"\b(?:true|false)\b", q):
        return q
    return _fold_where(_fold_groups(q))


def _fold_groups(q: str) -> str:
    """Each bracketed condition (not a call's arguments, not a node pattern) folded, innermost first."""
    out, i = [], 0
    while i < len(q):
        c = q[i]
        if c == "(":
            end = _close(q, i)
            inner = _fold_groups(q[i + 1:end])
            word = re.search(r"(\w+|[^\w\s])?\s*$", "".join(out[-40:])).group(1) or ""
            call = bool(re.fullmatch(r"\w+|[.\]]", word)) and word.upper() not in _NOT_CALLS
            folded = inner if call else _fold_bool(inner)
            out.append(folded if folded in ("true", "false") and not call else f"({folded if not call else inner})")
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _fold_where(q: str) -> str:
    """Each WHERE clause's condition folded; a clause that is always true is dropped."""
    out, pos = [], 0
    for m in list(re.finditer(r"\bWHERE\b", q, re.IGNORECASE)):
        if m.start() < pos:
            continue
        depth, end = 0, len(q)
        for n in _CLAUSE.finditer(q, m.end()):
            tok = n.group(0)
            inner = q[m.end():n.start()]
            depth = inner.count("(") + inner.count("[") - inner.count(")") - inner.count("]")
            if depth:
                continue
            if tok == "{":  # a map or an EXISTS inside the condition: skip past it
                continue
            end = n.start()
            break
        body = q[m.end():end]
        if "{" in body:  # a subquery in the condition: left as it is
            continue
        folded = _fold_bool(body.strip())
        out.append(q[pos:m.start()])
        if folded != body.strip() or folded == "true":
            out.append("" if folded == "true" else f"WHERE {folded}{body[len(body.rstrip()):] or ' '}")
        else:
            out.append(q[m.start():end])
        pos = end
    out.append(q[pos:])
    return "".join(out)


def _split_kw(text: str, word: str) -> list[str]:
    """``text`` split at the keyword ``word`` (AND, OR) where no bracket is open."""
    parts, depth, last = [], 0, 0
    for m in re.finditer(rf"[([{{]|[)\]}}]|\b{word}\b", text, re.IGNORECASE):
        t = m.group(0)
        if t in "([{":
            depth += 1
        elif t in ")]}":
            depth -= 1
        elif depth == 0:
            parts.append(text[last:m.start()])
            last = m.end()
    parts.append(text[last:])
    return [p.strip() for p in parts]


def _fold_bool(expr: str) -> str:
    """A condition with constant terms simplified (``true OR x`` -> true, ``true AND x`` -> x,
    ``false AND x`` -> false, ``false OR x`` -> x); anything else (a CASE, no constant term)
    is returned as it is.

    >>> _fold_bool("true OR x"), _fold_bool("a AND true AND b"), _fold_bool("a AND false OR b"), _fold_bool("x = true")
    ('true', 'a AND b', 'b', 'x = true')
    """
    if re.search(r"\bCASE\b", expr, re.IGNORECASE) or not re.search(r"\b(?:true|false)\b", expr):
        return expr
    terms, changed = [], False
    for term in _split_kw(expr, "OR"):
        factors = _split_kw(term, "AND")
        if "false" in factors:
            changed = True
            continue
        kept = [f for f in factors if f != "true"]
        if not kept:
            return "true"
        changed |= len(kept) != len(factors)
        terms.append(" AND ".join(kept) if len(kept) != len(factors) else term)
    if not changed:
        return expr
    return " OR ".join(terms) if terms else "false"
