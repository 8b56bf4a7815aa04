"""Typed parameters of canned queries: parsing, checking, and binding for SPARQL and Cypher.

A query's header declares its parameters (``#+ params:`` in SPARQL, ``//+ params:`` in Cypher),
each with a ``type`` and optionally ``default``, ``required``, ``min``, ``max``, ``choices`` and
``description``. Values arrive as text (``-p name=value``) or as Python values and are checked
here; a bad value raises :class:`kg.errors.InputError` (exit 2) saying what is accepted.

Types:

=============  ==========================================  ===============  ==================
type           accepts                                      SPARQL term      Cypher value
=============  ==========================================  ===============  ==================
string         any text                                     xsd:string       str
integer        1200, 1,200                                  xsd:integer      int
decimal        0.5, 50% (= 0.5), 4.35%                      xsd:decimal      float
boolean        true/false, yes/no, 1/0, 是/否                xsd:boolean      bool
date           2023-12-31, 2023年12月31日 (``as_of`` also    xsd:date         date
               2023-12 or 2023: the period's last day)
year           2021                                         xsd:integer      int
ref            an id, USCC, LEI, ticker, name or IRI        IRI              str (the IRI)
programme      little_giant, 小巨人, Manufacturing Champion  xsd:string code  str (the code)
integers       1,2 or 1-3 or [1, 2]                         xsd:string "1,2" list of int
province       Anhui, 安徽, 安徽省 (any usual spelling)       "|安徽省|安徽|..."  list of spellings
=============  ==========================================  ===============  ==================

A list (``integers``) cannot be one SPARQL term, so SPARQL gets its canonical text ``"1,2"``
(test membership with ``CONTAINS(CONCAT(",", ?batches, ","), CONCAT(",", STR(?batch), ","))``);
Cypher gets the list (``c.batch IN $batches``). A province is the list of its spellings
(kg/domain/provinces.csv: name, short name, pinyin, aliases), so a graph that writes "Anhui" and
one that writes "安徽省" answer alike; SPARQL gets them as ``"|安徽省|安徽|Anhui|"`` (test
``CONTAINS(?province, CONCAT("|", ?p, "|"))``), Cypher as a list (``f.province IN $province``). A programme parameter ``P`` is also bound as
``?P_iri`` (the programme's IRI) when the SPARQL text uses that variable. An optional parameter without a value stays
unbound in SPARQL and is ``null`` in Cypher. References are resolved to entity IRIs by
:mod:`kg.queries.refs` before a query runs.

>>> spec = ParamSpec.from_header("min_share", {"type": "decimal", "default": 0.5, "min": 0, "max": 1})
>>> spec.parse("51%"), spec.parse(None)
(Decimal('0.51'), Decimal('0.5'))
>>> ParamSpec("batches", "integers").parse("1-3")
[1, 2, 3]
>>> sparql_term(ParamSpec("as_of", "date"), spec_date("2023-12-31")).datatype.value
'http://www.w3.org/2001/XMLSchema#date'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError
from kg.ontology import XSD
from kg.values.errors import ValueProblem

__all__ = [
    "TYPES", "ParamSpec", "ParamError", "parse_params", "sparql_term", "cypher_value",
    "sparql_bindings", "cypher_params", "spec_date", "AS_OF",
]

#: The parameter types a query header may declare, with what each accepts.
TYPES: dict[str, str] = {
    "string": "any text",
    "integer": "a whole number such as 3 or 1,200",
    "decimal": "a number such as 0.5 or 50%",
    "boolean": "true/false (also yes/no, 1/0, 是/否)",
    "date": "a date YYYY-MM-DD (or 2023年12月31日)",
    "year": "a year such as 2021",
    "ref": "an entity id, USCC, LEI, ticker, name or IRI",
    "programme": "a programme code or name",
    "integers": "whole numbers such as 1,2 or 1-3",
    "province": "a province such as Anhui, 安徽 or 安徽省",
}
_ALIASES = {"str": "string", "int": "integer", "float": "decimal", "number": "decimal",
            "bool": "boolean", "list[integer]": "integers", "list of integers": "integers",
            "integer list": "integers", "reference": "ref", "entity": "ref"}

AS_OF = "as_of"


class ParamError(InputError):
    """A parameter value that cannot be used (exit 2)."""


def parse_as_of_option(text: str | None):
    """The ``--as-of`` option of a command: a date, a partial date meaning the end of its period;
    an error names the option, not the query parameter it becomes.

    >>> parse_as_of_option("2021")
    datetime.date(2021, 12, 31)
    >>> parse_as_of_option("2019-13-01")
    Traceback (most recent call last):
    ...
    kg.queries.params.ParamError: --as-of: '2019-13-01' is not a valid date (month 13 is out of range); expected a date YYYY-MM-DD (or 2023年12月31日)
    """
    if text is None:
        return None
    try:
        return ParamSpec(AS_OF, "date", end_of_period=True).parse(text)
    except ParamError as e:
        raise ParamError(str(e).replace(f"parameter {AS_OF}:", "--as-of:", 1)) from None


def spec_date(text: str) -> dt.date:
    """A full date from text (``YYYY-MM-DD`` and the other full-day forms of kg.values.dates).

    >>> spec_date("2023-12-31")
    datetime.date(2023, 12, 31)
    """
    from kg.values import dates

    d = dates.parse(text)
    if d.precision != "day":
        raise ValueProblem(text, "a full date", "YYYY-MM-DD")
    return d.first_day()


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter.

    >>> ParamSpec("window_days", "integer", default=180, minimum=0).parse("30")
    30
    """

    name: str
    type: str
    default: Any = None
    required: bool = False
    description: str = ""
    minimum: Any = None
    maximum: Any = None
    choices: tuple[str, ...] | None = None
    end_of_period: bool = False  # date: a partial date means its last day (as_of)
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_header(cls, name: str, spec: Any) -> ParamSpec:
        """Build from a header entry: a mapping, or just a type name.

        >>> ParamSpec.from_header("year", "year").type
        'year'
        """
        if isinstance(spec, str):
            spec = {"type": spec}
        if not isinstance(spec, Mapping):
            raise ValueError(f"parameter {name!r}: expected a mapping with a type, got {spec!r}")
        typ = str(spec.get("type", "string")).strip().lower()
        typ = _ALIASES.get(typ, typ)
        if typ not in TYPES:
            raise ValueError(f"parameter {name!r}: unknown type {typ!r}; the types are {', '.join(TYPES)}")
        known = {"type", "default", "required", "description", "min", "max", "choices"}
        choices = spec.get("choices")
        return cls(
            name=name, type=typ, default=spec.get("default"), required=bool(spec.get("required", False)),
            description=str(spec.get("description") or "").strip(), minimum=spec.get("min"),
            maximum=spec.get("max"), choices=tuple(str(c) for c in choices) if choices else None,
            end_of_period=name == AS_OF, extra={k: v for k, v in spec.items() if k not in known},
        )

    @property
    def type_text(self) -> str:
        """The type with its range, e.g. ``decimal 0..1``."""
        rng = ""
        if self.minimum is not None or self.maximum is not None:
            rng = f" {'' if self.minimum is None else self.minimum}..{'' if self.maximum is None else self.maximum}"
        if self.choices:
            rng = " (" + " | ".join(self.choices) + ")"
        return self.type + rng

    @property
    def default_text(self) -> str:
        if self.name == AS_OF and self.default is None:
            return "today"
        if self.default is None:
            if self.extra.get("shown_default"):
                return str(self.extra["shown_default"])
            return "(required)" if self.required else "(none)"
        if isinstance(self.default, list):
            return ",".join(str(x) for x in self.default)
        if isinstance(self.default, bool):
            return "true" if self.default else "false"
        return str(self.default)

    def _fail(self, value: Any, why: str | None = None) -> ParamError:
        got = value if isinstance(value, str) else repr(value)
        msg = f"parameter {self.name}: {got!r} is not {why or TYPES[self.type]}"
        accepted = TYPES[self.type]
        if self.choices:
            accepted = "one of " + ", ".join(self.choices)
        return ParamError(f"{msg}; expected {accepted}")

    def parse(self, value: Any) -> Any:
        """The typed value of ``value`` (text or Python); ``None`` gives the default (or None).

        >>> ParamSpec("total", "boolean").parse("yes")
        True
        """
        if value is None or (isinstance(value, str) and value.strip() == ""):
            if self.default is None:
                if self.name == AS_OF:
                    return dt.date.today()
                return None
            value = self.default
        try:
            out = self._convert(value)
        except ValueProblem as e:
            raise self._fail(value, e.reason) from None
        except (ValueError, TypeError, ArithmeticError):
            raise self._fail(value) from None
        self._check_range(value, out)
        return out

    def _convert(self, v: Any) -> Any:
        t = self.type
        if t == "string":
            return str(v)
        if t in ("integer", "year"):
            from kg.values.number import parse_int

            if isinstance(v, bool):
                raise ValueError
            n = parse_int(v, allow_negative=True)
            if t == "year" and not 1800 <= n <= 2200:
                raise ValueProblem(v, "a year in 1800..2200", "a year such as 2021")
            return n
        if t == "decimal":
            from kg.values.number import parse_decimal

            if isinstance(v, bool):
                raise ValueError
            if isinstance(v, str) and v.strip().endswith(("%", "％")):
                return parse_decimal(v.strip()[:-1]) / 100
            return parse_decimal(v)
        if t == "boolean":
            from kg.values.boolean import parse as parse_bool

            return parse_bool(v)
        if t == "date":
            if isinstance(v, dt.datetime):
                return v.date()
            if isinstance(v, dt.date):
                return v
            from kg.values import dates

            d = dates.parse(str(v))
            if d.precision == "day":
                return d.first_day()
            if self.end_of_period:
                return d.last_day()
            raise ValueProblem(v, "a full date", "YYYY-MM-DD")
        if t == "ref":
            text = str(v).strip()
            if not text:
                raise ValueError
            return text
        if t == "programme":
            from kg.reference import codes, programme_code

            code = programme_code(str(v))
            if code is None:
                raise ValueProblem(v, "a programme", "one of " + ", ".join(codes("Programme")))
            return code
        if t == "integers":
            return _int_list(v)
        if t == "province":
            return province_spellings(v)
        raise AssertionError(t)

    def _check_range(self, raw: Any, out: Any) -> None:
        if self.choices and str(out) not in self.choices:
            raise self._fail(raw, "one of the choices")
        values = out if isinstance(out, list) else [out]
        for x in values:
            if self.minimum is not None and x < _same_kind(self.minimum, x):
                raise ParamError(f"parameter {self.name}: {raw!r} is below the minimum {self.minimum}; "
                                 f"expected {self.type_text}")
            if self.maximum is not None and x > _same_kind(self.maximum, x):
                raise ParamError(f"parameter {self.name}: {raw!r} is above the maximum {self.maximum}; "
                                 f"expected {self.type_text}")


def _same_kind(bound: Any, x: Any) -> Any:
    if isinstance(x, Decimal):
        return Decimal(str(bound))
    if isinstance(x, dt.date):
        return bound if isinstance(bound, dt.date) else spec_date(str(bound))
    return bound


def _int_list(v: Any) -> list[int]:
    from kg.values.number import parse_int

    if isinstance(v, (list, tuple)):
        parts: Iterable[Any] = v
    elif isinstance(v, int) and not isinstance(v, bool):
        parts = [v]
    else:
        text = str(v).strip().strip("[]")
        parts = [p for p in text.replace(";", ",").replace("，", ",").split(",") if p.strip()]
    out: list[int] = []
    for p in parts:
        if isinstance(p, str) and "-" in p.strip()[1:]:
            a, b = p.strip().split("-", 1)
            lo, hi = parse_int(a), parse_int(b)
            if hi < lo or hi - lo > 10_000:
                raise ValueError
            out.extend(range(lo, hi + 1))
        else:
            out.append(parse_int(p, allow_negative=True))
    if not out:
        raise ValueError
    return sorted(set(out))


def province_spellings(v: Any) -> list[str]:
    """The spellings of a province: the text given, then the table's name, short name, pinyin
    and aliases of the province it names (kg/domain/provinces.csv); just the text for a place
    the table does not know.

    >>> province_spellings("安徽")
    ['安徽', '安徽省', 'Anhui']
    >>> province_spellings("Atlantis")
    ['Atlantis']
    """
    import csv

    from kg.values.place import PROVINCES_PATH, province_key
    from kg.values.text import clean

    text = clean(v) if isinstance(v, str) else None
    if not text or "|" in text:
        raise ValueError
    key = province_key(text)
    out = [text]
    with PROVINCES_PATH.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["code"] == key:
                out += [r["name"], r["short"], r["pinyin"], *r["aliases"].split("|")]
    return list(dict.fromkeys(x for x in out if x))


def parse_params(specs: Mapping[str, ParamSpec], given: Mapping[str, Any], query: str = "the query") -> dict[str, Any]:
    """Check names and parse values: every declared parameter gets its typed value (or None).

    Unknown names raise InputError naming the known ones; a missing required one too.

    >>> specs = {"min_share": ParamSpec("min_share", "decimal", default=0.5)}
    >>> parse_params(specs, {"min_share": "0.6"})["min_share"]
    Decimal('0.6')
    >>> parse_params(specs, {"share": "0.6"}, "q")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: unknown parameter 'share' for q; it takes: min_share
    """
    unknown = [k for k in given if k not in specs]
    if unknown:
        names = ", ".join(specs) or "no parameters"
        raise InputError(f"unknown parameter {unknown[0]!r} for {query}; it takes: {names}")
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        value = spec.parse(given.get(name))
        if value is None and spec.required:
            raise InputError(f"parameter {name} is required for {query}: {TYPES[spec.type]}"
                             f" (give it with -p {name}=VALUE)")
        out[name] = value
    return out


def sparql_term(spec: ParamSpec, value: Any):
    """The pyoxigraph term a typed value is bound to in SPARQL (None stays unbound).

    >>> sparql_term(ParamSpec("n", "integers"), [1, 2]).value
    '1,2'
    """
    if value is None:
        return None
    t = spec.type
    if t == "ref":
        return ox.NamedNode(value)
    if t in ("integer", "year"):
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if t == "decimal":
        return ox.Literal(_decimal_text(value), datatype=ox.NamedNode(XSD + "decimal"))
    if t == "boolean":
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if t == "date":
        return ox.Literal(value.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    if t == "integers":
        return ox.Literal(",".join(str(int(x)) for x in value))
    if t == "province":
        return ox.Literal("|" + "|".join(value) + "|")
    return ox.Literal(str(value))


def _decimal_text(value: Any) -> str:
    d = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text if text not in ("-0", "") else "0"


def cypher_value(spec: ParamSpec, value: Any) -> Any:
    """The Bolt parameter value of a typed value (None stays null).

    >>> cypher_value(ParamSpec("min_share", "decimal"), Decimal("0.5"))
    0.5
    """
    if value is None:
        return None
    if spec.type == "decimal":
        return float(value)
    if spec.type == "integers":
        return [int(x) for x in value]
    if spec.type == "province":
        return list(value)
    return value


def sparql_bindings(specs: Mapping[str, ParamSpec], values: Mapping[str, Any], used: Iterable[str]) -> dict:
    """Bindings for prebind: bound values of the parameters the query text uses.

    A programme parameter ``P`` (bound to its code) is also offered as ``?P_iri``, the IRI of
    the programme, so a query can match ``?c kg:programme ?P_iri`` without joining on the code.

    >>> specs = {"as_of": ParamSpec("as_of", "date")}
    >>> sorted(sparql_bindings(specs, {"as_of": dt.date(2023, 1, 1)}, ["as_of"]))
    ['as_of']
    """
    used = set(used)
    out = {}
    for name, spec in specs.items():
        term = sparql_term(spec, values.get(name))
        if term is not None and name in used:
            out[name] = term
        if spec.type == "programme" and values.get(name) is not None and f"{name}_iri" in used:
            from kg.reference import programme_iri

            out[f"{name}_iri"] = ox.NamedNode(programme_iri(values[name]))
    return out


def cypher_params(specs: Mapping[str, ParamSpec], values: Mapping[str, Any]) -> dict:
    """Bolt parameters: every declared parameter, null when it has no value.

    >>> cypher_params({"total": ParamSpec("total", "boolean")}, {"total": None})
    {'total': None}
    """
    return {name: cypher_value(spec, values.get(name)) for name, spec in specs.items()}
