"""Static diagrams (kg.viz.static) drawn by Graphviz dot; a missing dot is a failure here."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kg.viz import GraphvizNotFound, render_static, to_dot
from kg.viz import static as static_mod
from kg.viz.sample import example_graph

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SVG = "{http://www.w3.org/2000/svg}"
NAMES = ["Leaderdrive", "绿驱谐波", "Suzhou SASAC", "Bank of Suzhou", "Leaderdrive Robotics",
         "Manufacturing Single Champion", "Zhang Wei"]


def _svg_text(data: bytes) -> str:
    return " ".join(t.strip() for t in ET.fromstring(data).itertext() if t.strip())


def test_dot_is_installed():
    assert shutil.which("dot"), "graphviz 'dot' not found; install Debian package graphviz"


def test_svg_has_names_shares_amounts_and_badges():
    ARTIFACTS.mkdir(exist_ok=True)
    data = render_static(example_graph(), "svg", title="Leaderdrive ownership")
    (ARTIFACTS / "viz-static.svg").write_bytes(data)
    root = ET.fromstring(data)  # well-formed XML
    assert root.tag == SVG + "svg"
    text = _svg_text(data)
    for name in NAMES:
        assert name in text
    for label in ("60%", "100%", "5%", "5000万 CNY", "1.5亿 CNY", "2亿 CNY", "LG 2019", "MC 2021",
                  "Legend", "state-controlled"):
        assert label in text, label
    # 12 nodes + the legend, 14 links + the invisible ones that park the legend at the bottom
    nodes = root.findall(f".//{SVG}g[@class='node']")
    assert len(nodes) == 13


def test_owners_are_above_what_they_own():
    dot = to_dot(example_graph(), title="t")
    out = subprocess.run(["dot", "-Tplain"], input=dot.encode(), capture_output=True, check=True)
    ypos = {}
    for line in out.stdout.decode().splitlines():
        parts = line.split()
        if parts and parts[0] == "node":
            ypos[parts[1]] = float(parts[3])  # plain output: y grows upwards
    ids = {n["id"]: f"n{i}" for i, n in enumerate(example_graph()["nodes"])}
    for e in example_graph()["edges"]:
        if e["type"] == "OWNS":
            assert ypos[ids[e["source"]]] > ypos[ids[e["target"]]]


def test_png_signature():
    data = render_static(example_graph(), "png", title="Leaderdrive ownership")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "viz-static.png").write_bytes(data)


def test_links_not_valid_at_as_of_are_greyed_with_their_dates():
    text = _svg_text(render_static(example_graph(), "svg", title="t", as_of="2022-06-30"))
    assert "2亿 CNY (ended 2021-12-31)" in text
    text = _svg_text(render_static(example_graph(), "svg", title="t", as_of="2015-01-01"))
    assert "60% (from 2018-01-01)" in text


def test_hostile_labels_are_escaped():
    evil = 'A "quoted" \\N back\\slash <b>&amp;</b> ]; x -> y [label="pwn"\nline2 \x07'
    g = {"nodes": [{"id": 'urn:"x"', "label": evil, "name_zh": "</text><script>1</script>",
                    "types": ["Firm"], "certifications": [{"programme": "<LG>"}]},
                   {"id": "urn:y", "label": "Y", "types": ["Person"]}],
         "edges": [{"id": "l\\1", "source": "urn:y", "target": 'urn:"x"', "type": "OWNS",
                    "share": 0.5, "props": {}}],
         "meta": {"truncated": "<i>cut</i>"}}
    data = render_static(g, "svg", title='T "<&>"')
    root = ET.fromstring(data)
    assert not root.findall(f".//{SVG}script")
    text = _svg_text(data)
    assert 'A "quoted" \\N back\\slash <b>&amp;</b> ]; x -> y [label="pwn" line2' in text
    assert "</text><script>1</script>" in text and "50%" in text and 'T "<&>"' in text
    dot = to_dot(g, title="t")
    assert len(re.findall(r"(?m)^  n\d+ \[", dot)) == 2  # no statement injected
    assert len(re.findall(r"(?m)^  n\d+ -> n\d+ \[(?!style=invis)", dot)) == 1


def test_missing_dot_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(static_mod.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFound, match="graphviz 'dot' not found; install Debian package graphviz"):
        render_static(example_graph(), "svg", title="t")
    monkeypatch.undo()
    with pytest.raises(GraphvizNotFound):
        render_static(example_graph(), "png", title="t", dot_binary="/nonexistent/dot")


def test_bad_format():
    with pytest.raises(ValueError):
        render_static(example_graph(), "pdf", title="t")  # type: ignore[arg-type]


def test_empty_graph():
    assert ET.fromstring(render_static({"nodes": [], "edges": []}, "svg", title="empty"))
