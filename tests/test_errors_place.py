"""Errors that name the place: file, line or row, column, and what is accepted (issue 10, item 5).

Each case is a file that today ends in a traceback-like message or names the wrong place; the
message asserted here is the whole line the user sees, and the exit code is 2 (bad input).
"""

from __future__ import annotations

import shutil

import pytest

from kg.sources.tabular import MAX_CELL_CHARS, SourceError, decode, read_text_table

ACCEPTED = ("accepted: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark "
            "and GB18030, or another encoding named with --encoding")


def _folder(tmp_path, name: str, data: bytes):
    d = tmp_path / "in"
    d.mkdir()
    (d / name).write_bytes(data)
    return d


def _build_error(run, tmp_path, folder) -> str:
    r = run("build", folder, "--db", tmp_path / "db", "-q")
    assert r.exit_code == 2, r.output
    assert not (tmp_path / "db" / "current").exists()
    return r.stderr.strip()


def test_a_cell_over_the_limit_names_file_row_column_and_limit(run, tmp_path):
    big = "x" * (16 * 2**20 + 1)
    d = _folder(tmp_path, "entities.csv", f"id,type,name\na,Firm,A\nb,Firm,{big}\n".encode())
    assert _build_error(run, tmp_path, d) == (
        "Error: entities.csv: row 3, column 'name': a cell of 16,777,217 characters; "
        "cells hold at most 1,048,576 characters"
    )


def test_a_cell_over_the_limit_after_a_multi_line_cell_names_row_and_line(tmp_path):
    p = tmp_path / "entities.csv"
    p.write_text('id,type,name\na,Firm,"two\nlines"\nb,Firm,' + "y" * (MAX_CELL_CHARS + 1) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        read_text_table(p)
    assert str(e.value) == (
        "entities.csv: row 3 (line 4), column 'name': a cell of 1,048,577 characters; "
        "cells hold at most 1,048,576 characters"
    )


def test_a_header_over_the_limit_is_named_as_row_1(tmp_path):
    p = tmp_path / "entities.csv"
    p.write_text("id,type,name," + "h" * (MAX_CELL_CHARS + 1) + "\na,Firm,A,x\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        read_text_table(p)
    assert str(e.value) == (
        "entities.csv: row 1, column 'hhhhhhhhhhhhhhhhhhhh...': a cell of 1,048,577 characters; "
        "cells hold at most 1,048,576 characters"
    )


def test_a_cell_at_the_limit_is_read(tmp_path):
    p = tmp_path / "entities.csv"
    p.write_text("id,type,name\nb,Firm," + "y" * MAX_CELL_CHARS + "\n", encoding="utf-8")
    assert len(read_text_table(p).frame["name"][0]) == MAX_CELL_CHARS


def test_a_bom_followed_by_gb18030_names_byte_line_and_encodings(run, tmp_path):
    data = b"\xef\xbb\xbf" + "id,type,name\na,Firm,绿的谐波\n".encode("gb18030")
    d = _folder(tmp_path, "entities.csv", data)
    assert _build_error(run, tmp_path, d) == (
        "Error: entities.csv: byte 23 (line 2) is not UTF-8, though the file starts with a UTF-8 "
        f"byte-order mark; {ACCEPTED}"
    )


def test_a_mixed_utf8_gb18030_file_names_where_utf8_stops(run, tmp_path):
    # GB18030 breaks at byte 22 (inside the UTF-8 line 2), UTF-8 at byte 33 (line 3, the GB18030 line)
    head = "id,type,name\na,Firm,绿\n".encode()
    data = head + "b,Firm,谐波\n".encode("gb18030")
    assert len(head) == 24
    d = _folder(tmp_path, "entities.csv", data)
    assert _build_error(run, tmp_path, d) == f"Error: entities.csv: byte 33 (line 3) is neither UTF-8 nor GB18030; {ACCEPTED}"


def test_a_gb18030_file_with_a_utf8_line_names_where_gb18030_stops():
    # line 3 starts at byte 32; "绿" (e7 bb bf) reads as GB18030 e7bb, then bf 0a breaks at byte 34
    data = "id,type,name\nb,Firm,谐波\n".encode("gb18030") + "a,Firm,绿\n".encode()
    with pytest.raises(SourceError) as e:
        decode(data, label="entities.csv")
    assert str(e.value) == f"entities.csv: byte 34 (line 3) is neither UTF-8 nor GB18030; {ACCEPTED}"


def test_a_named_encoding_that_does_not_fit_names_byte_and_line():
    with pytest.raises(SourceError) as e:
        decode("a\nb\n名称".encode(), "ascii", label="x.csv")
    assert str(e.value) == "x.csv: cannot decode with encoding 'ascii': byte 4 (line 3) is not ascii"
    with pytest.raises(SourceError) as e:
        decode(b"a", "no-such-codec", label="x.csv")
    assert str(e.value) == ("x.csv: unknown encoding 'no-such-codec'; expected a codec name such as "
                            "utf-8, gb18030, big5 or latin-1")


def test_a_broken_utf16_file_names_byte_and_line():
    data = "id\na\n".encode("utf-16") + b"\x00\xd8\x41\x00"  # bytes 12-13: a lone high surrogate
    with pytest.raises(SourceError) as e:
        decode(data, label="x.csv")
    assert str(e.value) == (f"x.csv: byte 12 (line 3) is not UTF-16, though the file starts with a UTF-16 "
                            f"byte-order mark; {ACCEPTED}")


def test_an_unclosed_quote_names_the_line_it_opens_on(run, tmp_path):
    text = 'id,type,name\na,Firm,A\nb,Firm,B\nc,Firm,C\nd,Firm,"D\ne,Firm,E\n'
    d = _folder(tmp_path, "entities.csv", text.encode())
    assert _build_error(run, tmp_path, d) == (
        "Error: entities.csv: line 5, column 'name': a quote opened here is never closed, so the rest of the file "
        'would be one cell (lines of the file counted from 1); close it, or write a quote inside a cell as ""'
    )


def test_an_unclosed_quote_after_multi_line_cells_and_blank_lines(tmp_path):
    # line 3 is blank, lines 4-5 one record with a closed two-line cell; the quote opens on line 7
    text = 'id,type,name\na,Firm,A\n\nb,Firm,"B\nB"\nc,Firm,C\nd,"Firm,D\ne,Firm,E\n'
    p = tmp_path / "entities.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=r"^entities.csv: line 7, column 'type': a quote opened here is never closed"):
        read_text_table(p)
    p.write_text('id,type,name\na,Firm,"A\nA",x,"never\nclosed\n', encoding="utf-8")
    with pytest.raises(SourceError, match=r"^entities.csv: line 3: a quote opened here"):  # 5th cell: no column
        read_text_table(p)


def test_a_row_with_too_many_cells_names_its_line(run, tmp_path):
    text = 'id,type,name\na,Firm,"A\nA"\n\nb,Firm,B,extra\n'
    d = _folder(tmp_path, "entities.csv", text.encode())
    assert _build_error(run, tmp_path, d) == (
        "Error: entities.csv: line 5: 4 cells where the header has 3 (lines of the file counted from 1); "
        "quote cells that contain ','"
    )


def test_two_headers_for_one_column_is_an_error_naming_both(run, tmp_path, mini_dir):
    d = tmp_path / "in"
    shutil.copytree(mini_dir, d)
    lines = (d / "ownership.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "owner,owned,share,start,end,source"
    lines = [lines[0] + ",持股比例"] + [ln + ",0.5" for ln in lines[1:]]
    (d / "ownership.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _build_error(run, tmp_path, d) == (
        "Error: ownership.csv:1: headers 'share' and '持股比例' both name column 'share' of table ownership; "
        "keep one of them (accepted headers: share, 持股比例, 股权比例, 比例)"
    )


# --------------------------------------------------------------------------- -p values

NOT_UTF8 = "a\udcffb"  # how Python hands over the argument bytes 61 ff 62 (0xff is not UTF-8)


@pytest.mark.parametrize(
    "args",
    [
        ("sparql", "SELECT ?x WHERE { BIND(?v AS ?x) }", "-p", f"v={NOT_UTF8}"),
        ("query", "run", "state-capital-flows", "-p", f"v={NOT_UTF8}"),
        ("export", "--from-query", "state-capital-flows", "-p", f"v={NOT_UTF8}", "--format", "graphml", "-o", "x.graphml"),
    ],
)
def test_a_param_value_that_is_not_utf8_exits_2_with_one_line(run, mini_db, args):
    r = run(*args, "--db", mini_db)
    assert r.exit_code == 2, r.output
    assert r.stderr == ("Error: parameter 'v': value 'a\\xffb' has byte 0xff at character 2, which is not UTF-8; "
                        "-p values must be UTF-8 text\n")


def test_a_param_value_that_is_not_utf8_exits_2_before_connecting_to_neo4j(run, monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    r = run("cypher", "RETURN $v", "-p", f"v={NOT_UTF8}", "--backend", "neo4j", "--uri", "bolt://127.0.0.1:1")
    assert r.exit_code == 2 and r.stderr.startswith("Error: parameter 'v': value 'a\\xffb' has byte 0xff")


# --------------------------------------------------------------------------- Neo4j URIs

SCHEMES = "accepted: bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc (e.g. bolt://localhost:7687)"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://localhost:7474", f"Neo4j URI 'http://localhost:7474' has scheme 'http'; {SCHEMES}"),
        ("https://db.example", f"Neo4j URI 'https://db.example' has scheme 'https'; {SCHEMES}"),
        ("localhost:7687", f"Neo4j URI 'localhost:7687' has no scheme; {SCHEMES}"),
        ("bolt://", f"Neo4j URI 'bolt://' names no host; {SCHEMES}"),
        ("bolt://h:99999", f"Neo4j URI 'bolt://h:99999' is not a valid URI (Port out of range 0-65535); {SCHEMES}"),
    ],
)
def test_push_to_a_uri_that_is_not_bolt_exits_2_with_one_line(run, mini_db, monkeypatch, uri, message):
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    r = run("push", "neo4j", "--uri", uri, "--db", mini_db, "-q")
    assert r.exit_code == 2, r.output
    assert r.output == f"Error: {message}\n"


def test_a_bad_uri_from_the_environment_is_refused_before_the_password_is_asked(run, mini_db, monkeypatch):
    monkeypatch.setenv("NEO4J_URI", "http://localhost:7474")
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    for args in (("push", "neo4j", "--db", mini_db), ("cypher", "RETURN 1", "--backend", "neo4j"),
                 ("query", "run", "state-influence", "--backend", "neo4j")):
        r = run(*args)
        assert r.exit_code == 2 and r.output == f"Error: Neo4j URI 'http://localhost:7474' has scheme 'http'; {SCHEMES}\n"


def test_a_query_file_that_is_not_utf8_names_byte_and_line(run, mini_db, tmp_path):
    q = tmp_path / "q.rq"
    q.write_bytes("SELECT * WHERE {\n  ?s ?p '名称' }\n".encode("gb18030"))
    r = run("sparql", "-f", q, "--db", mini_db)
    assert r.exit_code == 2
    assert r.output.strip() == f"Error: {q}: byte 26 (line 2) is not UTF-8; a query file must be UTF-8 text"
