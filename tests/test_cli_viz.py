"""``kg viz``: the selection drawn as a self-contained HTML page (kg.viz.render_html) or an
SVG / PNG diagram (kg.viz.render_static, Graphviz)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401
import kg.cli.export  # noqa: F401
from kg.cli import cli


@pytest.fixture
def kg_run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def embedded_graph(page: str) -> dict:
    m = re.search(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', page, re.S)
    assert m, "no embedded graph"
    return json.loads(m.group(1))


def test_html_page(kg_run, sample_db, tmp_path):
    out = tmp_path / "siasun.html"
    r = kg_run("viz", "--around", "siasun", "-o", out, "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith(f"wrote {out}: ")
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "cytoscape" in page
    assert not re.search(r'<script[^>]+src=|<link[^>]+href="http', page)  # nothing fetched
    view = embedded_graph(page)
    names = {n["name"] for n in view["nodes"]}
    assert "SIASUN Robot & Automation Co., Ltd." in names and "Shenyang Hunnan Servo Drive Co., Ltd." in names
    assert view["focus"].endswith("ticker/300024.SZ")
    assert view["title"] == "SIASUN Robot & Automation Co., Ltd.: 2 hops"


def test_html_has_badges_state_and_sources(kg_run, sample_db, tmp_path):
    out = tmp_path / "q.html"
    r = kg_run("viz", "--around", "qingyun-reducer", "--hops", "1", "--as-of", "2023-12-31", "--title", "Qingyun",
               "-o", out, "--db", sample_db)
    assert r.exit_code == 0, r.output
    view = embedded_graph(out.read_text(encoding="utf-8"))
    focus = next(n for n in view["nodes"] if n["focus"])
    assert {b["code"] for b in focus["badges"]} >= {"LG", "MC"}
    assert focus["state"] == "controlled"
    assert focus["raw"]["sources"][0]["file"] == "entities.csv"
    assert view["date"]["default"] == "2023-12-31" and view["title"] == "Qingyun"
    owns = [e for e in view["edges"] if e["etype"] == "OWNS"]
    assert owns and all(e["label"].endswith("%") for e in owns)


def test_html_to_stdout(kg_run, sample_db):
    r = kg_run("viz", "--around", "leaderdrive", "--hops", "0", "-o", "-", "--db", sample_db)
    assert r.exit_code == 0 and r.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize("suffix,magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_static_diagrams(kg_run, sample_db, tmp_path, suffix, magic):
    out = tmp_path / f"owners{suffix}"
    r = kg_run("viz", "--around", "junli-logistics", "--direction", "up", "--links", "OWNS", "-o", out, "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(magic)


def test_format_option_beats_the_suffix(kg_run, sample_db, tmp_path):
    out = tmp_path / "x.out"
    r = kg_run("viz", "--around", "leaderdrive", "--format", "html", "-o", out, "--db", sample_db)
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_viz_from_query(kg_run, sample_db, tmp_path):
    out = tmp_path / "lg.html"
    r = kg_run("viz", "--from-query", "little-giant-subsidiaries", "--as-of", "2023-12-31", "--hops", "1",
               "--links", "OWNS", "-o", out, "--db", sample_db)
    assert r.exit_code == 0, r.output
    assert len(embedded_graph(out.read_text(encoding="utf-8"))["nodes"]) > 5


def test_viz_errors(kg_run, sample_db, tmp_path):
    r = kg_run("viz", "--around", "Qingyun", "-o", tmp_path / "x.html", "--db", sample_db)
    assert r.exit_code == 2 and r.stderr.startswith("Error: 'Qingyun' is ambiguous")
    r = kg_run("viz", "--around", "siasun", "--hops", "-1", "-o", tmp_path / "x.html", "--db", sample_db)
    assert r.exit_code == 2 and "--hops" in r.stderr
    r = kg_run("viz", "--around", "siasun", "-o", tmp_path / "no" / "dir" / "x.html", "--db", sample_db)
    assert r.exit_code == 2 and "does not exist" in r.stderr
    assert not (tmp_path / "x.html").exists()


def test_a_suffix_viz_does_not_write_is_refused(kg_run, sample_db, tmp_path):
    out = tmp_path / "x.pdf"
    r = kg_run("viz", "--around", "leaderdrive", "-o", out, "--db", sample_db)
    assert r.exit_code == 2 and not out.exists()
    assert r.stderr == (f"Error: -o {out}: kg viz writes .html, .svg or .png, not .pdf; "
                        "name the file with one of those, or say --format\n")
