"""Tables for people on a terminal (issue 13, item 4): names instead of IRIs, shares and amounts
written for reading, fitted to the width, the first 100 rows; everything else unchanged.

click's CliRunner is no terminal: $KG_TERMINAL=1 makes the command treat it as one (and the
stream being no real terminal, rich writes no colour codes), $COLUMNS sets the width.
"""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from kg.cli.labels import Label, labels_for, store_labeller
from kg.cli.readable import fit_widths, print_table
from kg.rdf.store import open_store

ID = "https://w3id.org/accelerator-kg/id/"
KG = "https://w3id.org/accelerator-kg/ont#"
REVENUES = (f"PREFIX kg: <{KG}> SELECT ?firm ?year ?revenue WHERE {{ ?firm kg:reported ?f . "
            "?f kg:year ?year ; kg:revenue ?revenue } ORDER BY ?firm ?year")  # 377 rows on the sample
FIRMS = f"PREFIX kg: <{KG}> SELECT ?e WHERE {{ ?e a kg:Firm }}"


@pytest.fixture
def terminal(monkeypatch):
    """Commands print as to a terminal 100 columns wide."""
    monkeypatch.setenv("KG_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def piped(monkeypatch):
    monkeypatch.setenv("KG_TERMINAL", "0")


def _render(columns, rows, width=60, **kw) -> list[str]:
    con = Console(width=width, color_system=None)
    with con.capture() as cap:
        print_table(columns, rows, con, **kw)
    return [line.rstrip() for line in cap.get().splitlines()]


def test_table_at_a_fixed_width_shows_names_refs_percentages_and_amounts():
    rows = [
        [ID + "uscc/91340100922300157C", "Hefei Qingyun Precision Reducer Co., Ltd.", ID + "entity/anhui-sasac", 0.665, 290000000, 2019],
        [ID + "ticker/688017.SH", "Leaderdrive", ID + "entity/mof", 0.01454, 1234.5, 2021],
    ]
    lines = _render(["firm", "firm_name", "owner", "share", "amount", "year"], rows, width=80,
                    labeller=lambda iris: {ID + "entity/anhui-sasac": Label("Anhui SASAC", "anhui-sasac"),
                                           ID + "ticker/688017.SH": Label("Leader Harmonious Drive", "leaderdrive")})
    assert lines == [
        "firm                                   owner           share  amount (CNY)  year",
        "─" * 80,
        "Hefei Qingyun Precision Reducer Co.,   Anhui SASAC     66.5%   290,000,000  2019",
        "Ltd. [91340100922300157C]              [anhui-sasac]",
        "Leaderdrive [leaderdrive]              mof             1.45%      1,234.50  2021",  # no name known: the ref
        "2 rows",
    ]


def test_the_rows_own_name_wins_and_the_store_gives_the_rest():
    """``X_name`` columns name their entities; the labeller is asked once for the whole table
    (the reference: the local id, else the IRI's key)."""
    asked = []

    def labeller(iris):
        asked.append(sorted(iris))
        return {ID + "uscc/A1": Label("From the store", "a-one")}

    labels = labels_for([ID + "uscc/A1", ID + "uscc/B2", ID + "uscc/A1"], {ID + "uscc/A1": "From the row"}, labeller)
    assert asked == [[ID + "uscc/A1", ID + "uscc/B2"]]
    assert labels == {ID + "uscc/A1": Label("From the row", "a-one"), ID + "uscc/B2": Label(None, "B2")}


def test_store_labeller_asks_one_query_per_batch_not_per_row(sample_db):
    store = open_store(sample_db)
    firms = [s["e"].value for s in store.query(FIRMS, use_default_graph_as_union=True)]

    class Counting:
        n = 0

        def query(self, *a, **k):
            Counting.n += 1
            return store.query(*a, **k)

    labels = store_labeller(Counting())(firms)
    assert len(firms) == 57 and Counting.n == 1 and len(labels) == 57
    assert labels[ID + "ticker/688017.SH"] == Label("Leader Harmonious Drive Systems Co., Ltd. (Leaderdrive)", "leaderdrive")
    Counting.n = 0
    store_labeller(Counting(), batch=10)(firms + ["not an IRI"])
    assert Counting.n == 6  # 57 IRIs in batches of 10; the text that is no IRI is left out


def test_query_run_on_a_terminal(run, sample_db, terminal):
    r = run("query", "run", "little-giant-subsidiaries", "--as-of", "2023-12-31", "--db", sample_db)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["firm", "parent", "share", "hops", "parent_basis"]  # firm_name folded into firm
    assert lines[2] == ("Hefei Qingyun Precision Reducer Co.,   Anhui Qingyun Intelligent           70.0%     2  "
                        "large").ljust(100)
    assert lines[3].rstrip() == "Ltd. [qingyun-reducer]                 Equipment Group Co., Ltd."
    assert "https://" not in r.stdout and "\x1b" not in r.stdout and max(len(ln) for ln in lines) <= 100
    assert lines[-1] == "8 rows"


def test_a_terminal_table_shows_100_rows_and_says_how_to_see_all(run, sample_db, terminal):
    r = run("sparql", REVENUES, "--db", sample_db)
    lines = [ln.rstrip() for ln in r.stdout.splitlines()]
    assert lines[-1] == "100 of 377 rows shown; all with --limit 0, or --format csv"
    assert len(lines) == 2 + 100 + 1 and "revenue (CNY)" in lines[0]
    assert lines[2] == "Beijing Qilan Robot Control Technology Co., Ltd. [qilan-control]            2016    158,665,000"
    everything = run("sparql", REVENUES, "--db", sample_db, "--limit", "0").stdout.splitlines()
    assert len(everything) == 2 + 377 + 1 and everything[-1].rstrip() == "377 rows"
    some = run("sparql", REVENUES, "--db", sample_db, "--limit", "3").stdout.splitlines()
    assert some[-1].rstrip() == "3 of 377 rows shown; all with --limit 0, or --format csv"


def test_cn_units(run, sample_db, terminal):
    r = run("query", "run", "financing-intensity", "-p", "total=true", "--cn-units", "--as-of", "2023-12-31", "--db", sample_db)
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["firms", "financing", "(元)", "revenue", "(元)", "intensity", "subsidies", "(元)",
                                "equity", "(元)", "debt", "(元)"]
    cells = lines[2].split()
    assert cells[1].endswith("亿") and cells[3].endswith("%") and lines[-1] == "1 row"


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "jsonl"])
def test_machine_formats_are_the_same_on_a_terminal(run, sample_db, monkeypatch, fmt):
    args = ("query", "run", "little-giant-subsidiaries", "--as-of", "2023-12-31", "--db", sample_db, "--format", fmt)
    monkeypatch.setenv("KG_TERMINAL", "0")
    piped = run(*args).stdout
    monkeypatch.setenv("KG_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "40")
    assert run(*args, "--cn-units").stdout == piped
    assert ID + "uscc/91340100922300157C" in piped and "Hefei Qingyun Precision Reducer Co., Ltd." in piped
    if fmt == "json":
        assert json.loads(piped)[0]["share"] == 0.7
    else:
        assert "0.7" in piped and "70.0%" not in piped
    big = run("sparql", REVENUES, "--db", sample_db, "--format", fmt).stdout
    assert len(big.splitlines()) == {"csv": 378, "tsv": 378, "jsonl": 377, "json": 377 * 5 + 2}[fmt]
    cut = run("sparql", REVENUES, "--db", sample_db, "--format", fmt, "--limit", "5").stdout  # only when asked
    assert len(cut.splitlines()) == {"csv": 6, "tsv": 6, "jsonl": 5, "json": 5 * 5 + 2}[fmt]
    assert big.startswith(cut[:-3])


def test_a_piped_table_is_plain_and_whole(run, sample_db, piped):
    r = run("sparql", REVENUES, "--db", sample_db, "--cn-units")
    lines = r.stdout.splitlines()
    assert len(lines) == 2 + 377 and lines[0].split() == ["firm", "year", "revenue"]
    assert lines[2].split() == [ID + "uscc/911101085365555730", "2016", "158665000"]


def test_a_narrow_terminal_prints_each_row_as_a_block(run, sample_db, monkeypatch):
    monkeypatch.setenv("KG_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "50")
    r = run("query", "run", "state-capital-flows", "--as-of", "2023-12-31", "--limit", "1", "--db", sample_db)
    lines = [ln.rstrip() for ln in r.stdout.splitlines()]
    assert lines[:6] == [
        "source               Bank of China Limited [boc]",
        "recipient            Beijing Qilan Robot Control",
        "                     Technology Co., Ltd.",
        "                     [qilan-control]",
        "instrument           loan",
        "year                 2020",
    ]
    assert "amount               59,000,000 CNY" in lines and lines[-2] == "1 of 71 rows shown; all with --limit 0, or"


def test_stats_names_graphs_by_source(run, sample_db, monkeypatch):
    for terminal in ("0", "1"):
        monkeypatch.setenv("KG_TERMINAL", terminal)
        r = run("stats", "--db", sample_db)
        assert "https://" not in r.stdout and max(len(ln.rstrip()) for ln in r.stdout.splitlines()) < 70
        assert any(ln.split()[:2] == ["graph", "source/merics-2024/certifications.csv"] for ln in r.stdout.splitlines())
    csv = run("stats", "--db", sample_db, "--format", "csv").stdout
    assert f"graph,{ID}graph/source/merics-2024/certifications.csv,16" in csv.splitlines()  # lean store (docs/benchmarks.md, session 7)


def test_owners_on_a_terminal(run, sample_db, terminal):
    r = run("owners", "qingyun-reducer", "--as-of", "2023-12-31", "--db", sample_db)
    lines = [ln.rstrip() for ln in r.stdout.splitlines()]
    assert lines[:3] == [
        "Hefei Qingyun Precision Reducer Co., Ltd. [qingyun-reducer]  state",
        "├── 70.0%  Qingyun Robotics Investment Holding Co., Ltd. [qingyun-holding]  integrated 70.0%;",
        "│   controls; state",
    ]
    assert any("15.3%  Ministry of Finance of the People's Republic of China [mof]" in ln for ln in lines)


def test_control_characters_stay_escaped_on_a_terminal(run, mini_db, terminal):
    r = run("sparql", "SELECT ?v WHERE { BIND(CONCAT('x', ?p, ' [bold]y') AS ?v) }", "-p", "p=\x1b[2J\x07\u202e",
            "--db", mini_db)
    assert r.stdout.splitlines()[2].rstrip() == "x\\x1b[2J\\x07\\u202e [bold]y"
    assert "\x1b" not in r.stdout and "\u202e" not in r.stdout


def test_fit_widths_never_cuts_below_the_least():
    assert fit_widths([50, 50, 10], [12, 20, 10], 60) == [25, 25, 10]
    assert fit_widths([50, 50, 10], [12, 38, 10], 60) == [12, 38, 10]
    assert fit_widths([80, 40, 12, 12], [10, 10, 5, 5], 84) == [40, 20, 12, 12]  # wide ones give, in proportion
    assert fit_widths([40, 15, 15], [30, 10, 10], 52) == [30, 11, 11]  # the narrow ones too, when they must
    assert fit_widths([5, 5], [5, 5], 9) is None


def test_long_headers_wrap_after_underscores(run, sample_db, monkeypatch):
    monkeypatch.setenv("KG_TERMINAL", "1")
    monkeypatch.setenv("COLUMNS", "130")
    r = run("query", "run", "state-capital-flows", "--as-of", "2023-12-31", "--limit", "1", "--db", sample_db)
    head = [ln.rstrip() for ln in r.stdout.splitlines()[:2]]
    assert head[0].endswith("look_through_") and "year  amount (CNY)   amount (CNY)  hops" in head[1]


def test_embedded_cypher_tables_read_like_sparql_tables(run, sample_db, terminal):
    """Names and short references come from the embedded graph when the query ran there."""
    args = ("query", "run", "little-giant-subsidiaries", "--as-of", "2023-12-31", "--db", sample_db)
    sparql, cypher = run(*args), run(*args, "--backend", "cypher")
    assert sparql.exit_code == cypher.exit_code == 0
    assert cypher.stdout == sparql.stdout and "[qingyun-reducer]" in cypher.stdout and "https://" not in cypher.stdout
