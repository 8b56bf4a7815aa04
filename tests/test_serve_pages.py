"""The pages of ``kg serve`` in-process (starlette's TestClient), real store and worker processes:
every page, as_of, escaping of hostile names, 404s and errors, headers, assets and downloads.
The same pages in a real browser: test_serve_pages_browser.py."""

from __future__ import annotations

import csv
import html
import io
import re
import shlex

import pytest
from pages_fixture import IMG, SCRIPT, SOURCE, build_xss_db
from starlette.testclient import TestClient

from kg.queries.run import run_query
from kg.serve.app import LOOPBACK_HOSTS, Settings, create_app
from kg.serve.pages import PAGE_CSP, hash_csp

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
SIASUN = "/entity/ticker/300024.SZ"
AS_OF = "2023-12-31"


def _client(db):
    app = create_app(Settings(db=db, timeout=30, workers=1, allowed_hosts=[*LOOPBACK_HOSTS, "testserver"]))
    return TestClient(app, base_url="http://127.0.0.1:8080", raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(sample_db):
    with _client(sample_db) as c:
        yield c


@pytest.fixture(scope="module")
def xss(tmp_path_factory):
    with _client(build_xss_db(tmp_path_factory.mktemp("xss"))) as c:
        yield c


def _page(client, url, status=200):
    r = client.get(url, headers=HTML)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"] == PAGE_CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    return r.text


def _text(page: str, element_id: str) -> str:
    """The text of the element with this id (tags dropped, entities decoded)."""
    m = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert m, f"no #{element_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()


def test_page_csp_allows_no_inline_script():
    assert "script-src 'self';" in PAGE_CSP and "unsafe-inline" not in PAGE_CSP and "frame-ancestors 'none'" in PAGE_CSP


def test_home_and_search(client):
    page = _page(client, "/")
    assert 'action="/search"' in page and "<script src=\"/assets/site.js\"" in page
    page = _page(client, "/search?q=Siasun&as_of=" + AS_OF)
    assert f'<a href="{SIASUN}?as_of={AS_OF}">SIASUN Robot &amp; Automation Co., Ltd.</a>' in page


@pytest.mark.parametrize("text", ["瀋陽新松", "３０００２４", "sz300024", "沈阳新松机器人", "siasun robot"])
def test_search_accepts_traditional_fullwidth_tickers_and_parts(client, text):
    page = _page(client, "/search?" + "q=" + text)
    assert f'<a href="{SIASUN}">SIASUN Robot &amp; Automation Co., Ltd.</a>' in page


def test_search_by_uscc_and_no_match(client):
    page = _page(client, "/search?q=91210100658574932n")
    assert "Shenyang Junli Intelligent Logistics Equipment Co., Ltd." in _text(page, "results")
    page = _page(client, "/search?q=no+such+firm+anywhere")
    assert _text(page, "no-results") == "No entity matches no such firm anywhere by id, USCC, LEI, ticker or name."


def test_entity_page_siasun(client):
    page = _page(client, f"{SIASUN}?as_of={AS_OF}")
    assert _text(page, "entity-name") == "SIASUN Robot & Automation Co., Ltd."
    subs = _text(page, "subsidiaries-table")
    assert "Shenyang Junli Intelligent Logistics Equipment Co., Ltd." in subs and "70%" in subs
    assert "synthetic · ownership.csv:16" in subs  # the holding's source file and row
    assert "siasun-filing-2023" in _text(page, "identifiers") and "entities.csv:30" in _text(page, "identifiers")
    assert f'href="/network/ticker/300024.SZ?as_of={AS_OF}"' in page
    assert "chinext-launch-2009 · listings.csv:3" in _text(page, "listings")


def test_entity_page_owners_control_chain_certifications(client):
    page = _page(client, f"/entity/uscc/91210100658574932N?as_of={AS_OF}")
    owners = _text(page, "owners-table")
    assert "Shenyang Hunhe Robotics Holding Co., Ltd." in owners and "SIASUN Robot & Automation Co., Ltd." in owners
    assert _text(page, "ultimate-controller") == "SIASUN Robot & Automation Co., Ltd."
    chain = _text(page, "control-path")
    assert chain.index("Shenyang Hunhe Robotics Holding") < chain.index("SIASUN Robot")  # up to the ultimate controller
    assert "Little Giant" in _text(page, "certifications") and "<svg class=\"timeline\"" in page
    assert "funding-received" in page


def test_entity_page_as_of_changes_what_holds(client):
    before = _page(client, f"{SIASUN}?as_of=2011")  # Hunhe Holding was bought in March 2012
    assert "Shenyang Hunhe Robotics Holding" not in _text(before, "subsidiaries-table")
    assert "Shenyang Hunnan Servo Drive" in _text(before, "subsidiaries-table")


def test_bad_as_of_and_unknown_entity(client):
    page = _page(client, f"{SIASUN}?as_of=2023-13-01", 400)
    assert _text(page, "error-message") == ("as_of: '2023-13-01' is not a valid date (month 13 is out of range); "
                                            "expected a date YYYY-MM-DD (or 2023年12月31日)")
    page = _page(client, "/entity/ticker/999999.SZ", 404)
    assert _text(page, "error-message") == "no entity <https://w3id.org/accelerator-kg/id/ticker/999999.SZ> in the graph"
    _page(client, "/entity/link/owns/90cb3bf7320a2067bc2e", 404)
    _page(client, "/entity/programme/little_giant", 404)  # a reference entity: no entity page


@pytest.mark.parametrize("url", ["/nowhere", "/assets/", "/assets/../pyproject.toml", "/assets/%2e%2e%2fpyproject.toml",
                                 "/assets/templates", "/queries/nope", "/queries/little-giant-subsidiaries/rows.xlsx",
                                 "/entity/", "/etc/passwd", "/kg/serve/templates/base.html"])
def test_not_found_and_no_directory_listing(client, url):
    page = _page(client, url, 404)
    assert "Traceback" not in page and "<li>" not in page


def test_errors_as_json_or_text_for_other_clients(client):
    r = client.get("/entity/ticker/999999.SZ", headers={"Accept": "application/json"})
    assert (r.status_code, r.json()) == (404, {"error": "no entity <https://w3id.org/accelerator-kg/id/ticker/999999.SZ> in the graph",
                                               "status": 404})
    r = client.get("/nowhere")
    assert (r.status_code, r.headers["content-type"], r.text) == (404, "text/plain; charset=utf-8", "Not Found\n")


def test_assets_from_allow_list(client):
    r = client.get("/assets/site.js")
    assert r.status_code == 200 and r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "kgSortable" in r.text
    assert client.get("/assets/site.css").headers["content-type"] == "text/css; charset=utf-8"


def test_network_page_and_view(client):
    page = _page(client, f"/network/ticker/300024.SZ?as_of={AS_OF}&hops=1&links=OWNS&links=FUNDED")
    src = html.unescape(re.search(r'<iframe[^>]* src="([^"]+)"', page).group(1))
    assert src == f"/network-view/ticker/300024.SZ?as_of={AS_OF}&hops=1&direction=both&links=OWNS&links=FUNDED"
    r = client.get(src, headers=HTML)
    assert r.status_code == 200 and "cytoscape" in r.text
    assert r.headers["content-security-policy"] == hash_csp(r.text)
    assert "unsafe-inline" not in r.headers["content-security-policy"].split("; ")[1]
    assert r.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    assert "SIASUN Robot &amp; Automation Co., Ltd.: 1 hop, as of 2023-12-31" in r.text
    _page(client, "/network/ticker/300024.SZ?hops=9", 400)
    page = _page(client, "/network/ticker/300024.SZ?links=SELLS", 400)
    assert _text(page, "error-message").startswith("links: 'SELLS' is not a link type; expected some of OWNS")


def test_queries_catalog_and_form(client):
    page = _page(client, f"/queries?as_of={AS_OF}")
    assert f'href="/queries/little-giant-subsidiaries?as_of={AS_OF}"' in page
    page = _page(client, f"/queries/little-giant-subsidiaries?as_of={AS_OF}")
    assert 'name="min_share"' in page and '<select name="programme"' in page
    assert f'id="p-as_of" value="{AS_OF}"' in page
    assert "results-table" not in page  # the form only, until run


def test_query_run_download_and_command(client, sample_db):
    url = f"/queries/little-giant-subsidiaries?run=1&as_of={AS_OF}&min_share=60%25"
    page = _page(client, url)
    cols, rows = run_query(sample_db, "little-giant-subsidiaries", {"min_share": "60%"}, AS_OF)
    assert rows and _text(page, "row-count").startswith(f"{len(rows)} row")
    assert _text(page, "command") == "kg query run little-giant-subsidiaries -p min_share=60% --as-of 2023-12-31"
    assert shlex.split(_text(page, "command"))[4:6] == ["-p", "min_share=60%"]
    r = client.get(f"/queries/little-giant-subsidiaries/rows.csv?as_of={AS_OF}&min_share=60%25")
    assert r.status_code == 200 and r.headers["content-disposition"] == 'attachment; filename="little-giant-subsidiaries.csv"'
    got = list(csv.reader(io.StringIO(r.text)))
    assert got[0] == cols
    assert got[1:] == [["" if v is None else str(v) for v in row] for row in rows]
    r = client.get(f"/queries/little-giant-subsidiaries/rows.json?as_of={AS_OF}&min_share=60%25")
    body = r.json()
    assert (body["columns"], body["rows"], body["params"]) == (cols, rows, {"min_share": "60%", "as_of": AS_OF})


def test_query_command_line_is_shell_quoted(client):
    page = _page(client, f"/queries/ultimate-owners?run=1&as_of={AS_OF}&ref=SIASUN+Robot")
    assert _text(page, "command") == "kg query run ultimate-owners -p 'ref=SIASUN Robot' --as-of 2023-12-31"
    assert _text(page, "row-count").startswith("0 rows")  # Siasun has no owners


def test_query_bad_parameter_is_shown_on_the_form(client):
    page = _page(client, "/queries/little-giant-subsidiaries?run=1&min_share=2")
    assert _text(page, "query-error") == "parameter min_share: '2' is above the maximum 1; expected decimal 0..1"
    r = client.get("/queries/little-giant-subsidiaries/rows.csv?min_share=abc")
    assert r.status_code == 400 and "parameter min_share: 'abc'" in r.text


def test_console_examples_are_bound(client):
    page = _page(client, f"/console?as_of={AS_OF}")
    assert '<script src="/assets/console.js" defer></script>' in page
    assert 'action="/sparql"' in page
    ex = re.search(r'<template class="example" data-name="little-giant-subsidiaries">(.*?)</template>', page, re.S)
    text = html.unescape(ex.group(1))
    assert '"2023-12-31"^^<http://www.w3.org/2001/XMLSchema#date>' in text and "?as_of" not in text
    r = client.post("/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["results"]["bindings"]


def test_hostile_names_are_text_everywhere(xss):
    pages = [_page(xss, "/search?q=script"), _page(xss, "/search?q=onerror"),
             _page(xss, "/entity/entity/evil-firm"), _page(xss, "/entity/entity/evil-owner"),
             _page(xss, "/network/entity/evil-firm"),
             _page(xss, "/queries/ultimate-owners?run=1&ref=evil-firm")]
    for page in pages:
        assert "<script>alert" not in page and "<img" not in page and "<b>src" not in page
    assert html.escape(SCRIPT, quote=True) in pages[0]
    assert _text(pages[2], "entity-name") == SCRIPT
    assert SOURCE in _text(pages[2], "identifiers")
    assert IMG in _text(pages[5], "results-table")
    view = xss.get("/network-view/entity/evil-firm", headers=HTML)
    assert "<script>alert" not in view.text and "<img src=x" not in view.text


@pytest.mark.parametrize("name", ["kg.serve.pages", "kg.serve.pages_data"])
def test_doctests(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_search_caps_common_words(sample_db):
    from kg.rdf.store import open_store
    from kg.serve.pages_data import search

    store = open_store(sample_db)
    assert len(search(store, "robot")) > 3
    assert len(search(store, "robot", limit=3)) == 3
