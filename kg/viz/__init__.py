"""Rendering of ownership subgraphs: an interactive self-contained HTML page and static
SVG/PNG diagrams.

The input is a plain dict (produced by the subgraph selection behind ``kg viz``)::

    {"nodes": [{"id": iri, "label": "Leaderdrive", "name_zh": "绿的谐波", "types": ["Firm"],
                "state_controlled": False, "state_share": 0.12, "certifications": [...],
                "revenue": 1.2e8, "capital": None, "uscc": "...", "ticker": "688017.SH",
                "focus": True, "props": {...}, "sources": [{"source": ..., "file": ..., "row": 5}]}],
     "edges": [{"id": iri, "source": owner_iri, "target": owned_iri, "type": "OWNS",
                "share": 0.6, "amount": None, "currency": None, "instrument": None,
                "start": "2019-01-01", "end": None, "derived": False, "props": {...},
                "sources": [...]}],
     "meta": {"focus": iri, "hops": 2, "as_of": "2024-01-01", "generated": "...",
              "truncated": None}}

>>> from kg.viz import render_html
>>> page = render_html({"nodes": [], "edges": [], "meta": {}}, title="empty")
>>> "</html>" in page
True
"""

from kg.viz.html import render_html
from kg.viz.static import GraphvizNotFound, render_static, to_dot

__all__ = ["render_html", "render_static", "to_dot", "GraphvizNotFound"]
