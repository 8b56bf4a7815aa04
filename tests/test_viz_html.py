"""The self-contained HTML view (kg.viz.html), checked in Debian's headless Chromium.

The browser tests open the page from a file:// URL in an offline context where every
non-file request is aborted and recorded; Chromium failing to start is a test failure,
not a skip. Screenshots go to test-artifacts/viz-*.png.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kg.viz import render_html
from kg.viz.html import ASSET_SCRIPTS, json_for_script
from kg.viz.sample import ID, LINK, example_graph

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("KG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
EVIL = "</script><script>alert(1)</script>"
FOCUS = ID + "uscc/91320500MA1XAMPLE1"
ENDED_LINK = LINK + "12"  # bank loan, valid 2019-01-01 .. 2021-12-31
TITLE = "Leaderdrive ownership"


# ---------------------------------------------------------------- static checks (no browser)

class _Collect(HTMLParser):
    """Tags with attributes, and the text of <script>/<style> elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in, self._attrs, self._buf = tag, dict(attrs), []

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)

    def handle_endtag(self, tag):
        if tag == self._in:
            text = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._attrs, text))
            else:
                self.styles.append(text)
            self._in = None


REMOTE = re.compile(r"^\s*(?:https?:)?//", re.I)
URL_ATTRS = {"src", "href", "srcset", "action", "formaction", "poster", "data", "background",
             "xlink:href", "manifest", "ping", "cite", "longdesc", "codebase", "icon"}


@pytest.fixture(scope="module")
def page_html() -> str:
    return render_html(example_graph(), title=TITLE)


def test_html_references_no_remote_resource(page_html):
    p = _Collect()
    p.feed(page_html)
    tags = [t for t, _ in p.tags]
    assert "link" not in tags, "no <link> (stylesheets, icons, preloads): everything is inlined"
    for tag, attrs in p.tags:
        for name, value in attrs.items():
            if name in URL_ATTRS and value:
                assert not REMOTE.match(value), f"<{tag} {name}={value!r}> is a network reference"
        if tag == "script":
            assert "src" not in attrs, "scripts must be inlined"
        if attrs.get("style"):
            assert not re.search(r"url\s*\(|@import", attrs["style"], re.I)
    css = "\n".join(p.styles)
    assert not re.search(r"@import|url\s*\(\s*['\"]?\s*(?:https?:)?//", css, re.I)
    assert "@font-face" not in css, "system fonts only"
    code = "\n".join(text for attrs, text in p.scripts if attrs.get("type") != "application/json")
    for pattern in (r"""url\s*\(\s*['"]?\s*https?://""", r"""@import\s+['"]?(?:url\()?\s*['"]?https?://""",
                    r"""(?:fetch|import|importScripts|sendBeacon|EventSource|WebSocket)\s*\(\s*['"`]\s*(?:https?|wss?):""",
                    r"""\.open\s*\(\s*['"][A-Z]+['"]\s*,\s*['"]https?:""",
                    r"""(?:src|href)\s*=\s*['"]https?://"""):
        assert not re.search(pattern, code), f"script code loads a remote resource: {pattern}"
    # The whole page, data included, has no http(s) reference in a url()/src=/href= position.
    assert not re.search(r"""(?:src|href)\s*=\s*['"]?\s*https?://""", page_html, re.I)
    assert not re.search(r"""url\(\s*['"]?\s*https?://""", page_html, re.I)


def test_vendored_scripts_are_inlined_with_licences(page_html):
    p = _Collect()
    p.feed(page_html)
    code = [text for attrs, text in p.scripts if attrs.get("type") != "application/json"]
    assert len(code) == len(ASSET_SCRIPTS) + 1  # vendor scripts + the page script
    for name in ("cytoscape 3.", "dagre 0.8.", "cytoscape-dagre 2.5.", "graphlib", "lodash"):
        assert name in page_html, f"licence/version notice for {name} missing"
    assert "Permission is hereby granted" in page_html
    versions = (ROOT / "kg" / "viz" / "assets" / "VERSIONS.txt").read_text(encoding="utf-8")
    for js, lic in ASSET_SCRIPTS:
        assert f"\t{js}\t" in versions and f"\t{lic}\t" in versions


def test_graph_json_is_escaped_and_round_trips(page_html):
    p = _Collect()
    p.feed(page_html)
    data = [text for attrs, text in p.scripts if attrs.get("type") == "application/json"]
    assert len(data) == 1
    raw = data[0]
    assert "</" not in raw and "<!--" not in raw and "\u2028" not in raw and "\u2029" not in raw
    view = json.loads(raw)
    notes = [n["raw"]["props"].get("note") for n in view["nodes"]]
    assert f"{EVIL} & \u2028 line sep" in notes  # intact after parsing
    # Exactly one closing tag per script element: nothing in the data ended one early.
    assert page_html.lower().count("</script") == page_html.lower().count("<script")
    assert EVIL not in page_html


def test_json_for_script_escapes_everything_that_could_break_out():
    value = {"a": EVIL, "b": "<!-- x -->", "c": "\u2028\u2029", "d": "&amp;", "e": float("nan")}
    text = json_for_script(value)
    for bad in ("<", ">", "&", "\u2028", "\u2029", "NaN"):
        assert bad not in text
    assert json.loads(text) == {**value, "e": None}


def test_title_is_html_escaped():
    page = render_html({"nodes": [], "edges": [], "meta": {}}, title='<b>"x"</b> & y')
    assert "<title>&lt;b&gt;&quot;x&quot;&lt;/b&gt; &amp; y</title>" in page


def test_view_model_of_example(page_html):
    from kg.viz.html import build_view

    view = build_view(example_graph(), title=TITLE)
    assert view["counts"] == {"nodes": 12, "edges": 14}
    by_id = {n["id"]: n for n in view["nodes"]}
    assert by_id[FOCUS]["focus"] and [b["code"] for b in by_id[FOCUS]["badges"]] == ["LG"]
    precision = by_id[ID + "uscc/91320500PRECIS0003"]
    assert [b["code"] for b in precision["badges"]] == ["MC"]  # from the CERTIFIED_AS link
    assert by_id[ID + "gov/suzhou-sasac"]["state"] == "controlled"
    assert by_id[ID + "fund/jiangsu-hitech"]["state"] == "minority"
    labels = {e["id"]: e["label"] for e in view["edges"]}
    assert labels[LINK + "10"] == "60%"
    assert labels[LINK + "7"] == "5000万 CNY"
    assert labels[LINK + "9"] == "1.5亿 CNY"
    assert view["date"] == {"min": "2010-01-01", "max": "2023-12-31", "default": "2021-06-30"}


# ---------------------------------------------------------------- browser


class _Chromium:
    """Starts Chromium on first use, inside the test, so that a browser which cannot start
    makes the test FAIL (not error at setup, and never skip)."""

    def __init__(self):
        self._pw = None
        self._browser = None

    def get(self):
        if self._browser is None:
            try:
                from playwright.sync_api import sync_playwright
            except ImportError as exc:
                pytest.fail(f"playwright is not installed: {exc}")
            try:
                self._pw = sync_playwright().start()
                self._browser = self._pw.chromium.launch(executable_path=CHROMIUM,
                                                         args=CHROMIUM_ARGS)
            except Exception as exc:
                self.close()
                pytest.fail(f"could not start headless Chromium at {CHROMIUM} "
                            f"(Debian package chromium): {exc}")
        return self._browser

    def close(self):
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None


@pytest.fixture(scope="module")
def browser():
    chromium = _Chromium()
    yield chromium
    chromium.close()


class Opened:
    def __init__(self, page, blocked, errors, dialogs):
        self.page, self.blocked, self.errors, self.dialogs = page, blocked, errors, dialogs

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)


@pytest.fixture
def open_page(browser, tmp_path):
    contexts = []

    def _open(html: str, name: str = "view.html") -> Opened:
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        ctx = browser.get().new_context(offline=True, viewport={"width": 1400, "height": 900},
                                  accept_downloads=True)
        contexts.append(ctx)
        blocked: list[str] = []
        errors: list[str] = []
        dialogs: list[str] = []

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.on("request", lambda req: None if req.url.startswith(("file://", "blob:", "data:"))
                else blocked.append(req.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        return Opened(page, blocked, errors, dialogs)

    yield _open
    for ctx in contexts:
        ctx.close()


def _click_node(o: Opened, node_id: str) -> None:
    x, y = o.js("""id => {
        const n = kgView.cy.getElementById(id), p = n.renderedPosition();
        const r = document.getElementById('cy').getBoundingClientRect();
        return [p.x + r.left, p.y + r.top];
    }""", node_id)
    o.page.mouse.click(x, y)


@pytest.mark.browser
def test_browser_draws_graph_filters_by_date_and_shows_details(open_page):
    ARTIFACTS.mkdir(exist_ok=True)
    o = open_page(render_html(example_graph(), title=TITLE))
    page = o.page
    assert o.js("kgView.visibleNodeCount()") == 12
    assert o.js("kgView.visibleEdgeCount()") == 14
    assert o.js("kgView.date()") == "2021-06-30"  # meta.as_of
    assert page.inner_text("#date-out") == "2021-06-30"
    assert "Focus: Leaderdrive" in page.inner_text("#subtitle")

    # owners are drawn above what they own
    ypos = o.js("""() => Object.fromEntries(kgView.cy.nodes().map(n => [n.id(), n.position('y')]))""")
    edges = o.js("""() => kgView.cy.edges().map(e => [e.source().id(), e.target().id(), e.data('etype')])""")
    for src, tgt, etype in edges:
        if etype == "OWNS":
            assert ypos[src] < ypos[tgt], f"owner {src} not above {tgt}"
    # legend lists the node types present and the state-controlled mark
    legend = page.inner_text("#legend")
    for text in ("Firm", "Bank", "Guidance fund", "Government body", "state-controlled",
                 "owns (share)", "funded (amount)", "LG"):
        assert text in legend
    # share and amount labels are drawn on the links
    labels = o.js("() => kgView.cy.edges().map(e => e.data('label'))")
    assert "60%" in labels and "5000万 CNY" in labels and "1.5亿 CNY" in labels
    page.screenshot(path=str(ARTIFACTS / "viz-html.png"))

    # date after the loan ended: one link fewer, nodes stay
    assert o.js("kgView.setDate('2022-06-30')") == 13
    assert o.js("kgView.visibleEdgeCount()") == 13
    assert o.js("kgView.visibleNodeCount()") == 12
    assert o.js(f"kgView.select({json.dumps(ENDED_LINK)})") is True
    assert "not valid on 2022-06-30" in page.inner_text("#details")
    assert page.inner_text("#date-out") == "2022-06-30"
    # the slider drives the same filter
    o.js("""() => { const s = document.getElementById('date');
                    s.value = String(Math.round(Date.UTC(2020, 0, 1) / 864e5));
                    s.dispatchEvent(new Event('input')); }""")
    assert page.inner_text("#date-out") == "2020-01-01"
    # at 2020-01-01: listing (2020-08-28), robotics fund (2020-04-01), certification (2021) not yet
    assert o.js("kgView.visibleEdgeCount()") == 11
    page.check("#all-dates")
    assert o.js("kgView.visibleEdgeCount()") == 14
    assert o.js("kgView.setDate('2022-06-30')") == 13

    # click on a node shows its details and sources
    _click_node(o, ID + "fund/jiangsu-hitech")
    page.wait_for_function("() => document.getElementById('details-name') !== null")
    details = page.inner_text("#details")
    assert "Jiangsu Hi-Tech Ventures" in details and "江苏高科创投" in details
    rows = page.locator("#details-sources tr.source-row")
    assert rows.count() == 1
    assert rows.first.inner_text().split() == ["synthetic", "entities.csv", "3"]
    assert EVIL in details  # shown as text, not run
    assert "35%" in details  # state share
    page.screenshot(path=str(ARTIFACTS / "viz-html-details.png"))

    # clicking a link shows the link
    assert o.js(f"kgView.select({json.dumps(LINK + '10')})") is True
    details = page.inner_text("#details")
    assert "OWNS 60%" in details and "links.csv" in details

    # search highlights and centres matches
    page.fill("#search", "绿驱")
    page.wait_for_function("() => kgView.cy.nodes('.match').length > 0")
    matched = o.js("() => kgView.cy.nodes('.match').map(n => n.id()).sort()")
    assert len(matched) == 4 and FOCUS in matched
    assert "4 matches" in page.inner_text("#search-hint")
    page.fill("#search", "688017")  # ticker
    page.wait_for_function("() => kgView.cy.nodes('.match').length === 1")
    page.press("#search", "Enter")
    assert page.inner_text("#details-name") == "Leaderdrive"
    robotics = ID + "uscc/91320500ROBOT00002"
    page.fill("#search", "91320500robot")  # USCC, any case
    page.wait_for_function("id => kgView.cy.nodes('.match').map(n => n.id()).join() === id", arg=robotics)
    page.wait_for_timeout(400)  # centring animation
    page.screenshot(path=str(ARTIFACTS / "viz-html-search.png"))
    page.press("#search", "Escape")
    assert o.js("kgView.cy.nodes('.match').length") == 0

    assert o.blocked == [], f"network requests attempted: {o.blocked}"
    assert o.errors == [] and o.dialogs == []


@pytest.mark.browser
def test_browser_downloads_png_and_svg(open_page):
    o = open_page(render_html(example_graph(), title=TITLE))
    with o.page.expect_download() as dl:
        o.page.click("#dl-png")
    assert dl.value.suggested_filename.endswith(".png")
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with o.page.expect_download() as dl:
        o.page.click("#dl-svg")
    assert dl.value.suggested_filename.endswith(".svg")
    root = ET.fromstring(Path(dl.value.path()).read_bytes())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert len(root.findall(".//s:g[@class='node']", ns)) == 12
    assert len(root.findall(".//s:path[@class='edge']", ns)) == 14
    text = "".join(root.itertext())
    assert "Leaderdrive" in text and "60%" in text and "5000万 CNY" in text
    # the SVG follows the date filter
    o.js("kgView.setDate('2022-06-30')")
    root = ET.fromstring(o.js("kgView.svg()").encode("utf-8"))
    assert len(root.findall(".//s:path[@class='edge']", ns)) == 13
    assert o.blocked == [] and o.errors == []


@pytest.mark.browser
def test_browser_hostile_names_stay_data(open_page):
    g = {
        "nodes": [
            {"id": "urn:x:1", "label": EVIL, "name_zh": "名\u2028称\u2029", "types": ["Firm"],
             "focus": True, "sources": [{"source": "<img src=x onerror=alert(2)>", "row": 1}]},
            {"id": "urn:x:2", "label": "O'Brien \"&\" <Co>", "types": ["Person"]},
        ],
        "edges": [{"id": "urn:l:1", "source": "urn:x:2", "target": "urn:x:1", "type": "OWNS",
                   "share": 0.5}],
        "meta": {"focus": "urn:x:1", "truncated": "<b>cut at 500 nodes</b>"},
    }
    o = open_page(render_html(g, title=EVIL))
    assert o.dialogs == [], "script in data was executed"
    assert o.js("kgView.visibleNodeCount()") == 2 and o.js("kgView.visibleEdgeCount()") == 1
    assert o.js("kgView.cy.getElementById('urn:x:1').data('display').split('\\n')[0]") == EVIL
    assert o.page.title() == EVIL
    assert o.js("kgView.select('urn:x:1')") is True
    assert o.page.inner_text("#details-name") == EVIL
    assert "<img src=x onerror=alert(2)>" in o.page.inner_text("#details-sources")
    assert o.page.locator("#details img").count() == 0
    assert "<b>cut at 500 nodes</b>" in o.page.inner_text("#warn")
    assert o.dialogs == [] and o.errors == [] and o.blocked == []


@pytest.mark.browser
def test_browser_empty_and_tiny_graphs(open_page):
    o = open_page(render_html({"nodes": [], "edges": [], "meta": {}}, title="empty"), "e.html")
    assert o.js("kgView.visibleNodeCount()") == 0
    single = {"nodes": [{"id": "a", "label": "Solo", "types": ["Firm"]}], "edges": [],
              "meta": {"focus": "a"}}
    o = open_page(render_html(single, title="one"), "one.html")
    assert o.js("kgView.visibleNodeCount()") == 1
    assert o.errors == [] and o.blocked == []
