"""The pages of ``kg serve`` in a real browser: Debian's headless Chromium driven by Playwright
(the launcher of tests/test_viz_html.py: no browser download), against the real server
(``python3 -m kg serve`` in a subprocess on a free port).

The walk of the issue: search "Siasun" -> its entity page (subsidiaries with integrated shares
and sources) -> the network view draws -> the little-giant-subsidiaries form at a date with
rows -> the CSV download holds the table's rows; then the SPARQL console. A graph whose names
are script and markup injections shows them as text: no dialog, no injected element, no CSP
violation. Screenshots are kept in $KG_ARTIFACTS, else test-artifacts/ (git-ignored); the
folder is printed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pages_fixture import IMG, SCRIPT, build_xss_db
from test_viz_html import _Chromium

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("KG_ARTIFACTS") or ROOT / "test-artifacts")
AS_OF = "2023-12-31"


def _serve(db: Path, log: Path, workers: int):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--db", str(db), "--port", "0",
                                 "--workers", str(workers), "--timeout", "60"],
                                stdout=subprocess.DEVNULL, stderr=err, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kg serve exited with {proc.returncode}: {log.read_text()}")
        m = re.search(r"SPARQL endpoint at (http://\S+)/sparql", log.read_text())
        if m:
            try:
                if httpx.get(m.group(1) + "/", timeout=5).status_code == 200:
                    return proc, m.group(1)
            except httpx.TransportError:
                pass
        time.sleep(0.2)
    proc.terminate()
    raise AssertionError(f"kg serve did not answer within 60 s: {log.read_text()}")


@pytest.fixture(scope="module")
def servers(sample_db, tmp_path_factory):
    """Base URLs of `kg serve` over the sample graph and over the injection graph."""
    tmp = tmp_path_factory.mktemp("pages-serve")
    xss_db = build_xss_db(tmp / "xss")
    procs = []
    try:
        sample_proc, sample_url = _serve(sample_db, tmp / "sample.log", 2)
        procs.append(sample_proc)
        xss_proc, xss_url = _serve(xss_db, tmp / "xss.log", 1)
        procs.append(xss_proc)
        yield {"sample": sample_url, "xss": xss_url}
    finally:
        for p in procs:
            p.terminate()
            assert p.wait(30) == 0


@pytest.fixture(scope="module")
def browser():
    chromium = _Chromium()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nkg serve page screenshots in {ARTIFACTS}")
    return ARTIFACTS


class Watched:
    """A page with what went wrong on it: script errors, console errors (CSP violations are
    reported there), dialogs (alert() must never run), requests to other hosts."""

    def __init__(self, context, base: str):
        self.context, self.base = context, base
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        self.page = context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: None if r.url.startswith((base, "blob:", "data:", "about:"))
                     else self.foreign.append(r.url))

    def clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"errors on the page: {self.errors}"
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"


@pytest.fixture
def open_site(browser, tmp_path):
    contexts = []

    def _open(base: str) -> Watched:
        ctx = browser.get().new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        contexts.append(ctx)
        return Watched(ctx, base)

    yield _open
    for ctx in contexts:
        ctx.close()


def _ready(page) -> None:
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def test_search_entity_network_query_download(servers, open_site, artifacts, tmp_path):
    base = servers["sample"]
    w = open_site(base)
    page = w.page
    page.goto(base + "/")
    _ready(page)
    # the date first (the header's as-of form), then the search: the date follows every link
    page.fill("#as_of_top", AS_OF)
    page.click("form.asof button")
    _ready(page)
    page.fill("#q", "Siasun")
    page.press("#q", "Enter")
    page.wait_for_selector("#results")
    assert f"as_of={AS_OF}" in page.url
    page.screenshot(path=str(artifacts / "serve-search.png"), full_page=True)
    page.click("#results a:has-text('SIASUN Robot')")
    page.wait_for_selector("#entity-name")
    _ready(page)
    assert page.inner_text("#entity-name") == "SIASUN Robot & Automation Co., Ltd."
    subs = page.inner_text("#subsidiaries-table")
    assert "Shenyang Hunhe Robotics Holding Co., Ltd." in subs
    assert "Shenyang Junli Intelligent Logistics Equipment Co., Ltd." in subs
    assert "70%" in subs and "ownership.csv:14" in subs
    page.screenshot(path=str(artifacts / "serve-entity-siasun.png"), full_page=True)

    page.click("#network-link")
    page.wait_for_selector("#network-frame")
    frame = page.frame_locator("#network-frame")
    frame.locator("body[data-ready='1']").wait_for(timeout=60_000)
    view = page.frame(url=re.compile(r"/network-view/"))
    assert view.evaluate("kgView.visibleNodeCount()") >= 3
    assert view.evaluate("kgView.visibleEdgeCount()") >= 2
    page.wait_for_timeout(500)  # the layout's animation
    page.screenshot(path=str(artifacts / "serve-network-siasun.png"))
    page.select_option("#hops", "1")
    page.click("#network-form button")
    page.frame_locator("#network-frame").locator("body[data-ready='1']").wait_for(timeout=60_000)
    assert "hops=1" in page.url

    page.click("header nav a:has-text('Canned queries')")
    page.click("#catalog a:has-text('little-giant-subsidiaries')")
    assert page.input_value("#p-as_of") == AS_OF
    page.click("#run")
    page.wait_for_selector("#results-table")
    table = page.locator("#results-table tbody tr")
    n = table.count()
    assert n > 0
    shown = sorted(tuple(c.strip() for c in r.split("\t")) for r in
                   (table.nth(k).inner_text() for k in range(n)))
    assert page.inner_text("#command") == f"kg query run little-giant-subsidiaries --as-of {AS_OF}"
    page.click("#results-table th:has-text('share')")
    page.screenshot(path=str(artifacts / "serve-query-little-giant-subsidiaries.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#download-csv")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name == "little-giant-subsidiaries.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == [c.strip() for c in page.locator("#results-table thead").inner_text().split("\t")]
    assert sorted(tuple(r) for r in rows[1:]) == shown

    page.click("header nav a:has-text('SPARQL console')")
    _ready(page)
    value = page.locator("#example option", has_text="state-influence:").get_attribute("value")
    page.select_option("#example", value)
    assert '"2023-12-31"^^' in page.input_value("#query")
    page.click("#run-sparql")
    page.wait_for_selector("#sparql-results tbody tr")
    assert page.locator("#sparql-results tbody tr").count() > 0
    page.screenshot(path=str(artifacts / "serve-console.png"), full_page=True)
    w.clean()


def test_injected_names_show_as_text(servers, open_site, artifacts):
    base = servers["xss"]
    w = open_site(base)
    page = w.page
    page.goto(base + "/search?q=" + "script")
    _ready(page)
    assert page.inner_text("#results a") == SCRIPT
    page.goto(base + "/search?q=onerror")
    _ready(page)
    assert sorted(page.locator("#results a").all_inner_texts()) == [IMG, SCRIPT]  # by name, or by Chinese name
    page.locator("#results").get_by_role("link", name=IMG, exact=True).click()
    page.wait_for_selector("#entity-name")
    _ready(page)
    assert page.inner_text("#entity-name") == IMG
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0
    page.click(f"#subsidiaries-table a:text-is('{SCRIPT}')")
    page.wait_for_selector("#entity-name")
    _ready(page)
    assert page.inner_text("#entity-name") == SCRIPT
    assert page.locator(".zh").inner_text() == IMG
    assert "<b>src</b>" in page.inner_text("#identifiers")
    assert page.locator("main img, main b, main script").count() == 0
    page.screenshot(path=str(artifacts / "serve-entity-injection.png"), full_page=True)
    page.click("#network-link")
    page.frame_locator("#network-frame").locator("body[data-ready='1']").wait_for(timeout=60_000)
    view = page.frame(url=re.compile(r"/network-view/"))
    assert view.evaluate("kgView.visibleNodeCount()") >= 2
    assert view.locator("img").count() == 0
    page.goto(base + "/queries/ultimate-owners?run=1&ref=evil-firm&as_of=" + AS_OF)
    _ready(page)
    assert IMG in page.inner_text("#results-table")
    assert page.locator("main img").count() == 0
    page.screenshot(path=str(artifacts / "serve-query-injection.png"), full_page=True)
    w.clean()
