"""Output is safe to print (issue 10, item 6): control characters are dropped from text cells at
load and never written raw to a terminal, whatever the graph holds."""

from __future__ import annotations

import io
import json

import pytest

from kg.cli.output import safe_text, write_rows
from kg.values.text import CONTROLS

ESC, BEL, DEL, CSI = "\x1b", "\x07", "\x7f", "\x9b"
NAME = f"Evil{ESC}[31m Red{BEL} Co{ESC}[0m"  # colours the terminal red and rings its bell
Q_NAMES = "PREFIX kg: <https://w3id.org/accelerator-kg/ont#> SELECT ?id ?name WHERE { ?e kg:localId ?id ; kg:name ?name } ORDER BY ?id"


def _raw_controls(text: str, allowed: str = "\n") -> list[str]:
    return [c for c in text if (ord(c) in CONTROLS or c in "\t\r") and c not in allowed]


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory):
    """A graph from a folder whose entity names, a header and a file name hold ESC and BEL."""
    from click.testing import CliRunner

    from kg.cli import cli

    d = tmp_path_factory.mktemp("evil") / "in"
    d.mkdir()
    (d / "entities.csv").write_text(
        f"id,type,name,note{ESC}[2J\nevil,Firm,{NAME}\nbell,Firm,{BEL}Bell{DEL} Ltd{CSI}\nstate,GovernmentBody,SASAC\n",
        encoding="utf-8",
    )
    (d / "ownership.csv").write_text(
        f"owner,owned,share,start,end,source\nstate,evil,60%,2020,,x\nstate,bell,5{ESC}[2J%,2020,,x\n", encoding="utf-8"
    )
    (d / f"notes{ESC}]0;pwned{BEL}.csv").write_text("a\n1\n", encoding="utf-8")
    db = d.parent / "db"
    r = CliRunner().invoke(cli, ["build", str(d), "--db", str(db)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return db, r


def test_build_prints_warnings_and_rejects_without_raw_controls(evil_db):
    _, r = evil_db
    assert _raw_controls(r.output) == []
    assert r.stderr.splitlines()[:2] == [
        "warning: entities.csv: ignored columns not in the entities mapping: note\\x1b[2J",
        "warning: notes\\x1b]0;pwned\\x07.csv: not a table of the canonical mapping (entities, ownership, funding, "
        "certifications, listings, financials); nor has it the headers of a shipped layout (kg loaders); skipped",
    ]
    assert "ownership.csv:3:share: value '5[2J%' is not a share; expected 0.51, 51% or 51" in r.stderr


def test_names_are_stored_without_control_characters(run, evil_db):
    db, _ = evil_db
    r = run("sparql", Q_NAMES, "--db", db, "--format", "json")
    assert json.loads(r.stdout) == [
        {"id": "bell", "name": "Bell Ltd"},
        {"id": "evil", "name": "Evil[31m Red Co[0m"},
        {"id": "state", "name": "SASAC"},
    ]


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "jsonl"])
def test_canned_query_and_owners_output_hold_no_raw_controls(run, evil_db, fmt):
    db, _ = evil_db
    r = run("query", "run", "state-influence", "-p", "ref=evil", "--db", db, "--format", fmt)
    assert r.exit_code == 0 and "Evil[31m Red Co[0m" in r.stdout and _raw_controls(r.stdout, "\n\t") == []
    r = run("owners", "evil", "--db", db, "--format", fmt)
    assert r.exit_code == 0 and "SASAC" in r.stdout and _raw_controls(r.stdout, "\n\t") == []


# a value with controls, whatever the graph holds: made by the query from a -p value
Q_CONCAT = "SELECT ?v WHERE { BIND(CONCAT('x', ?p) AS ?v) }"
P = f"p={ESC}[2J{BEL}{CSI}{DEL}\r\tend"


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("table", "v\n" + "-" * 27 + "\nx\\x1b[2J\\x07\\x9b\\x7f\\r\\tend\n"),
        ("csv", "v\nx\\x1b[2J\\x07\\x9b\\x7f\\r\tend\n"),  # a tab needs no quotes in CSV
        ("tsv", 'v\n"x\\x1b[2J\\x07\\x9b\\x7f\\r\tend"\n'),
        ("json", '[\n  {\n    "v": "x\\u001b[2J\\u0007\\u009b\\u007f\\r\\tend"\n  }\n]\n'),
        ("jsonl", '{"v": "x\\u001b[2J\\u0007\\u009b\\u007f\\r\\tend"}\n'),
    ],
)
def test_sparql_output_escapes_control_characters(run, mini_db, fmt, expected):
    r = run("sparql", Q_CONCAT, "-p", P, "--db", mini_db, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert r.stdout == expected
    if fmt.startswith("json"):  # still the same value for a program reading it
        first = json.loads(r.stdout.splitlines()[0] if fmt == "jsonl" else r.stdout)
        assert (first if fmt == "jsonl" else first[0])["v"] == "x" + P[2:]


def test_csv_output_reads_back_as_the_escaped_text():
    import csv

    buf = io.StringIO()
    write_rows(["a"], [[f"1{ESC}\n2\t3"]], "csv", buf)
    assert list(csv.reader(io.StringIO(buf.getvalue()))) == [["a"], ["1\\x1b\n2\t3"]]


def test_error_lines_escape_control_characters(run, mini_db, tmp_path):
    r = run("query", "run", "state-influence", "-p", f"ref={ESC}[2J{CSI}", "--db", mini_db)
    assert r.exit_code == 2
    assert r.stderr == ("Error: parameter ref: no entity matches '\\x1b[2J\\x9b' by id, USCC, LEI, ticker or name\n")
    missing = tmp_path / f"gone{ESC}[2J{BEL}"
    r = run("build", missing, "--db", tmp_path / "db")
    assert r.exit_code == 2 and r.stderr == f"Error: {tmp_path}/gone\\x1b[2J\\x07: cannot read (no such file or folder)\n"


def test_safe_text_leaves_printable_text_alone():
    s = "绿的谐波 Leaderdrive (688017.SH) 100%"
    assert safe_text(s) is s
    assert safe_text("a\u3000b") == "a\u3000b"  # not printable by str.isprintable, not a control


def test_bidi_overrides_are_escaped_in_table_and_json():
    """U+202E (right-to-left override) and U+2066 (isolate) would reorder the rest of the line."""
    name = "Acme\u202eoC evil\u2066x"
    out = io.StringIO()
    write_rows(["name"], [[name]], "table", out=out)
    assert "\u202e" not in out.getvalue() and "\\u202e" in out.getvalue() and "\\u2066" in out.getvalue()
    out = io.StringIO()
    write_rows(["name"], [[name]], "json", out=out)
    assert "\u202e" not in out.getvalue() and json.loads(out.getvalue())[0]["name"] == name
