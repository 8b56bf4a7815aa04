"""The load's bulk paths give exactly what the one-value-at-a-time parsers give.

Loading checks most cells in bulk (pyarrow, numpy) and sends only the rest through the value
parsers of kg.values: texts already clean, canonical USCCs, plain and 万/亿 yuan amounts, plain
delimited text read by pyarrow. Each bulk path is compared here with the parser it stands in for.
"""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.loaders.columns import _money, _signed_money
from kg.loaders.distinct import by_object, map_objects
from kg.loaders.tabular import _fast_numbers
from kg.sources.fastcsv import read_plain
from kg.values import uscc
from kg.values.dates import parse as parse_date
from kg.values.errors import ValueProblem
from kg.values.text import clean, clean_many

CODE_POINTS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


@pytest.mark.parametrize("template", ["{}", "a{}b", "a {}", "{}a"])
def test_clean_many_equals_clean_for_every_code_point(template):
    values = [template.format(chr(c)) for c in CODE_POINTS]
    got = clean_many(values)
    bad = [v for v, g in zip(values, got, strict=True) if g != clean(v)]
    assert not bad, bad[:5]


@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.integers(), st.floats()), max_size=20))
def test_clean_many_on_anything(values):
    assert clean_many(values).tolist() == [clean(v) for v in values]


def _mutations(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    base = ["91350200776049653A", "9135021359498494XQ", "91430111MA4L41YT1U"]
    out = list(base)
    for _ in range(n):
        code = list(rng.choice(base))
        for _ in range(rng.randint(1, 2)):
            code[rng.randrange(18)] = rng.choice(uscc.ALPHABET + "IOSVZa -")
        out.append("".join(code))
        out.append(rng.choice("123456789ANY") + "".join(rng.choice(uscc.ALPHABET) for _ in range(17)))
    return out


def test_uscc_canonical_many_equals_parse():
    values = _mutations(7, 20000) + ["", " 91350200776049653A", "91350200776049653a", None]
    def canonical(v):
        try:
            return uscc.parse(v) == v
        except ValueProblem:
            return False
    got = uscc.canonical_many(values)
    assert got.tolist() == [canonical(v) for v in values]
    assert 0 < got.sum() < len(values)


def _amount_texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        digits = str(rng.randint(0, 10 ** rng.randint(1, 18)))
        if rng.random() < 0.7:
            k = rng.randint(0, len(digits))
            digits = (digits[:k] or "0") + "." + (digits[k:] or "0")
        if rng.random() < 0.3:
            digits = "-" + digits
        out.append(digits + rng.choice(["万元", "亿元", "万", "亿", "元", "", "万亿", "千万"]))
    return out


@pytest.mark.parametrize(("ctype", "parser"), [("money", _money), ("signed_money", _signed_money)])
def test_bulk_yuan_amounts_equal_the_parser(ctype, parser):
    texts = _amount_texts(11, 20000)
    fast = _fast_numbers(pd.Series(texts, dtype=object), ctype)
    taken = 0
    for text, value in zip(texts, fast, strict=True):
        if value is None:
            continue  # left to the parser
        taken += 1
        assert parser(text, None) == value and type(parser(text, None)) is type(value), text
    assert taken > 5000


def test_map_objects_is_series_map():
    dates = [parse_date("2021-07-01"), parse_date("2020"), None]
    s = pd.Series([dates[i % 3] for i in range(30)], dtype=object)
    for f in (lambda d: None if d is None else d.year, lambda d: d, lambda d: str(d), lambda d: d is None):
        want, got = s.map(f), map_objects(s, f)
        assert got.dtype == want.dtype and got.equals(want) and got.index.equals(want.index)
    codes, firsts = by_object(s.to_numpy(dtype=object))
    assert len(firsts) == 3 and (firsts[codes] == s.to_numpy(dtype=object)).all()


def _pandas(text: str, delim: str):
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, na_filter=False,
                            quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True)
    except Exception as e:  # noqa: BLE001 -- any refusal: the fast path must then decline too
        return e
    frame.columns = [str(c) for c in frame.columns]
    return frame


_CELL = st.text(alphabet=['a', ' ', ',', ';', '\t', '中', '"', '\n', '\r', '#', "'", '\\'], max_size=4)
_QUOTED = _CELL.map(lambda t: '"' + t.replace('"', '""') + '"')
_PLAIN = st.text(alphabet=['a', ' ', '中', '#', "'", '\\', 'Ａ'], max_size=4)
_FIELD = st.one_of(_PLAIN, _PLAIN.map(lambda t: f'"{t}"'), _CELL, _QUOTED)


@settings(max_examples=400, deadline=None)
@given(delim=st.sampled_from([",", ";", "\t"]),
       rows=st.lists(st.lists(_FIELD, min_size=1, max_size=4), min_size=1, max_size=6),
       header=st.booleans(), newline=st.booleans())
def test_read_plain_reads_what_pandas_reads(delim, rows, header, newline):
    if header:
        rows = [[f"h{i}" for i in range(len(rows[0]))]] + [r[:len(rows[0])] + [""] * (len(rows[0]) - len(r)) for r in rows]
    text = "\n".join(delim.join(r) for r in rows) + ("\n" if newline else "")
    got = read_plain(text, delim)
    if got is None:
        return  # pandas reads it
    want = _pandas(text, delim)
    assert isinstance(want, pd.DataFrame), want
    assert list(got.columns) == list(want.columns) and list(got.dtypes) == list(want.dtypes)
    assert got.equals(want) and got.index.equals(want.index)


def test_read_plain_takes_plain_tables_and_declines_the_rest():
    assert read_plain('id,name\n1,"A, Inc."\n2,"x ""y"" z"\n', ",") is not None
    for text in ('id,name\n1,"A\nB"\n',  # a line break inside a cell
                 'id,name\r\n1,A\r\n',  # carriage returns
                 'id,id\n1,2\n',  # pandas renames the second id
                 'id,\n1,2\n',  # an unnamed column
                 'id,name\n1,A,x\n',  # a row wider than the header
                 'id,name\n1\n',  # a row narrower than the header
                 'id,name\n1,"A"B\n',  # text after a closing quote
                 'id,name\n'):  # no rows
        assert read_plain(text, ",") is None, text
    frame = read_plain("id;name\n1;Ａ\n\n2;\n", ";")
    assert frame.to_dict("list") == {"id": ["1", "2"], "name": ["Ａ", ""]}
    assert np.array_equal(frame.index, [0, 1])
