"""``kg report cohort``'s page in a real browser: Debian's headless Chromium driven by Playwright
(the launcher of tests/test_viz_html.py: no browser download), opened from a file.

The page renders with its charts (inline SVG, drawn with a size), the numbers the browser shows
are the rows of the canned queries run with the parameters the page names, and nothing leaves
the page: every request is intercepted and only the file itself is let through. A graph whose
names are markup shows them as text, with no dialog. Screenshots are kept in $KG_ARTIFACTS,
else test-artifacts/ (git-ignored), beside those of tests/test_serve_pages_browser.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_report_cohort import AS_OF, IMG, PARAMS, SCRIPT, build_xss_graph
from test_viz_html import _Chromium

from kg.cli import cli
from kg.cli import commands as _commands  # noqa: F401  (registers the commands)
from kg.queries import get_query, run_query
from kg.report.render import fmt_value

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("KG_ARTIFACTS") or ROOT / "test-artifacts")


@pytest.fixture(scope="module")
def browser():
    chromium = _Chromium()
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nkg report screenshots in {ARTIFACTS}")
    return ARTIFACTS


def write_report(db: Path, out: Path, *params: str) -> Path:
    r = CliRunner().invoke(cli, ["report", "cohort", *params, "--as-of", AS_OF, "--db", str(db), "-o", str(out)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return out


class Opened:
    """A report file open in a fresh context: every request but the file's own is aborted and
    recorded, and so are script errors, console errors (CSP violations land there) and dialogs."""

    def __init__(self, browser, path: Path):
        self.url = path.resolve().as_uri()
        self.ctx = browser.get().new_context(viewport={"width": 1300, "height": 900})
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r):
            self.requests.append(r.request.url)
            r.continue_() if r.request.url == self.url else r.abort()

        self.ctx.route("**/*", route)
        self.page = self.ctx.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def clean(self) -> None:
        assert self.requests == [self.url], f"requests other than the page: {self.requests}"
        assert self.errors == [], f"errors on the page: {self.errors}"
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"

    def close(self) -> None:
        self.ctx.close()


_TABLES_JS = """() => [...document.querySelectorAll('table.rows[data-query]')].map(t => ({
  query: t.dataset.query, params: JSON.parse(t.dataset.params), rows: Number(t.dataset.rows),
  head: [...t.querySelectorAll('thead th')].map(th => th.innerText),
  body: [...t.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => ({
    col: td.dataset.col, value: JSON.parse(td.dataset.value), text: td.innerText})))}))"""


def test_the_report_renders_offline_with_its_charts_and_the_queries_numbers(browser, artifacts, sample_db, tmp_path):
    path = write_report(sample_db, tmp_path / "audit.html", *PARAMS)
    o = Opened(browser, path)
    try:
        page = o.page
        assert page.title().startswith("Cohort audit: programme=little_giant, batches=1,2, certified=ever")
        charts = page.evaluate("""() => [...document.querySelectorAll('figure.chart')].map(f => {
            const s = f.querySelector('svg'), b = s && s.getBoundingClientRect();
            return {key: f.dataset.chart, w: b ? b.width : 0, h: b ? b.height : 0, paths: s ? s.querySelectorAll('path').length : 0}; })""")
        assert [c["key"] for c in charts] == ["financing-instrument", "financing-year", "intensity-year", "state-capital", "listings-year"]
        assert all(c["w"] > 200 and c["h"] > 100 and c["paths"] > 10 for c in charts), charts
        tables = page.evaluate(_TABLES_JS)
        assert len(tables) == 10
        for t in tables:
            q = get_query(t["query"])
            cols, rows = run_query(sample_db, q, t["params"], AS_OF)
            assert t["rows"] == len(rows) == len(t["body"]) and rows, t["query"]
            for line, row in zip(t["body"], rows, strict=True):
                rec = dict(zip(cols, row, strict=True))
                for cell in line:
                    assert cell["value"] == rec[cell["col"]], (t["query"], cell)
                    if f"{cell['col']}_name" in cols:  # the name, its short reference below
                        assert cell["text"].split("\n")[0] == (rec[f"{cell['col']}_name"] or cell["text"].split("\n")[0])
                    else:
                        assert cell["text"] == fmt_value(cell["col"], rec[cell["col"]]), (t["query"], cell)
        cols, (total,) = run_query(sample_db, "financing-intensity", {"programme": "little_giant", "batches": "1,2",
                                                                     "certified": "ever", "total": "true"}, AS_OF)
        intensity = total[cols.index("intensity")]
        shown = page.locator("[data-section='financing'][data-figure^='financing / revenue'] .value").inner_text()
        assert shown == fmt_value("intensity", intensity) == "13.7%"
        cmd = page.locator("#sme pre.cmd").first.inner_text()
        assert cmd.startswith("kg query run sme-threshold-breaches -p programme=little_giant -p batches=1,2 -p certified=ever")
        assert page.locator("#subsidiaries table.sources").inner_text().count("ownership.csv") == 1
        page.screenshot(path=str(artifacts / "report-cohort.png"), full_page=True)
        assert (artifacts / "report-cohort.png").stat().st_size > 50_000
        o.clean()
    finally:
        o.close()


def test_markup_in_names_shows_as_text_in_the_browser(browser, artifacts, tmp_path):
    db = build_xss_graph(tmp_path / "xss")
    path = write_report(db, tmp_path / "x.html", "-p", "batches=1")
    o = Opened(browser, path)
    try:
        page = o.page
        assert page.locator("script, img, iframe, b").count() == 0
        firms = page.locator("#cohort table.rows tbody td").first.inner_text()
        assert firms.split("\n")[0] == SCRIPT
        subs = page.locator("#subsidiaries table.rows tbody td").all_inner_texts()
        assert subs[0].split("\n")[0] == SCRIPT and subs[1].split("\n")[0] == IMG
        assert f"{SCRIPT} fund" in page.locator("#state-capital").inner_text()
        assert "<b>src</b>" in page.locator("#cohort table.sources").inner_text()
        page.screenshot(path=str(artifacts / "report-cohort-injection.png"), full_page=True)
        o.clean()
    finally:
        o.close()


def test_the_page_data_is_json_the_page_shows(browser, sample_db, tmp_path):
    """The raw values the page carries (data-value) parse as JSON in the browser, as a reader's
    script would read them: the cohort's firm IRIs are the cohort-firms rows."""
    path = write_report(sample_db, tmp_path / "audit.html", *PARAMS)
    o = Opened(browser, path)
    try:
        iris = o.page.evaluate("() => [...document.querySelectorAll('#cohort table.rows td[data-col=firm]')].map(td => JSON.parse(td.dataset.value))")
        cols, rows = run_query(sample_db, "cohort-firms", {"programme": "little_giant", "batches": "1,2"}, AS_OF)
        assert iris == [r[0] for r in rows] and len(iris) == 17
        assert json.loads(o.page.locator("[data-figure='firms in the cohort']").get_attribute("data-value")) == 17
        o.clean()
    finally:
        o.close()
