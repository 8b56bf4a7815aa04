"""Jena-style pre-binding of SPARQL variables (``kg sparql QUERY -p name=value``).

`prebind` returns query text in which every bound variable *means its value everywhere*: in
triple patterns, FILTER, BIND, OPTIONAL/UNION/MINUS, subqueries, GROUP BY/ORDER BY/HAVING and
the projection. A value never enters the text as user text: the term is serialised here from its
parts (IRI checked, lexical form escaped, language tag and datatype checked) into one SPARQL token.

How it works (and why not rdflib's algebra): the query is cut into SPARQL 1.1 terminals by a
tokenizer written against the grammar (IRIs, prefixed names with escapes, the four string forms,
comments, ``?``/``$`` variables, numbers, blank nodes, language tags); only VAR tokens whose name
matches exactly are replaced, so strings, IRIs and comments are never touched and the rest of the
query (prefixes, comments, layout) is kept as written. A few positions where a constant cannot
stand are rewritten:

* projection ``SELECT ?p ?x``       -> ``SELECT ("v" AS ?p) ?x`` (the column p holds the value);
  in a subquery the variable is dropped from the projection instead (re-binding it inside the
  subquery would clash with the outer query);
* ``SELECT *`` (outermost query)    -> ``BIND("v" AS ?p)`` is added at the end of the WHERE
  group, so each parameter is a column;
* ``GROUP BY ?p`` / ``ORDER BY ?p`` / ``HAVING`` -> ``GROUP BY ("v")`` (a bracketed expression);
* ``BOUND(?p)``                      -> ``true``.

A variable the query assigns itself (``BIND(... AS ?p)``, ``VALUES ?p``, ``SELECT (... AS ?p)``,
``GROUP BY (... AS ?p)``) cannot be pre-bound: `PrebindError`.

The rewritten text is parsed by Oxigraph, the engine that will run it (on an empty in-memory
store, so nothing is evaluated against data; an ASK with SERVICE is checked as a SELECT so nothing
is fetched). Only if it is rejected is the analyst's own text parsed as well: a syntax error is
then reported at its line and column in the analyst's text (with rdflib's parser asked which
statement is wrong), otherwise as a value that cannot stand where the variable is used (a literal
as predicate, GRAPH name or DESCRIBE target). rdflib's algebra round trip (``translateAlgebra``)
was rejected: it drops DESCRIBE/CONSTRUCT, garbles aggregate projections and VALUES, and loses
prefixes and comments; rdflib's parser is not used on the happy path because it needs ~120 ms for
a 3 KB query, over the 50 ms budget (the tokenizer plus Oxigraph's parser take ~1 ms).

Limitations:

* Substitution semantics (as Jena's): ``MINUS`` whose only shared variable is a parameter shares
  nothing after substitution and so removes nothing (use ``FILTER NOT EXISTS``).
* ``SELECT *`` gets one column per parameter, even one used only inside a subquery. A subquery
  whose projection holds nothing but parameters projects ``(value AS ?name_prebound)`` instead
  (seen only through an outer ``SELECT *``). ``DESCRIBE *`` does not describe the bound value.
* Oxigraph accepts a few queries the grammar does not (it is checked against Oxigraph only).
* ``\\uXXXX`` escapes *outside* strings and IRIs are not expanded before tokenizing (Oxigraph
  does not expand them either).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyoxigraph

__all__ = ["PrebindError", "prebind", "query_variables", "term_to_sparql"]


class PrebindError(ValueError):
    """A parameter cannot be pre-bound: unknown name, assigned by the query, unusable term,
    or the query does not parse."""


# --------------------------------------------------------------------------- SPARQL terminals

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_VARNAME = f"[{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)

# Everything but '<', whose meaning (IRI, operator, triple-term opener) depends on the context.
_TOKEN_RE = re.compile(
    r"(?P<ws>[ \t\r\n]+)"
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''"
    r'|"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""'
    r"|'(?:[^'\\\r\n]|\\.)*'"
    r'|"(?:[^"\\\r\n]|\\.)*")'
    f"|(?P<var>[?$]{_VARNAME})"
    f"|(?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)"
    f"|(?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)"
    r"|(?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?"
    r"|[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<langtag>@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*(?:--[a-zA-Z]+)?)"
    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)"
    r"|(?P<punct>\^\^|&&|\|\||!=|>=|.)"
)
_IRIREF_RE = re.compile(r'<[^\x00-\x20<>"{}|^`\\]*>')
_OPERAND_END = frozenset({"var", "iri", "pname", "string", "number", "langtag", "bnode"})

_ABSOLUTE_IRI_RE = re.compile(r'[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>"{}|^`\\]*')
_LANGTAG_RE = re.compile(r"[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_NEEDS_ESCAPE_RE = re.compile('["\\\\\x00-\x1f\x7f\ud800-\udfff]')


# --------------------------------------------------------------------------- term serialisation


def term_to_sparql(term: Any) -> str:
    """Serialise an RDF term as one SPARQL token (N-Triples escaping), never as raw user text.

    Accepts rdflib ``URIRef``/``Literal`` and pyoxigraph ``NamedNode``/``Literal``; blank nodes,
    variables and plain Python values raise `PrebindError`.

    >>> from rdflib import Literal, URIRef
    >>> term_to_sparql(Literal('say "hi"\\n', lang="en"))
    '"say \\\\"hi\\\\"\\\\n"@en'
    >>> term_to_sparql(URIRef("http://example.org/a"))
    '<http://example.org/a>'
    """
    if isinstance(term, pyoxigraph.NamedNode):
        return _iri(term.value)
    if isinstance(term, pyoxigraph.Literal):
        direction = term.direction
        return _literal(
            term.value,
            term.language,
            str(direction) if direction is not None else None,
            term.datatype.value if term.datatype is not None else None,
        )
    if isinstance(term, pyoxigraph.BlankNode):
        raise PrebindError("a blank node cannot be bound (in a query it would be a variable)")
    rdflib_term = sys.modules.get("rdflib.term")  # an rdflib term exists only if rdflib is loaded
    if rdflib_term is not None:
        if isinstance(term, rdflib_term.URIRef):
            return _iri(str(term))
        if isinstance(term, rdflib_term.Literal):
            dt = term.datatype
            return _literal(str(term), term.language, None, str(dt) if dt is not None else None)
        if isinstance(term, rdflib_term.BNode):
            raise PrebindError("a blank node cannot be bound (in a query it would be a variable)")
        if isinstance(term, rdflib_term.Variable):
            raise PrebindError("a variable cannot be bound; bind an IRI or a literal")
    raise PrebindError(
        f"cannot bind a {type(term).__name__}: bind an RDF term "
        "(rdflib URIRef/Literal or pyoxigraph NamedNode/Literal)"
    )


def _iri(value: str) -> str:
    if not _ABSOLUTE_IRI_RE.fullmatch(value) or not _is_utf8(value):
        raise PrebindError(f"not an absolute IRI that SPARQL can write as <...>: {value!r}")
    return f"<{value}>"


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escape_char(m: re.Match[str]) -> str:
    c = m.group()
    if c in _ESCAPES:
        return _ESCAPES[c]
    if "\ud800" <= c <= "\udfff":
        raise PrebindError("a literal cannot contain a lone surrogate code point")
    return f"\\u{ord(c):04X}"


def _literal(
    lexical: str, language: str | None, direction: str | None, datatype: str | None
) -> str:
    text = '"' + _NEEDS_ESCAPE_RE.sub(_escape_char, lexical) + '"'
    if language:
        if not _LANGTAG_RE.fullmatch(language):
            raise PrebindError(f"invalid language tag {language!r}")
        text += "@" + language
        if direction:
            if direction not in ("ltr", "rtl"):
                raise PrebindError(f"invalid base direction {direction!r}")
            text += "--" + direction
        return text
    if datatype and datatype != _XSD_STRING:
        if datatype in (_RDF + "langString", _RDF + "dirLangString"):
            raise PrebindError(f"a literal typed <{datatype}> needs a language tag")
        text += "^^" + _iri(datatype)
    return text


# --------------------------------------------------------------------------- query analysis


@dataclass(slots=True)
class _Use:
    """One occurrence of a variable and what its position allows."""

    name: str
    start: int  # the span to replace (for BOUND(?x) the whole call)
    end: int
    role: str  # plain | projected | modifier | bound | assign-as | assign-values
    token: str  # the variable as written, ?x or $x
    select: int = -1  # index into _Analysis.selects for 'projected'


@dataclass(slots=True)
class _Select:
    top: bool
    items: int = 0  # projection items (variables and (expr AS ?v))


@dataclass(slots=True)
class _Analysis:
    uses: list[_Use] = field(default_factory=list)
    names: dict[str, None] = field(default_factory=dict)  # first-appearance order
    selects: list[_Select] = field(default_factory=list)
    star_insert: int | None = None  # offset of '}' closing the WHERE of an outermost SELECT *
    ask: tuple[int, int] | None = None  # span of the ASK keyword
    has_service: bool = False
    declared_prefixes: set[str] = field(default_factory=set)
    pnames: list[tuple[str, int]] = field(default_factory=list)  # (prefix, offset)


class _Frame:
    __slots__ = ("kind", "clause", "select", "star", "star_where", "where_seen")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # top | group | expr | coll | bnode | values | data
        self.clause: str | None = None  # projection | describe | modifier | values-header
        self.select = -1
        self.star = False
        self.star_where = False
        self.where_seen = False


@lru_cache(maxsize=256)
def _analyse(text: str) -> _Analysis:
    a = _Analysis()
    frames = [_Frame("top")]
    sig: list[tuple[str, str, int, int]] = []  # significant tokens: kind, text, start, end
    var_sig: list[int] = []  # index in sig of each entry of a.uses
    pending_star = False
    pos, n = 0, len(text)
    while pos < n:
        cur = frames[-1]
        if text[pos] == "<":
            if cur.kind == "expr" and sig and _ends_operand(sig[-1]):
                kind, end = "punct", pos + (2 if text.startswith("<=", pos) else 1)
            elif text.startswith("<<", pos):
                kind, end = "punct", pos + 2
            else:
                m = _IRIREF_RE.match(text, pos)
                kind, end = ("iri", m.end()) if m else ("punct", pos + 1)
        else:
            m = _TOKEN_RE.match(text, pos)
            if m is None:  # cannot happen: '.' matches any character but '\n', which is ws
                kind, end = "punct", pos + 1
            else:
                kind, end = m.lastgroup or "punct", m.end()
        if kind in ("ws", "comment"):
            pos = end
            continue
        tok = text[pos:end]
        structural = cur.kind in ("top", "group")
        if kind == "name":
            up = tok.upper()
            if up != "DISTINCT" and up != "REDUCED":
                pending_star = False
            if up == "SERVICE":
                a.has_service = True
            elif structural:
                if up == "SELECT":
                    a.selects.append(_Select(top=cur.kind == "top"))
                    cur.clause, cur.select = "projection", len(a.selects) - 1
                    pending_star = cur.kind == "top"
                elif up == "DESCRIBE":
                    cur.clause = "describe"
                elif up == "ASK" and cur.kind == "top" and a.ask is None:
                    a.ask = (pos, end)
                elif up in ("WHERE", "FROM"):
                    if cur.clause in ("projection", "describe"):
                        cur.clause = None
                elif up in ("GROUP", "ORDER", "HAVING"):
                    cur.clause = "modifier"
                elif up in ("LIMIT", "OFFSET"):
                    cur.clause = None
                elif up == "VALUES":
                    cur.clause = "values-header"
        elif kind == "var":
            name = tok[1:]
            a.names.setdefault(name, None)
            use = _Use(name, pos, end, _var_role(frames, sig), tok)
            if use.role == "projected":
                use.select = cur.select
                a.selects[cur.select].items += 1
            a.uses.append(use)
            var_sig.append(len(sig))
            pending_star = False
        elif kind == "pname":
            if sig and sig[-1][0] == "name" and sig[-1][1].upper() == "PREFIX":
                a.declared_prefixes.add(tok[:-1])
            else:
                a.pnames.append((tok.split(":", 1)[0], pos))
            pending_star = False
        elif kind == "punct":
            if tok == "*" and pending_star:
                cur.star = True
            pending_star = False
            if tok == "{":
                if structural and cur.clause == "values-header":
                    cur.clause = None
                    frames.append(_Frame("data"))
                else:
                    frame = _Frame("group")
                    if cur.kind == "top" and not cur.where_seen:
                        cur.where_seen = True
                        frame.star_where = cur.star
                    if structural and cur.clause in ("projection", "describe"):
                        cur.clause = None
                    frames.append(frame)
            elif tok == "}":
                if len(frames) > 1:
                    if frames.pop().star_where:
                        a.star_insert = pos
            elif tok == "(":
                if structural and cur.clause == "projection":
                    a.selects[cur.select].items += 1
                frames.append(_Frame(_paren_kind(cur, sig)))
            elif tok == ")":
                if cur.kind in ("expr", "coll", "values"):
                    frames.pop()
            elif tok == "[":
                frames.append(_Frame("bnode"))
            elif tok == "]":
                if cur.kind == "bnode":
                    frames.pop()
        else:
            pending_star = False
        sig.append((kind, tok, pos, end))
        pos = end
    # BOUND(?x) takes only a variable: it becomes `true` once the variable is bound.
    for use, i in zip(a.uses, var_sig, strict=True):
        if (
            use.role in ("plain", "modifier")
            and i >= 2
            and i + 1 < len(sig)
            and sig[i - 1][1] == "("
            and sig[i - 2][0] == "name"
            and sig[i - 2][1].upper() == "BOUND"
            and sig[i + 1][1] == ")"
        ):
            use.role, use.start, use.end = "bound", sig[i - 2][2], sig[i + 1][3]
    return a


def _ends_operand(tok: tuple[str, str, int, int]) -> bool:
    kind, text = tok[0], tok[1]
    if kind in _OPERAND_END:
        return True
    if kind == "punct":
        return text in (")", "]")
    return kind == "name" and text.upper() in ("TRUE", "FALSE")


def _paren_kind(cur: _Frame, sig: list[tuple[str, str, int, int]]) -> str:
    """Is this '(' an expression bracket, a collection, or a VALUES list?"""
    if cur.kind == "expr":
        return "expr"
    if cur.kind in ("values", "data"):
        return "values"
    if cur.kind in ("coll", "bnode"):
        return "coll"
    if cur.clause in ("projection", "modifier"):
        return "expr"
    if cur.clause == "values-header":
        return "values"
    prev = sig[-1] if sig else None
    if prev and prev[0] == "name" and prev[1].upper() in ("FILTER", "BIND"):
        return "expr"
    if (  # FILTER regex(...), FILTER <fn>(...), FILTER ex:fn(...)
        prev
        and prev[0] in ("name", "iri", "pname")
        and len(sig) >= 2
        and sig[-2][0] == "name"
        and sig[-2][1].upper() == "FILTER"
    ):
        return "expr"
    return "coll"


def _var_role(frames: list[_Frame], sig: list[tuple[str, str, int, int]]) -> str:
    cur = frames[-1]
    if sig and sig[-1][0] == "name" and sig[-1][1].upper() == "AS":
        return "assign-as"
    if cur.kind == "values" or (cur.kind in ("top", "group") and cur.clause == "values-header"):
        return "assign-values"
    if cur.kind in ("top", "group") and cur.clause == "projection":
        return "projected"
    for frame in reversed(frames):
        if frame.kind != "expr":
            return "modifier" if frame.clause == "modifier" else "plain"
    return "plain"


# --------------------------------------------------------------------------- validation

_VALIDATOR: pyoxigraph.Store | None = None
_ERROR_AT_RE = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
_CHAR_CLASS_RE = re.compile(r"\[(?:'(?:[^'\\]|\\.)*'|[^\]'])*\]")
_EXPECT_ITEM_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[^,]+')


def _validator() -> pyoxigraph.Store:
    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = pyoxigraph.Store()  # empty, in memory: parsing costs, evaluating does not
    return _VALIDATOR


def _syntax_error(
    text: str,
    a: _Analysis,
    prefixes: Mapping[str, str] | None,
    base_iri: str | None,
) -> tuple[int | None, str] | None:
    """None if Oxigraph accepts `text`, else (character offset if known, short reason)."""
    checked, shift_at, shift = text, None, 0
    if a.ask is not None and a.has_service:
        # ASK is evaluated eagerly, SERVICE would go to the network: check it as a SELECT.
        s, e = a.ask
        fresh = _fresh_name("ask", a.names)
        repl = f"SELECT (1 AS ?{fresh})"
        checked, shift_at, shift = text[:s] + repl + text[e:], s, len(repl) - (e - s)
    try:
        _validator().query(
            checked, prefixes=dict(prefixes) if prefixes else None, base_iri=base_iri
        )
    except SyntaxError as err:
        message = str(err)
        m = _ERROR_AT_RE.match(message)
        if not m:
            return None, message.strip()
        offset = _offset(checked, int(m.group(1)), int(m.group(2)))
        if shift_at is not None and offset > shift_at:
            offset = max(shift_at, offset - shift)
        return min(offset, len(text)), _reason(m.group(3))
    except Exception:  # parsed, then planning failed (e.g. an unregistered function)
        return None
    return None


def _reason(detail: str) -> str:
    """Oxigraph's 'expected one of ...' in short: no character classes, no keyword litany."""
    detail = _CHAR_CLASS_RE.sub("", detail).strip()
    if detail == "expected":
        return ""
    for lead in ("expected one of ", "expected "):
        if detail.startswith(lead):
            items = [i.strip() for i in _EXPECT_ITEM_RE.findall(detail[len(lead) :])]
            items = [i for i in items if i]
            sentences = [i for i in items if " " in i and not i.startswith('"')]
            if sentences:
                return sentences[0][0].lower() + sentences[0][1:]
            tokens = [i for i in items if i.startswith('"')]
            words = [i for i in items if not i.startswith('"')]
            if len(words) > 3:
                tokens.append("an expression")
            else:
                tokens += words
            if not tokens:
                return ""
            more = ", ..." if len(tokens) > 8 else ""
            return (
                "expected " + ("one of " if len(tokens) > 1 else "") + ", ".join(tokens[:8]) + more
            )
    return detail


def _rdflib_error(text: str) -> tuple[int, str] | None:
    """rdflib's diagnosis (error path only: its parser is too slow for every query)."""
    try:
        from rdflib.plugins.sparql.parser import parseQuery
    except ImportError:  # pragma: no cover - rdflib is a dependency
        return None
    try:
        parseQuery(text)
    except Exception as err:  # pyparsing's ParseException and friends
        loc = getattr(err, "loc", None)
        msg = getattr(err, "msg", None) or str(err)
        if not isinstance(loc, int) or "\\u" in text or "\\U" in text:
            return None  # (rdflib expands \u escapes first, so its offsets would be off)
        return min(loc, len(text)), f"{msg}, found {_found(text, loc)}"
    return None


def _found(text: str, offset: int) -> str:
    if offset >= len(text.rstrip()):
        return "the end of the query"
    m = _TOKEN_RE.match(text, offset)
    token = m.group() if m and m.lastgroup not in ("ws", "comment") else text[offset]
    return repr(token if len(token) <= 30 else token[:27] + "...")


def _offset(text: str, line: int, column: int) -> int:
    """Character offset of a 1-based line/column (Oxigraph counts characters)."""
    start = 0
    for _ in range(line - 1):
        nl = text.find("\n", start)
        if nl < 0:
            return len(text)
        start = nl + 1
    return min(start + column - 1, len(text))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _where(text: str, offset: int) -> str:
    """'line L, column C:' and the source line with a caret (a window of a long line)."""
    line, col = _line_col(text, offset)
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    src = text[start : end if end >= 0 else len(text)].rstrip("\r")
    left = max(0, col - 1 - 60)
    shown = (
        ("..." if left else "")
        + src[left : col - 1 + 40]
        + ("..." if col - 1 + 40 < len(src) else "")
    )
    before = ("..." if left else "") + src[left : col - 1]
    gutter = f"{line:>4} | "
    pointer = "".join(c if c == "\t" else " " for c in before)
    return f"line {line}, column {col}:\n{gutter}{shown}\n{' ' * (len(gutter) - 2)}| {pointer}^"


def _raise_if_invalid(
    text: str, a: _Analysis, prefixes: Mapping[str, str] | None, base_iri: str | None
) -> None:
    """Raise PrebindError for a query Oxigraph rejects, at the most telling position."""
    err = _syntax_error(text, a, prefixes, base_iri)
    if err is None:
        return
    offset, reason = err
    if offset is None:
        raise PrebindError(f"SPARQL syntax error: {reason}")
    known = set(a.declared_prefixes) | set(prefixes or ())
    for prefix, at in a.pnames:
        if prefix not in known and at <= offset:
            raise PrebindError(
                f"SPARQL syntax error: undefined prefix '{prefix}:' at {_where(text, at)}"
            )
    # Oxigraph tells how far it got; rdflib usually points at the statement that is wrong.
    rd = _rdflib_error(text)
    if rd is not None and rd[0] < offset:
        line, col = _line_col(text, offset)
        raise PrebindError(
            f"SPARQL syntax error at {_where(text, rd[0])}\nrdflib: {rd[1]}"
            f"\nOxigraph: stops at line {line}, column {col}" + (f": {reason}" if reason else "")
        )
    raise PrebindError(
        f"SPARQL syntax error at {_where(text, offset)}"
        + (f"\nOxigraph: {reason}" if reason else "")
    )


def _fresh_name(base: str, taken: Mapping[str, Any]) -> str:
    name, i = f"{base}_prebound", 1
    while name in taken:
        i += 1
        name = f"{base}_prebound{i}"
    return name


# --------------------------------------------------------------------------- public API


def query_variables(query: str) -> list[str]:
    """Names of the variables a query uses, in order of first appearance (``?x`` and ``$x``
    are the same variable; strings, IRIs and comments are not looked into).

    >>> query_variables('SELECT ?s WHERE { ?s ?p "?not" . FILTER($p != ?s) } # ?nor')
    ['s', 'p']
    """
    return list(_analyse(query).names)


def prebind(
    query: str,
    bindings: Mapping[str, Any],
    *,
    prefixes: Mapping[str, str] | None = None,
    base_iri: str | None = None,
) -> str:
    """Return SPARQL text equal to `query` with each variable in `bindings` replaced by its RDF
    term everywhere (Jena-style initial binding).

    Keys are variable names (``name``, ``?name`` or ``$name``); values are rdflib ``URIRef`` /
    ``Literal`` or pyoxigraph ``NamedNode`` / ``Literal`` (blank nodes are not allowed). `prefixes`
    and `base_iri` are what the query will be run with (as in ``Store.query``), for the syntax check.

    Raises `PrebindError` when a bound variable is assigned inside the query (``BIND(... AS ?x)``,
    ``VALUES ?x``, ``SELECT (expr AS ?x)``), when a parameter is not used by the query, when a term
    cannot stand where the variable is used, or when the query does not parse (with line/column).

    >>> from rdflib import Literal
    >>> prebind('SELECT ?name ?s WHERE { ?s <http://e/label> ?name }', {"name": Literal("Ann")})
    'SELECT ("Ann" AS ?name) ?s WHERE { ?s <http://e/label> "Ann" }'
    """
    a = _analyse(query)

    def fail(message: str) -> PrebindError:
        _raise_if_invalid(query, a, prefixes, base_iri)  # a syntax error is the first thing to fix
        return PrebindError(message)

    terms: dict[str, str] = {}
    for key, term in bindings.items():
        name = str(key)[1:] if str(key)[:1] in ("?", "$") else str(key)
        if name not in a.names:
            uses = ", ".join(f"?{v}" for v in a.names) or "no variables"
            raise fail(f"unknown parameter '{name}'; the query uses {uses}")
        if name in terms:
            raise fail(f"parameter '{name}' is given twice")
        try:
            terms[name] = term_to_sparql(term)
        except PrebindError as e:
            raise fail(f"parameter '{name}': {e}") from None
    if not terms:
        _raise_if_invalid(query, a, prefixes, base_iri)
        return query

    for use in a.uses:
        if use.name in terms and use.role.startswith("assign"):
            how = (
                f"VALUES {use.token}"
                if use.role == "assign-values"
                else f"(... AS {use.token}) in BIND, SELECT or GROUP BY"
            )
            raise fail(
                f"parameter '{use.name}' cannot be pre-bound: the query assigns {use.token} "
                f"itself with {how} at {_where(query, use.start)}"
            )

    # Subquery projections lose bound variables; one left with nothing gets a fresh column.
    dropped = [0] * len(a.selects)
    for use in a.uses:
        if use.name in terms and use.role == "projected":
            dropped[use.select] += 1

    edits: list[tuple[int, int, str, str]] = []  # start, end, replacement, variable
    top_projected: set[str] = set()
    refilled: set[int] = set()
    for use in a.uses:
        term = terms.get(use.name)
        if term is None:
            continue
        if use.role == "projected":
            if a.selects[use.select].top:
                text = f"({term} AS {use.token})" if use.name not in top_projected else " "
                top_projected.add(use.name)
            elif dropped[use.select] == a.selects[use.select].items and use.select not in refilled:
                refilled.add(use.select)
                text = f"({term} AS ?{_fresh_name(use.name, a.names)})"
            else:
                text = " "
        elif use.role == "modifier":
            text = f"({term})"
        elif use.role == "bound":
            text = "true"
        else:
            text = term
        if text != " ":
            text = _pad(query, use.start, use.end, text)
        edits.append((use.start, use.end, text, use.name))
    if a.star_insert is not None:
        binds = "".join(f" BIND({t} AS ?{name})" for name, t in terms.items())
        edits.append((a.star_insert, a.star_insert, binds + " ", ""))
    edits.sort(key=lambda e: (e[0], e[1]))

    pieces: list[str] = []
    spans: list[tuple[int, int, int, str]] = []  # out start, out end, query offset, variable
    pos = out_len = 0
    for start, end, text, name in edits:
        pieces.append(query[pos:start])
        out_len += start - pos
        spans.append((out_len, out_len + len(text), start, name))
        pieces.append(text)
        out_len += len(text)
        pos = end
    pieces.append(query[pos:])
    out = "".join(pieces)

    out_analysis = _Analysis(has_service=a.has_service, names=dict(a.names))
    if a.ask is not None:
        shift = sum(len(t) - (e - s) for s, e, t, _ in edits if e <= a.ask[0])
        out_analysis.ask = (a.ask[0] + shift, a.ask[1] + shift)
    err = _syntax_error(out, out_analysis, prefixes, base_iri)
    if err is not None:
        _raise_if_invalid(query, a, prefixes, base_iri)  # the analyst's own syntax error?
        offset, reason = err
        culprit = None
        for out_start, _out_end, at, name in spans:
            if name and offset is not None and out_start <= offset:
                culprit = (at, name)  # the last value written before the error position
        if culprit is None:
            raise PrebindError(f"pre-binding produced a query Oxigraph rejects ({reason}):\n{out}")
        at, name = culprit
        raise PrebindError(
            f"parameter '{name}': the value {_short(terms[name])} cannot stand where the query uses "
            f"?{name} (e.g. a literal as predicate, GRAPH/SERVICE name or DESCRIBE target) at "
            f"{_where(query, at)}"
        )
    return out


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _pad(text: str, start: int, end: int, repl: str) -> str:
    """Keep the new token apart from its neighbours (e.g. no '<' + '<iri>' = '<<')."""
    if start > 0 and text[start - 1] not in " \t\r\n({[,":
        repl = " " + repl
    if end < len(text) and text[end] not in " \t\r\n)}],;":
        repl += " "
    return repl
