"""The query catalog: headers, typed parameters, references, user folders, the CLI.

Runs on the bundled sample (conftest's ``sample_db``) and on query files written by the tests.
"""

from __future__ import annotations

import datetime as dt
import doctest
import json
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.cli.query  # noqa: F401  (registers query and owners)
import kg.queries.catalog
import kg.queries.owners
import kg.queries.params
import kg.queries.refs
import kg.queries.run
from kg.errors import InputError
from kg.queries import entity_iris, get_query, load_catalog, run_query
from kg.queries.catalog import parse_header
from kg.queries.params import ParamSpec, cypher_params, sparql_bindings, sparql_term
from kg.queries.refs import AmbiguousRef, EmbeddedLookup, resolve_ref
from kg.queries.run import normalise_value, prepare, uses_derived
from kg.rdf.prebind import prebind, query_variables
from kg.rdf.store import open_store

SHIPPED = [n for n, q in load_catalog(use_config=False).items() if q.origin == "shipped"]
ID = "https://w3id.org/accelerator-kg/id/"
AS_OF = "2023-12-31"

# A value of each type, for checking that every parameter can be bound.
EXAMPLES = {"string": "industry", "integer": "3", "decimal": "0.5", "boolean": "true", "date": "2022-06-30",
            "year": "2020", "ref": "junli-logistics", "programme": "little_giant", "integers": "1,2",
            "province": "Anhui"}


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch, tmp_path):
    """Tests see only the shipped queries unless they set a config themselves."""
    monkeypatch.setenv("KG_CONFIG", str(tmp_path / "no-config.toml"))
    (tmp_path / "no-config.toml").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


# --------------------------------------------------------------------------- the shipped catalog


def test_the_canned_queries_are_there():
    assert set(SHIPPED) == {
        "little-giant-subsidiaries", "state-capital-flows", "financing-intensity", "sme-threshold-breaches",
        "weak-performers", "ultimate-owners", "state-influence", "certification-ladder",
        "certified-listings-share", "expiring-certifications", "declared-vs-computed",
        "cohort-firms", "listing-share"}


@pytest.mark.parametrize("name", SHIPPED)
def test_each_query_has_both_files_and_one_header(name):
    q = get_query(name)
    assert q.sparql and q.cypher, "both NAME.rq and NAME.cypher"
    assert q.problems == []
    assert q.summary and q.description and q.columns
    # the two headers say the same (catalog.Query.problems would say otherwise); compare them literally too
    rq = [ln[2:] for ln in q.sparql.splitlines() if ln.startswith("#+")]
    cy = [ln[3:] for ln in q.cypher.splitlines() if ln.startswith("//+")]
    assert rq == cy
    assert "as_of" in q.params and q.params["as_of"].type == "date"


@pytest.mark.parametrize("name", SHIPPED)
def test_each_parameter_is_used_by_both_texts(name):
    q = get_query(name)
    used = set(query_variables(q.sparql))
    for p, spec in q.params.items():
        # a programme parameter may be used through its IRI (?P_iri)
        assert p in used or (spec.type == "programme" and f"{p}_iri" in used), f"?{p} not in {name}.rq"
        assert re.search(rf"\${p}\b", q.cypher), f"${p} not in {name}.cypher"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_parameter_can_be_prebound(name, store):
    """Binding all parameters at once must never hit a variable the query assigns itself."""
    q = get_query(name)
    values = prepare(q, {p: EXAMPLES[s.type] for p, s in q.params.items() if p != "as_of" and not s.choices}
                     | {p: s.choices[0] for p, s in q.params.items() if s.choices}, AS_OF,
                     kg.queries.run.EmbeddedBackend(store))
    bindings = sparql_bindings(q.params, values, query_variables(q.sparql))
    for p, v in values.items():
        if v is not None:
            assert p in bindings or f"{p}_iri" in bindings, p
    assert prebind(q.sparql, bindings)
    assert set(cypher_params(q.params, values)) == set(q.params)


@pytest.mark.parametrize("name", SHIPPED)
def test_columns_are_what_the_header_says(name, store):
    q = get_query(name)
    params = {"ref": "junli-logistics"} if "ref" in q.params and q.params["ref"].required else {}
    cols, _ = run_query(store, name, params, AS_OF)
    assert cols == q.columns
    for flag, want in q.columns_when.items():
        cols, rows = run_query(store, name, {**params, flag: "true"}, AS_OF)
        assert cols == want and rows


@pytest.mark.parametrize("module", [kg.queries.catalog, kg.queries.params, kg.queries.refs,
                                    kg.queries.run, kg.queries.owners, kg.queries])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_uses_derived():
    assert uses_derived(get_query("little-giant-subsidiaries")) and uses_derived(get_query("state-influence"))
    assert not uses_derived(get_query("expiring-certifications"))


# --------------------------------------------------------------------------- headers


def test_parse_header_yaml_in_comment_lines():
    text = ("#+ summary: Big owners\n#+ description: |\n#+   Line one.\n#+   Line two.\n"
            "#+ params:\n#+   n: {type: integer, default: 3}\n#+ columns: a, b\n# other comment\n"
            "PREFIX x: <http://e/>\n#+ not: header\nSELECT * WHERE {}")
    h = parse_header(text)
    assert h == {"summary": "Big owners", "description": "Line one.\nLine two.\n",
                 "params": {"n": {"type": "integer", "default": 3}}, "columns": "a, b"}
    assert parse_header("SELECT * WHERE {}") == {}


def write_query(folder: Path, name: str, rq: str | None, cypher: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if rq is not None:
        (folder / f"{name}.rq").write_text(rq, encoding="utf-8")
    if cypher is not None:
        (folder / f"{name}.cypher").write_text(cypher, encoding="utf-8")


MY_QUERY_RQ = """#+ summary: Firms of a province
#+ params:
#+   province: {type: string, required: true, description: a province}
#+   founded_before: {type: date}
#+ columns: firm, name
PREFIX kg: <https://w3id.org/accelerator-kg/ont#>
SELECT ?firm ?name WHERE {
  ?firm a kg:Firm ; kg:province ?province ; kg:name ?name .
  OPTIONAL { ?firm kg:founded ?f }
  FILTER(!BOUND(?founded_before) || ?f < ?founded_before)
  FILTER(?as_of = ?as_of)
} ORDER BY ?name
"""

MY_QUERY_CYPHER = """//+ summary: Firms of a province
//+ params:
//+   province: {type: string, required: true, description: a province}
//+   founded_before: {type: date}
//+ columns: firm, name
MATCH (f:Firm {province: $province})
WHERE ($founded_before IS NULL OR f.founded < $founded_before) AND $as_of IS NOT NULL
RETURN f.iri AS firm, f.name AS name ORDER BY name
"""


def test_user_folder_with_queries_option(run, sample_db, tmp_path):
    folder = tmp_path / "mine"
    write_query(folder, "province-firms", MY_QUERY_RQ, MY_QUERY_CYPHER)
    r = run("query", "list", "--queries", folder, "--format", "csv")
    assert r.exit_code == 0
    line = next(ln for ln in r.output.splitlines() if ln.startswith("province-firms,"))
    assert line.endswith(f",\"province, founded_before\",\"embedded,neo4j\",{folder}") or str(folder) in line
    r = run("query", "run", "province-firms", "--queries", folder, "-p", "province=Liaoning", "--db", sample_db,
            "--format", "json")
    assert r.exit_code == 0, r.output
    names = [x["name"] for x in json.loads(r.output)]
    assert "SIASUN Robot & Automation Co., Ltd." in names and len(names) == 6  # firms, not banks or bodies
    r = run("query", "run", "province-firms", "--queries", folder, "-p", "province=Liaoning", "--db", sample_db,
            "-p", "founded_before=2010-01-01", "--format", "csv")
    assert r.exit_code == 0 and r.output.count("\n") == 1 + 2  # hunnan 2009, haiyun 2008 (Siasun: no date)
    r = run("query", "run", "province-firms", "--queries", folder, "--db", sample_db)
    assert r.exit_code == 2 and "parameter province is required" in r.output


def test_user_folder_from_config_file(run, sample_db, tmp_path, monkeypatch):
    folder = tmp_path / "cfg" / "q"
    write_query(folder, "province-firms", MY_QUERY_RQ)  # SPARQL only
    cfg = tmp_path / "cfg" / "config.toml"
    cfg.write_text('queries = "q"\n', encoding="utf-8")
    monkeypatch.setenv("KG_CONFIG", str(cfg))
    r = run("query", "run", "province-firms", "-p", "province=Anhui", "--db", sample_db, "--format", "csv")
    assert r.exit_code == 0, r.output
    assert "Hefei Qingyun Precision Reducer Co., Ltd." in r.output
    r = run("query", "show", "province-firms")
    assert "backends: embedded" in r.output and "province" in r.output
    r = run("query", "run", "province-firms", "-p", "province=Anhui", "--backend", "neo4j", "--db", sample_db)
    assert r.exit_code == 2 and "no Cypher version" in r.output


def test_config_in_working_directory(run, tmp_path, monkeypatch):
    monkeypatch.delenv("KG_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    write_query(tmp_path / "analyst", "x", "#+ summary: mine\nSELECT ?a WHERE { BIND(?as_of AS ?a) }\n")
    (tmp_path / "kg.toml").write_text('queries = ["analyst"]\n', encoding="utf-8")
    r = run("query", "list", "--format", "csv")
    assert "x,mine," in r.output
    (tmp_path / "kg.toml").write_text("queries = 3\n", encoding="utf-8")
    r = run("query", "list")
    assert r.exit_code == 2 and "queries must be a folder" in r.output


def test_user_query_replaces_a_shipped_one(tmp_path, store):
    write_query(tmp_path, "weak-performers", "#+ summary: my own\n#+ columns: n\nSELECT (1 AS ?n) WHERE { FILTER(BOUND(?as_of) || true) }\n")
    cat = load_catalog([tmp_path])
    assert cat["weak-performers"].summary == "my own" and cat["weak-performers"].origin == str(tmp_path)
    assert run_query(store, "weak-performers", {}, dirs=[tmp_path]) == (["n"], [[1]])


def test_headers_that_disagree_are_reported(tmp_path):
    write_query(tmp_path, "q", "#+ params:\n#+   n: integer\nSELECT ?n WHERE {}\n",
                "//+ params:\n//+   n: string\nRETURN $n AS n\n")
    write_query(tmp_path, "bad", "#+ params: [1, 2\nSELECT * WHERE {}\n")
    cat = load_catalog([tmp_path])
    assert cat["q"].problems == ["q.rq and q.cypher declare different parameters or columns"]
    assert "bad header" in cat["bad"].problems[0]


def test_missing_query_folder(run):
    r = run("query", "list", "--queries", "/nonexistent/queries")
    assert r.exit_code == 2 and "does not exist" in r.output


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("typ, text, value", [
    ("string", "industry", "industry"),
    ("integer", "1,200", 1200),
    ("decimal", "0.5", Decimal("0.5")),
    ("decimal", "4.35%", Decimal("0.0435")),
    ("boolean", "yes", True),
    ("boolean", "否", False),
    ("date", "2023-12-31", dt.date(2023, 12, 31)),
    ("date", "2023年6月30日", dt.date(2023, 6, 30)),
    ("year", "2021", 2021),
    ("programme", "小巨人", "little_giant"),
    ("programme", "Manufacturing Champion", "manufacturing_champion"),
    ("integers", "1,2", [1, 2]),
    ("integers", "1-3", [1, 2, 3]),
    ("integers", "[4, 1]", [1, 4]),
])
def test_parameter_types(typ, text, value):
    assert ParamSpec("p", typ).parse(text) == value


@pytest.mark.parametrize("typ, text, message", [
    ("integer", "3.5", "parameter p: '3.5' is not a whole number; expected a whole number such as 3 or 1,200"),
    ("decimal", "abc", "parameter p: 'abc' is not a number; expected a number such as 0.5 or 50%"),
    ("boolean", "maybe", "parameter p: 'maybe' is not a yes/no value; expected true/false (also yes/no, 1/0, 是/否)"),
    ("date", "2023-02-30", "expected a date YYYY-MM-DD (or 2023年12月31日)"),
    ("date", "2023-06", "parameter p: '2023-06' is not a full date; expected a date YYYY-MM-DD"),
    ("year", "99", "parameter p: '99' is not a year in 1800..2200; expected a year such as 2021"),
    ("programme", "big_giant", "expected a programme code or name"),
    ("integers", "1,x", "expected whole numbers such as 1,2 or 1-3"),
])
def test_bad_values_say_what_is_accepted(typ, text, message):
    with pytest.raises(InputError) as e:
        ParamSpec("p", typ).parse(text)
    assert message in str(e.value)


def test_ranges_and_choices():
    spec = ParamSpec.from_header("min_share", {"type": "decimal", "min": 0, "max": 1})
    with pytest.raises(InputError, match="above the maximum 1; expected decimal 0..1"):
        spec.parse("1.5")
    spec = ParamSpec.from_header("level", {"type": "string", "choices": ["high", "low"]})
    with pytest.raises(InputError, match="expected one of high, low"):
        spec.parse("medium")


def test_as_of_accepts_a_period_meaning_its_last_day():
    q = get_query("weak-performers")
    assert prepare(q, {}, "2023")["as_of"] == dt.date(2023, 12, 31)
    assert prepare(q, {}, "2024-02")["as_of"] == dt.date(2024, 2, 29)
    assert prepare(q, {"as_of": "2021-06-30"})["as_of"] == dt.date(2021, 6, 30)
    assert prepare(q, {})["as_of"] == dt.date.today()
    with pytest.raises(InputError, match="as_of is given twice"):
        prepare(q, {"as_of": "2021-06-30"}, "2022-01-01")


def test_terms_for_sparql_and_values_for_cypher():
    assert sparql_term(ParamSpec("d", "decimal"), Decimal("0.0435")) == ox.Literal(
        "0.0435", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal"))
    assert sparql_term(ParamSpec("r", "ref"), ID + "entity/x") == ox.NamedNode(ID + "entity/x")
    assert sparql_term(ParamSpec("b", "boolean"), False).value == "false"
    assert sparql_term(ParamSpec("y", "year"), 2021).datatype.value.endswith("#integer")
    assert sparql_term(ParamSpec("x", "string"), None) is None
    specs = {"b": ParamSpec("b", "integers"), "d": ParamSpec("d", "date"), "s": ParamSpec("s", "decimal")}
    assert cypher_params(specs, {"b": [1, 2], "d": dt.date(2021, 1, 1), "s": Decimal("0.5")}) == {
        "b": [1, 2], "d": dt.date(2021, 1, 1), "s": 0.5}


def test_cli_unknown_parameter_names_the_known_ones(run, sample_db):
    r = run("query", "run", "little-giant-subsidiaries", "-p", "share=0.5", "--db", sample_db)
    assert r.exit_code == 2
    assert r.output.strip() == ("Error: unknown parameter 'share' for query little-giant-subsidiaries; "
                                "it takes: min_share, programme, batches, sector, province, certified, as_of")


def test_cli_bad_value_and_usage(run, sample_db):
    r = run("query", "run", "little-giant-subsidiaries", "-p", "min_share=half", "--db", sample_db)
    assert r.exit_code == 2
    assert r.output.strip() == "Error: parameter min_share: 'half' is not a number; expected a number such as 0.5 or 50%"
    r = run("query", "run", "little-giant-subsidiaries", "-p", "min_share", "--db", sample_db)
    assert r.exit_code == 2 and "is not name=value" in r.output
    r = run("query", "run", "expiring-certifications", "--as-of", "someday", "--db", sample_db)
    assert r.exit_code == 2 and r.output.startswith("Error: --as-of: 'someday' is not ")  # the option, by its name
    r = run("query", "run", "expiring-certifications", "-p", "as_of=someday", "--db", sample_db)
    assert r.exit_code == 2 and r.output.startswith("Error: parameter as_of: 'someday' is not ")
    r = run("query", "run", "no-such-query", "--db", sample_db)
    assert r.exit_code == 2 and "no query named 'no-such-query'" in r.output and "weak-performers" in r.output
    r = run("query", "show", "weak")
    assert r.exit_code == 2 and "did you mean weak-performers" in r.output


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("text", [
    "junli-logistics",                                   # the source's id
    "91210100658574932N", "91210100658574932n",          # USCC
    "Shenyang Junli Intelligent Logistics Equipment Co., Ltd.",  # full name
    "shenyang junli intelligent logistics equipment",    # name without the legal form, any case
    "沈阳钧栎智能物流装备有限公司",                         # Chinese name
    "Junli",                                              # a unique part of the name
    ID + "uscc/91210100658574932N",                       # the IRI
])
def test_reference_forms(store, text):
    assert resolve_ref(EmbeddedLookup(store), text) == ID + "uscc/91210100658574932N"


@pytest.mark.parametrize("text", ["300024", "300024.SZ", "sz300024", "SIASUN", "机器人自动化"])
def test_reference_by_ticker_and_name(store, text):
    assert resolve_ref(EmbeddedLookup(store), text) == ID + "ticker/300024.SZ"


def test_reference_by_lei(store):
    assert resolve_ref(EmbeddedLookup(store), "KGSX00QINGYUNGRP0154") == ID + "uscc/91340100145580966N"


def test_ambiguous_and_unknown_references(store, run, sample_db):
    with pytest.raises(AmbiguousRef) as e:
        resolve_ref(EmbeddedLookup(store), "Tianyu")
    assert [c.local_id for c in e.value.candidates] == ["tianyu-motion", "tianyu-group", "tianyu-holding"]  # by name
    r = run("query", "run", "ultimate-owners", "-p", "ref=Qingyun", "--db", sample_db)
    assert r.exit_code == 2
    lines = r.output.splitlines()
    assert lines[0] == ("Error: parameter ref: 'Qingyun' is ambiguous: 4 entities match by part of the name; "
                        "give an id, USCC, LEI or ticker, or the full name:")
    assert lines[2] == ("  Hefei Qingyun Precision Reducer Co., Ltd. (Firm; id qingyun-reducer) "
                        f"<{ID}uscc/91340100922300157C>")
    r = run("query", "run", "ultimate-owners", "-p", "ref=No Such Firm", "--db", sample_db)
    assert r.exit_code == 2
    assert "parameter ref: no entity matches 'No Such Firm' by id, USCC, LEI, ticker or name" in r.output
    r = run("query", "run", "ultimate-owners", "-p", f"ref={ID}entity/nobody", "--db", sample_db)
    assert r.exit_code == 2 and "no entity with IRI" in r.output


def test_reference_text_is_never_query_text(store):
    """Quotes, braces and SPARQL keywords in a reference are just characters to look for."""
    for text in ['x" } ; DROP ALL ; #', "?s ?p ?o", "<http://e/x>", "') RETURN 1 //"]:
        with pytest.raises(InputError, match="no entity matches"):
            resolve_ref(EmbeddedLookup(store), text)


# --------------------------------------------------------------------------- running and output


def test_run_query_returns_columns_and_rows(store, sample_db):
    cols, rows = run_query(store, "sme-threshold-breaches", {"programme": "little_giant"}, "2024-06-30")
    assert cols == ["firm", "firm_name", "year", "employees", "revenue", "programme"]
    assert [r[1] for r in rows] == ["Hefei Qingyun Precision Reducer Co., Ltd.",
                                    "Shenzhen Qingyu Automation Equipment Co., Ltd.",
                                    "Suzhou Chengxin Robot Software Co., Ltd."]
    assert run_query(sample_db, "sme-threshold-breaches", {"programme": "little_giant"}, dt.date(2024, 6, 30))[1] == rows


def test_entity_iris_for_subgraph_exports(store):
    q = get_query("little-giant-subsidiaries")
    cols, rows = run_query(store, q, {}, AS_OF)
    iris = entity_iris(cols, rows, q)
    assert ID + "ticker/300024.SZ" in iris and ID + "uscc/91210100658574932N" in iris
    assert len(iris) == 8 + 4  # eight firms, four parents
    cols, rows = run_query(store, "certified-listings-share", {}, AS_OF)
    assert entity_iris(cols, rows) == []
    cols, rows = run_query(store, "weak-performers", {}, AS_OF)
    assert entity_iris(cols, rows) == [ID + "uscc/91510100521634092L", ID + "uscc/914201004583780137"]


def test_normalisation():
    assert normalise_value(0.1 + 0.2) == 0.3
    assert normalise_value(1 / 3) == 0.333333333
    assert normalise_value(12345678901.000002) == 12345678901.0
    assert normalise_value(2725000000.0) == 2725000000
    assert normalise_value(dt.date(2021, 7, 1)) == "2021-07-01"
    assert normalise_value(None) is None and normalise_value(True) is True


def test_cli_list_show_run(run, sample_db):
    r = run("query", "list")
    assert r.exit_code == 0 and all(n in r.output for n in SHIPPED)
    r = run("query", "show", "financing-intensity")
    assert r.exit_code == 0
    assert "benchmark_rate   decimal 0..1, default 0.0435" in r.output
    assert "columns with total=true: firms, financing, revenue, intensity" in r.output
    r = run("query", "show", "financing-intensity", "--sparql")
    assert r.output.startswith("#+ summary:") and "SELECT" in r.output
    r = run("query", "show", "financing-intensity", "--cypher")
    assert r.output.startswith("//+ summary:") and "MATCH" in r.output
    r = run("query", "run", "financing-intensity", "-p", "batches=1,2", "-p", "total=true",
            "--as-of", "2023-12-31", "--db", sample_db, "--format", "json")
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.stdout)
    assert round(row["intensity"] * 100, 1) == 13.7
    r = run("query", "run", "certified-listings-share", "--as-of", "2023-12-31", "--db", sample_db, "--format", "tsv")
    assert r.output.splitlines()[0] == "year\tlistings\tcertified\tshare"


def test_cli_says_nothing_of_another_date_for_derived_facts(run, sample_db):
    """Derived facts are stored for every date: a query at any as_of reads those of its date,
    so no note says they are of the build's date (issue 13)."""
    r = run("query", "run", "little-giant-subsidiaries", "--as-of", "2023-12-31", "--db", sample_db, "--format", "csv")
    assert r.exit_code == 0
    assert "derived facts" not in r.stderr and "as of" not in r.stderr
    assert r.stdout.startswith("firm,firm_name,parent")
    r = run("query", "run", "little-giant-subsidiaries", "--db", sample_db, "--format", "csv")
    assert "derived facts" not in r.stderr  # (an empty result is explained: tests/test_queries_explain.py)
