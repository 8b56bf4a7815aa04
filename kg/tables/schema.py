"""The graph tables' column types, derived from the ontology.

Every column named like an ontology property (``kg:column``) gets the Arrow type of the
property's XSD datatype: decimal -> float64, integer -> int64, boolean -> bool, date ->
date32, string (and language-tagged strings) -> string. A date column holds the day the RDF
store states (the first day of a partial date for start-like properties, the last day for
end-like ones, ``kg:datePosition``) and its precision sits beside it in the string column
``<column>_precision`` (``year`` or ``month``; empty for an exact day). A node's labels are a
``list<string>``. Columns the ontology does not name (``iri``, ``from_iri``, ``file``,
``row``, ...) are typed from their values (kg.tables.arrow).

>>> arrow_type(column_properties()["share"].datatype), arrow_type(column_properties()["founded"].datatype)
(DataType(double), DataType(date32[day]))
>>> precision_column("valid_from"), column_properties()[precision_column("valid_from")].local
('valid_from_precision', 'validFromPrecision')
"""

from __future__ import annotations

from functools import cache

import pyarrow as pa

from kg.ontology import XSD, Property, model

SCHEMA_VERSION = 1
"""The layout of the tables folder (files, column conventions); a reader refuses a newer one."""

LABELS_TYPE = pa.list_(pa.string())

_ARROW = {
    XSD + "decimal": pa.float64(), XSD + "double": pa.float64(), XSD + "float": pa.float64(),
    XSD + "integer": pa.int64(), XSD + "int": pa.int64(), XSD + "long": pa.int64(),
    XSD + "boolean": pa.bool_(), XSD + "date": pa.date32(),
}


def arrow_type(datatype: str) -> pa.DataType:
    """The Arrow type of an XSD datatype (strings for anything else, langString included).

    >>> arrow_type(XSD + "integer"), arrow_type(XSD + "string")
    (DataType(int64), DataType(string))
    """
    return _ARROW.get(datatype, pa.string())


def precision_column(column: str) -> str:
    """The column holding the precision of a date column."""
    return f"{column}_precision"


@cache
def column_properties() -> dict[str, Property]:
    """Column name -> the ontology property it holds (the first one in the ontology's order;
    properties sharing a column agree on its datatype, checked here).

    >>> column_properties()["id"].local, column_properties()["path"].local
    ('localId', 'explanation')
    """
    out: dict[str, Property] = {}
    for p in model().properties.values():
        seen = out.setdefault(p.column, p)
        if arrow_type(seen.datatype) != arrow_type(p.datatype):
            raise ValueError(f"ontology columns disagree: kg:{seen.local} and kg:{p.local} both use column "
                             f"{p.column!r} with datatypes {seen.datatype} and {p.datatype}")
    return out


def column_type(column: str) -> pa.DataType | None:
    """The Arrow type the ontology gives a column, or None when no property uses that name.

    >>> column_type("year"), column_type("from_iri")
    (DataType(int64), None)
    """
    p = column_properties().get(column)
    return arrow_type(p.datatype) if p is not None else None


def date_position(column: str) -> str:
    """'end' when the column's property states the last day of a partial date, else 'start'.

    >>> date_position("valid_to"), date_position("valid_from"), date_position("counts_from")
    ('end', 'start', 'start')
    """
    p = column_properties().get(column)
    return "end" if p is not None and p.date_position == "end" else "start"
