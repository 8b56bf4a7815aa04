"""A fast path for reading plain delimited text: pyarrow's CSV reader where it reads exactly
what pandas reads.

pandas' C parser builds a Python string per cell and then an Arrow array from them; pyarrow
reads straight into Arrow, about ten times faster. The two agree on text in which every line
is one record of well-formed fields: unquoted ones without quotes, or fully quoted ones with
doubled inner quotes, no line break inside a cell, no carriage return, every line as wide as
the header and the header's names distinct and not empty. :func:`read_plain` checks that (in
bulk, with pyarrow) and returns None for anything else, which pandas then reads, with the
error messages kg gives for broken tables (kg.sources.tabular).

>>> read_plain('id,name\\n1,"A, Inc."\\n2,"x ""y"" z"\\n', ",").to_dict("list")
{'id': ['1', '2'], 'name': ['A, Inc.', 'x "y" z']}
>>> read_plain('id,name\\n1,"A\\nB"\\n', ",") is None  # a line break inside a cell: pandas reads it
True
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv


def _line_pattern(delim: str) -> str:
    d = re.escape(delim)
    field = f'(?:[^"{d}\\n]*|"(?:[^"\\n]|"")*")'
    return f"^{field}(?:{d}{field})*$"


def utf8_text(data: bytes) -> pa.Array:
    """``data`` as one Arrow string (no copy); raises pyarrow.ArrowInvalid when it is not UTF-8.
    Checking is some ten times faster than decoding into a Python string, which a table read
    here never needs.

    >>> utf8_text("绿的".encode())[0].as_py()
    '绿的'
    """
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    arr = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    arr.validate(full=True)
    return arr


def read_plain(text: str | None, delim: str, utf8: bytes | None = None) -> pd.DataFrame | None:
    """The table of ``text`` as pandas reads it (``dtype=str``, no missing values), or None when
    the text is not plain enough to be sure the two readers agree. ``utf8``: the text's UTF-8
    bytes when the file had them (saves encoding it again); with them ``text`` may be None (the
    file is then never decoded into a Python string)."""
    try:
        data = utf8 if utf8 is not None else text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: pandas reads it
        return None
    if not data or data[:1] == b"\n" or b"\r" in data or b"\x00" in data or delim in '"\n':
        return None
    if b'"' in data:  # every line with a quote must be one record of well-formed fields
        whole = utf8_text(data)
        lines = pc.split_pattern(whole, "\n").flatten()
        quoted = lines.filter(pc.match_substring(lines, '"'))
        if not pc.all(pc.match_substring_regex(quoted, _line_pattern(delim))).as_py():
            return None
        del whole, lines, quoted
    end = data.find(b"\n")
    try:
        names = next(csv.reader([(data if end < 0 else data[:end]).decode("utf-8")], delimiter=delim))
    except csv.Error:  # e.g. a header cell over the csv module's limit: pandas reads, kg names it
        return None
    if len(names) < 2 or len(set(names)) != len(names) or not all(names):
        return None  # pandas renames these (a.1, Unnamed: 3)
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            read_options=pcsv.ReadOptions(use_threads=True),
            parse_options=pcsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                                            newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()), null_values=[],
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:  # a row of another width, ...: pandas says where
        return None
    if table.column_names != names or table.num_rows == 0 or any(t != pa.string() for t in table.schema.types):
        return None
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get)
