"""``kg serve``'s canned-query API in-process (starlette's TestClient): the catalog, each query's
rows equal to ``kg query run NAME --format json`` (and the CSV to ``--format csv``), errors as
one-line JSON (400 for bad parameters, 404 for unknown queries), the row cap and the timeout.
Real store, real worker processes."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from kg.serve.app import LOOPBACK_HOSTS, Settings, create_app

HOSTS = [*LOOPBACK_HOSTS, "testserver"]
MAX_ROWS = 60

#: every canned query, with parameters and an as_of at which it has rows on the sample
#: (declared-vs-computed has none at any date: the sample declares no indirect holdings)
CASES = [
    ("certification-ladder", {}, "2023-12-31"),
    ("certification-ladder", {"summary": "true", "since": "2019"}, "2023-12-31"),
    ("certified-listings-share", {"from_year": "2020"}, "2023-12-31"),
    ("cohort-firms", {"batches": "1,2"}, "2023-12-31"),
    ("declared-vs-computed", {}, "2023-12-31"),
    ("expiring-certifications", {"window_days": "365", "programme": "小巨人"}, "2023-06-30"),
    ("financing-intensity", {"batches": "1,2"}, "2021-12-31"),
    ("financing-intensity", {"batches": "1-2", "total": "yes"}, "2021"),
    ("little-giant-subsidiaries", {"min_share": "50%"}, "2023-12-31"),
    ("listing-share", {"programme": "little_giant"}, "2023-12-31"),
    ("sme-threshold-breaches", {}, "2021-12-31"),
    ("state-capital-flows", {"source": "mof", "max_hops": "2"}, "2023-12-31"),
    ("state-influence", {"level": "high"}, "2023-12-31"),
    ("state-influence", {"ref": "siasun"}, "2023-12-31"),
    ("ultimate-owners", {"ref": "junli-logistics"}, "2023-12-31"),
    ("weak-performers", {"programme": "little_giant"}, "2023-12-31"),
]


@pytest.fixture(scope="module")
def client(sample_db):
    app = create_app(Settings(db=sample_db, timeout=20, max_rows=MAX_ROWS, workers=1, allowed_hosts=HOSTS))
    with TestClient(app) as c:
        yield c


def _cli(run, db, name, params, as_of, fmt):
    args = ["query", "run", name, "--db", db, "--as-of", as_of, "--format", fmt]
    for k, v in params.items():
        args += ["-p", f"{k}={v}"]
    r = run(*args)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_catalog(client, run):
    r = client.get("/api/queries")
    assert (r.status_code, r.headers["content-type"]) == (200, "application/json")
    queries = r.json()["queries"]
    listed = json.loads(run("query", "list", "--format", "json").stdout)
    assert [q["name"] for q in queries] == [q["name"] for q in listed]
    assert {q["name"] for q in queries} == {c[0] for c in CASES}
    by_name = {q["name"]: q for q in queries}
    lgs = by_name["little-giant-subsidiaries"]
    assert lgs["title"] == "Certified firms (Little Giants by default) that a large firm owns, directly or through holdings"
    assert lgs["url"] == "/api/queries/little-giant-subsidiaries"
    assert lgs["columns"] == ["firm", "firm_name", "parent", "parent_name", "share", "hops", "parent_basis"]
    params = {p["name"]: p for p in lgs["parameters"]}
    assert list(params) == ["min_share", "programme", "batches", "sector", "province", "certified", "as_of"]
    assert params["min_share"] == {
        "name": "min_share", "type": "decimal", "accepts": "a number such as 0.5 or 50%", "default": 0.5,
        "default_text": "0.5", "required": False, "description": params["min_share"]["description"],
        "min": 0, "max": 1, "choices": None}
    assert params["as_of"]["type"] == "date" and params["as_of"]["default"] is None
    assert params["as_of"]["default_text"] == "today"
    ref = by_name["ultimate-owners"]["parameters"][0]
    assert (ref["name"], ref["type"], ref["required"], ref["default"]) == ("ref", "ref", True, None)
    level = {p["name"]: p for p in by_name["state-influence"]["parameters"]}["level"]
    assert level["choices"] == ["high", "medium", "low", "none"]
    batches = {p["name"]: p for p in by_name["financing-intensity"]["parameters"]}
    assert batches["batches"]["type"] == "integers" and batches["total"]["default"] is False
    assert all(any(p["name"] == "as_of" for p in q["parameters"]) for q in queries)


@pytest.mark.parametrize("name, params, as_of", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rows_equal_kg_query_run(client, run, sample_db, name, params, as_of):
    r = client.get(f"/api/queries/{name}", params={**params, "as_of": as_of})
    assert (r.status_code, r.headers["content-type"]) == (200, "application/json"), r.text
    body = r.json()
    want = json.loads(_cli(run, sample_db, name, params, as_of, "json"))
    assert body["rows"] == want
    assert body["count"] == len(want)
    assert (name == "declared-vs-computed") == (not want), "every query but declared-vs-computed has rows here"
    assert body["query"] == name
    if want:
        assert body["columns"] == list(want[0])
    day = {"2021": "2021-12-31"}.get(as_of, as_of)
    assert body["parameters"]["as_of"] == day


def test_parameters_used_are_reported(client):
    body = client.get("/api/queries/ultimate-owners", params={"ref": "junli-logistics", "as_of": "2023-12"}).json()
    assert body["parameters"] == {"ref": "https://w3id.org/accelerator-kg/id/uscc/91210100658574932N",
                                  "as_of": "2023-12-31"}
    assert "derived_as_of" not in body  # derived facts are those of as_of: nothing to say of another date
    assert [(o["owner_name"], o["share"]) for o in body["rows"]][:1] == [("SIASUN Robot & Automation Co., Ltd.", 0.7)]
    body = client.get("/api/queries/financing-intensity", params={"batches": "2-1", "total": "1", "as_of": "2021"})
    assert body.status_code == 400  # a range from high to low is not one
    body = client.get("/api/queries/financing-intensity", params={"batches": "[2, 1]", "total": "是", "as_of": "2021"}).json()
    assert body["parameters"]["batches"] == [1, 2] and body["parameters"]["total"] is True
    assert "derived_as_of" not in client.get("/api/queries/certification-ladder").json()


@pytest.mark.parametrize("how", ["format", "accept"])
def test_csv_download(client, run, sample_db, how):
    params = {"min_share": "0.5", "as_of": "2023-12-31"}
    if how == "format":
        r = client.get("/api/queries/little-giant-subsidiaries", params={**params, "format": "csv"})
    else:
        r = client.get("/api/queries/little-giant-subsidiaries", params=params,
                       headers={"Accept": "text/csv;q=0.9, application/json;q=0.5"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="little-giant-subsidiaries.csv"'
    assert r.text == _cli(run, sample_db, "little-giant-subsidiaries", {"min_share": "0.5"}, "2023-12-31", "csv")
    assert r.text.splitlines()[0] == "firm,firm_name,parent,parent_name,share,hops,parent_basis"
    assert len(r.text.splitlines()) > 3


def test_json_by_default_and_by_accept(client):
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}, {"Accept": "text/csv;q=0.1, */*"}):
        r = client.get("/api/queries/weak-performers", params={"as_of": "2023-12-31"}, headers=headers)
        assert r.headers["content-type"] == "application/json", headers
    # format= wins over Accept
    r = client.get("/api/queries/weak-performers", params={"as_of": "2023-12-31", "format": "json"},
                   headers={"Accept": "text/csv"})
    assert r.headers["content-type"] == "application/json"


def _error(r, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == status and "\n" not in body["error"]
    return body["error"]


@pytest.mark.parametrize("params, message", [
    ({"min_share": "abc"}, "parameter min_share: 'abc' is not a number; expected a number such as 0.5 or 50%"),
    ({"min_share": "2"}, "parameter min_share: '2' is above the maximum 1; expected decimal 0..1"),
    ({"min_share": "-10%"}, "parameter min_share: '-10%' is below the minimum 0; expected decimal 0..1"),
    ({"programme": "gold star"}, "parameter programme: 'gold star' is not a programme; expected a programme code or name"),
    ({"as_of": "2023-13-31"}, "parameter as_of: '2023-13-31' is not a valid date (month 13 is out of range); "
                              "expected a date YYYY-MM-DD (or 2023年12月31日)"),
    ({"share": "0.5"}, "unknown parameter 'share' for query little-giant-subsidiaries; it takes: min_share, programme, batches, sector, province, certified, as_of"),
    ([("min_share", "0.5"), ("min_share", "0.6")], "parameter min_share is given twice ('0.5' and '0.6'); give it once"),
    ({"format": "xml"}, "format 'xml' is not one this API writes; expected json or csv"),
])
def test_bad_parameters(client, params, message):
    r = client.get("/api/queries/little-giant-subsidiaries", params=params)
    got = _error(r, 400)
    if "programme" in params:
        assert got.startswith(message)  # it goes on to list the programmes
    else:
        assert got == message


def test_bad_parameters_even_with_other_accept(client):
    # errors are JSON whatever the client accepts
    r = client.get("/api/queries/little-giant-subsidiaries", params={"min_share": "x"}, headers={"Accept": "text/csv"})
    assert _error(r, 400).startswith("parameter min_share: 'x' is not a number")


def test_references(client):
    r = client.get("/api/queries/ultimate-owners")
    assert _error(r, 400) == ("parameter ref is required for query ultimate-owners: an entity id, USCC, LEI, ticker, "
                              "name or IRI (give it in the URL: ?ref=VALUE)")
    r = client.get("/api/queries/ultimate-owners", params={"ref": "no such firm"})
    assert _error(r, 400) == "parameter ref: no entity matches 'no such firm' by id, USCC, LEI, ticker or name"
    r = client.get("/api/queries/ultimate-owners", params={"ref": "Qingyun"})
    msg = _error(r, 400)
    assert msg.startswith("parameter ref: 'Qingyun' is ambiguous: ") and msg.endswith("(the candidates are listed)")
    cands = r.json()["candidates"]
    assert len(cands) > 1 and {"iri", "name", "types", "id"} == set(cands[0])
    assert "Anhui Qingyun Intelligent Equipment Group Co., Ltd." in {c["name"] for c in cands}


def test_unknown_query(client):
    r = client.get("/api/queries/little-giant")
    assert _error(r, 404).startswith("no query named 'little-giant' (did you mean little-giant-subsidiaries?); "
                                     "the catalog has: certification-ladder, ")
    assert _error(client.get("/api/queries/%3Cscript%3E"), 404).startswith("no query named '<script>'; ")
    assert client.get("/api/queries/..%2F..%2Fetc%2Fpasswd").status_code == 404  # no route: never a file
    assert client.get("/api/nothing").status_code == 404


def test_not_acceptable(client):
    r = client.get("/api/queries/weak-performers", headers={"Accept": "image/png"})
    assert _error(r, 406) == ("none of the accepted types (image/png) is one this API writes; it answers "
                              "application/json, text/csv (or give format=json|csv)")


def test_row_cap(client):
    # state-capital-flows has 71 rows at the end of 2023, over this server's 60
    r = client.get("/api/queries/state-capital-flows", params={"as_of": "2023-12-31"})
    assert _error(r, 422) == ("the result has 71 rows, more than this server's limit of 60 (kg serve --max-rows); "
                              "narrow it with the query's parameters, or run it with kg query run state-capital-flows")
    r = client.get("/api/queries/state-capital-flows", params={"as_of": "2023-12-31", "max_hops": "1"})
    assert r.status_code == 200 and 0 < r.json()["count"] <= MAX_ROWS


def test_security_headers(client):
    r = client.get("/api/queries")
    assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.post("/api/queries").status_code == 405


RUNAWAY = """#+ summary: a query that runs for ever
#+ params:
#+   n: {type: integer, default: 1}
SELECT (COUNT(*) AS ?c) WHERE { ?a ?b ?c0 . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }
"""


def test_timeout_and_config_queries(sample_db, tmp_path, monkeypatch):
    """A query of the config file's folder is served too; one that outlives --timeout is stopped
    with a JSON 503 while the other worker answers."""
    import threading

    folder = tmp_path / "my-queries"
    folder.mkdir()
    (folder / "runaway.rq").write_text(RUNAWAY, encoding="utf-8")
    (tmp_path / "kg.toml").write_text('queries = "my-queries"\n', encoding="utf-8")
    monkeypatch.setenv("KG_CONFIG", str(tmp_path / "kg.toml"))
    app = create_app(Settings(db=sample_db, timeout=4, workers=2, allowed_hosts=HOSTS))
    with TestClient(app) as c:
        assert "runaway" in {q["name"] for q in c.get("/api/queries").json()["queries"]}
        for _ in range(2):  # each worker in turn (the idle queue is first in, first out) loads kg.queries
            assert c.get("/api/queries/weak-performers", params={"as_of": "2023-12-31"}).status_code == 200
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", c.get("/api/queries/runaway")))
        t.start()
        quick = c.get("/api/queries/weak-performers", params={"as_of": "2023-12-31"})
        assert quick.status_code == 200 and t.is_alive()
        t.join(30)
        assert _error(out["r"], 503) == ("query timed out: it ran longer than the server's limit of 4 s "
                                         "(kg serve --timeout) and was stopped")
        assert c.get("/api/queries/weak-performers", params={"as_of": "2023-12-31"}).status_code == 200


def test_doctests():
    import doctest

    import kg.serve.api

    result = doctest.testmod(kg.serve.api, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
