"""One cohort language (kg/queries/cohort.py, queries/_cohort.rq + _cohort.cypher): the same
parameters with the same meaning in every query that selects certified firms, written once per
backend; and the brief's analyses of "Little Giants of batches 1-2" with one set of parameters."""

from __future__ import annotations

import csv
import doctest
import re
from pathlib import Path

import pytest

import kg.cli.query  # noqa: F401  (registers query)
import kg.queries.cohort
from kg.errors import InputError
from kg.queries import run_query
from kg.queries.catalog import Query, get_query, load_catalog
from kg.queries.cohort import COHORT_PARAMS, expand_cypher, expand_sparql, fragment
from kg.queries.params import ParamSpec
from kg.queries.run import as_backend, prepare
from kg.rdf.store import open_store

ROOT = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/accelerator-kg/id/"


def _sample_names() -> dict[str, str]:
    """The sample's entity IRIs -> their ids in entities.csv (IRI from USCC, else ticker, else id)."""
    with (ROOT / "data" / "sample" / "entities.csv").open(encoding="utf-8") as f:
        return {(ID + "uscc/" + r["uscc"] if r["uscc"] else ID + "ticker/" + r["ticker"] if r["ticker"]
                 else ID + "entity/" + r["id"]): r["id"] for r in csv.DictReader(f)}


NAME = _sample_names()
IRI = {v: k for k, v in NAME.items()}

COHORT_QUERIES = {"little-giant-subsidiaries", "sme-threshold-breaches", "weak-performers", "financing-intensity",
                  "state-capital-flows", "state-influence", "certification-ladder", "expiring-certifications",
                  "cohort-firms", "listing-share"}
BATCH_1_2 = {"leaderdrive", "hunnan-servo", "pujiang-motion", "qingyun-reducer", "tianyu-motion", "ruihe-linear",
             "xudong-vision", "lixing-laser", "junli-logistics", "haoduo-welding", "qingyun-welding", "tuoheng-gripper",
             "dingheng-bearing", "qingyu-automation", "yuechuan-inspection", "qilan-control", "lance-cobot"}
#: the brief's cohort, one set of parameters for every analysis
COHORT = {"programme": "little_giant", "batches": "1,2"}


@pytest.fixture(autouse=True)
def no_user_config(monkeypatch, tmp_path):
    monkeypatch.setenv("KG_CONFIG", str(tmp_path / "no-config.toml"))
    (tmp_path / "no-config.toml").write_text("", encoding="utf-8")


@pytest.fixture(scope="module")
def store(sample_db):
    return open_store(sample_db)


def cohort_firms(store, as_of, **params) -> set[str]:
    """The cohort itself: the shared pattern alone, bound like any query."""
    q = Query("cohort", params={n: s for n, s in get_query("weak-performers").params.items()
                                if n in COHORT_PARAMS or n == "as_of"}, cohort="required",
              sparql=expand_sparql("PREFIX kg: <https://w3id.org/accelerator-kg/ont#>\nSELECT ?firm WHERE { @cohort(?firm) }"))
    b = as_backend(store)
    cols, rows = b.execute(q, prepare(q, params, as_of, b))
    return {NAME.get(r[0], r[0]) for r in rows}


def firms(store, name, as_of, column="firm", **params) -> set[str]:
    cols, rows = run_query(store, name, params, as_of)
    return {NAME.get(r[cols.index(column)], r[cols.index(column)]) for r in rows}


# --------------------------------------------------------------------------- written once


def test_the_cohort_queries_declare_the_cohort():
    cat = load_catalog(use_config=False)
    assert {n for n, q in cat.items() if q.cohort} == COHORT_QUERIES
    shared = {n: s for n, s in get_query("weak-performers").params.items() if n in COHORT_PARAMS}
    assert list(shared) == list(COHORT_PARAMS)
    for name in COHORT_QUERIES:
        q = cat[name]
        assert q.problems == []
        for p in COHORT_PARAMS:  # the same type, choices and meaning everywhere (defaults may differ)
            assert (q.params[p].type, q.params[p].choices, q.params[p].description) == (
                shared[p].type, shared[p].choices, shared[p].description), (name, p)
    assert {n: q.params["programme"].default for n, q in cat.items() if q.cohort and q.params["programme"].default} == {
        "little-giant-subsidiaries": "little_giant", "financing-intensity": "little_giant"}
    assert cat["expiring-certifications"].params["certified"].default == "ever"


@pytest.mark.parametrize("name", sorted(COHORT_QUERIES))
def test_the_pattern_is_the_shared_fragment(name):
    """Each file names the cohort with a placeholder; the catalog puts in the one fragment per
    backend (no cohort text copied into a query file)."""
    q = get_query(name)
    raw_rq, raw_cy = q.sparql_path.read_text(encoding="utf-8"), q.cypher_path.read_text(encoding="utf-8")
    assert "@cohort(" in raw_rq and re.search(r"@(in_)?cohort\(", raw_cy)
    assert "?cohort_" not in raw_rq and "cohort_c" not in raw_cy  # the pattern is not copied in
    for line in ("kg:validFrom ?cohort_vf", "kg:batch ?cohort_b"):
        assert line in q.sparql and line not in raw_rq
    assert ".batch IN $batches" in q.cypher and ".batch IN $batches" not in raw_cy
    assert "@cohort" not in q.sparql and "@cohort" not in q.cypher and "@in_cohort" not in q.cypher


def test_fragment_headers_agree():
    rq = [ln[2:] for ln in fragment(".rq")[0].splitlines() if ln.startswith("#+")]
    cy = [ln[3:] for ln in fragment(".cypher")[0].splitlines() if ln.startswith("//+")]
    assert rq == cy


def test_expansions():
    assert expand_sparql("{ @cohort(?r) }", "?cohort_c kg:certifiedFirm ?firm .") == (
        "{ { SELECT DISTINCT ?r WHERE {\n  ?cohort_c kg:certifiedFirm ?r .\n} } }")
    assert expand_sparql("@cohort(?f, ?c)", "?cohort_c kg:certifiedFirm ?firm .") == (
        "{ SELECT DISTINCT ?f ?c WHERE {\n  ?c kg:certifiedFirm ?f .\n} }")
    body = "MATCH (firm:Firm)-[cohort_c:CERTIFIED_AS]->(cohort_p:Programme)\nWHERE firm.sector = $sector"
    assert expand_cypher("WHERE @in_cohort(x)", body) == (
        "WHERE EXISTS {\n  MATCH (x:Firm)-[cohort_c:CERTIFIED_AS]->(cohort_p:Programme)\n  WHERE x.sector = $sector\n}")
    assert expand_cypher("@cohort(f)\nRETURN f", body).endswith("WHERE f.sector = $sector\nWITH DISTINCT f\nRETURN f")


def test_a_query_that_uses_the_cohort_must_say_so(tmp_path):
    (tmp_path / "mine.rq").write_text("#+ columns: firm\nPREFIX kg: <https://w3id.org/accelerator-kg/ont#>\n"
                                      "SELECT ?firm WHERE { @cohort(?firm) }\n", encoding="utf-8")
    (tmp_path / "bad.rq").write_text("#+ cohort: sometimes\nSELECT ?firm WHERE { }\n", encoding="utf-8")
    cat = load_catalog([tmp_path], use_config=False)
    assert cat["mine"].problems == ["mine.rq: uses the cohort but its header has no 'cohort: required' or 'cohort: optional'"]
    assert cat["bad"].problems == ["bad.rq: bad header: cohort: 'sometimes' is not one of required, optional"]


def test_your_own_query_can_use_the_cohort(tmp_path, store):
    (tmp_path / "cohort-names.rq").write_text(
        "#+ summary: the cohort's names\n#+ cohort: required\n#+ columns: firm, name\n"
        "PREFIX kg: <https://w3id.org/accelerator-kg/ont#>\n"
        "SELECT ?firm ?name WHERE { @cohort(?firm) { ?firm kg:displayName ?name } UNION "
        "{ ?firm kg:name ?name FILTER NOT EXISTS { ?firm kg:displayName [] } } } ORDER BY ?name\n", encoding="utf-8")
    cols, rows = run_query(store, "cohort-names", {"programme": "little_giant", "province": "安徽省"}, "2023-12-31",
                           dirs=[tmp_path])
    assert [r[1] for r in rows] == ["Hefei Qingyun Precision Reducer Co., Ltd.", "Hefei Zhenyan Force Sensor Co., Ltd.",
                                    "Wuhu Qingyun Welding Robot Co., Ltd."]


# --------------------------------------------------------------------------- the parameters


def test_certified_defaults_to_ever_when_batches_are_given():
    q = get_query("weak-performers")
    assert prepare(q, {}, "2023-12-31")["certified"] == "valid"
    assert prepare(q, {"batches": "1-2"}, "2023-12-31")["certified"] == "ever"
    assert prepare(q, {"batches": "1-2", "certified": "valid"}, "2023-12-31")["certified"] == "valid"
    q = get_query("state-capital-flows")  # optional: no cohort unless a cohort parameter is given
    assert prepare(q, {}, "2023-12-31")["certified"] is None
    assert prepare(q, {"programme": "little_giant"}, "2023-12-31")["certified"] == "valid"
    with pytest.raises(InputError, match="parameter certified: 'lapsed' is not one of the choices; expected one of valid, ever"):
        prepare(q, {"certified": "lapsed"}, "2023-12-31")


def test_valid_and_ever(store):
    # at 2023-12-31 leaderdrive (to 2021) and xudong-vision (to 2022-05) no longer hold their status
    valid = cohort_firms(store, "2023-12-31", programme="little_giant", batches="1,2", certified="valid")
    assert valid == BATCH_1_2 - {"leaderdrive", "xudong-vision"}
    assert cohort_firms(store, "2023-12-31", programme="little_giant", batches="1-2") == BATCH_1_2  # ever
    # a batch is a cohort whether or not its status has lapsed: the subsidiaries long after
    assert firms(store, "little-giant-subsidiaries", "2030-01-01", batches="1,2") == {
        "hunnan-servo", "junli-logistics", "pujiang-motion", "haoduo-welding", "qingyun-reducer", "qingyun-welding",
        "tianyu-motion", "tuoheng-gripper"}
    assert firms(store, "little-giant-subsidiaries", "2030-01-01") == set()


def test_sector_and_province(store):
    anhui = {"qingyun-reducer", "qingyun-welding", "zhenyan-sensor"}
    for spelling in ("Anhui", "安徽", "安徽省", "anhui"):
        assert cohort_firms(store, "2023-12-31", programme="little_giant", province=spelling) == anhui
    # xingyao-sim's certification (2020, year only) ended 2022-12-31
    assert cohort_firms(store, "2023-12-31", sector="software") == {"chengxin-software", "shuye-twin"}
    assert cohort_firms(store, "2023-12-31", sector="software", certified="ever") == {
        "chengxin-software", "shuye-twin", "xingyao-sim"}
    assert firms(store, "sme-threshold-breaches", "2023-12-31", province="Jiangsu") == {"chengxin-software"}
    assert ParamSpec("province", "province").parse("江苏") == ["江苏", "江苏省", "Jiangsu"]


# --------------------------------------------------------------------------- one set of parameters


@pytest.mark.parametrize("as_of", ["2023-12-31", "2021-12-31"])
def test_the_briefs_analyses_with_one_set_of_parameters(store, as_of):
    """Little Giants of batches 1-2: every analysis selects exactly the same cohort."""
    cohort = cohort_firms(store, as_of, **COHORT)
    assert cohort == BATCH_1_2
    # the queries that list the whole cohort list exactly it
    assert firms(store, "financing-intensity", as_of, **COHORT) == cohort
    assert firms(store, "state-influence", as_of, **COHORT) == cohort
    (total,) = run_query(store, "financing-intensity", {**COHORT, "total": "true"}, as_of)[1]
    assert total[0] == len(cohort) - 1  # leaderdrive reports no revenue
    # the others select from it, and with the same parameters
    subs = firms(store, "little-giant-subsidiaries", as_of, **COHORT)
    assert subs == {"hunnan-servo", "junli-logistics", "pujiang-motion", "haoduo-welding", "qingyun-reducer",
                    "qingyun-welding", "tianyu-motion", "tuoheng-gripper"}
    for name in ("sme-threshold-breaches", "weak-performers", "certification-ladder", "expiring-certifications"):
        assert firms(store, name, as_of, **COHORT) <= cohort, name
    assert firms(store, "state-capital-flows", as_of, column="recipient", **COHORT) <= cohort
    if as_of == "2023-12-31":  # the brief's counts: 2 over the SME thresholds, 2 weak performers
        # qingyu-automation grows out of SME size in 2023: its 2023 accounts count from 2024-01-01
        assert firms(store, "sme-threshold-breaches", as_of, **COHORT) == {"qingyun-reducer"}
        assert firms(store, "sme-threshold-breaches", "2024-06-30", **COHORT) == {"qingyun-reducer", "qingyu-automation"}
        assert firms(store, "weak-performers", as_of, **COHORT) == {"lixing-laser", "yuechuan-inspection"}
        assert round(total[3] * 100, 1) == 13.7
        ladder = {(NAME[r[0]], r[4]) for r in run_query(store, "certification-ladder", COHORT, as_of)[1]}
        assert ("leaderdrive", "manufacturing_champion") in ladder and ("qingyun-group", "manufacturing_champion") not in ladder
    # and the cohort of the state-capital-flows rows is the cohort's (not every recipient)
    every = firms(store, "state-capital-flows", as_of, column="recipient")
    assert every - cohort and IRI["ruihe-linear"] not in every


def test_docstring_examples():
    assert doctest.testmod(kg.queries.cohort).failed == 0
