"""Where the facts behind a report section come from: source datasets, files and rows.

The store keeps every stated fact in the named graph of its source file (``<g> kg:source
"<dataset>" ; kg:sourceFile "<file>"``), and every link node and financial year carries its
``kg:sourceRow``. For each section this module finds the stated facts its rows rest on (the
cohort's certifications, the holdings along an ownership chain, the financial years and fundings
that were summed, the listings counted) by index lookups on the store (``quads_for_pattern``: no
query text, so no value is pasted into one), and groups them by dataset and file with their row
numbers. Derived facts (integrated ownership, size class, flows) are computed by the build from
these and are named per section, not listed as sources.

>>> rows_text([2, 3, 4, 9, 11, 12])
'2-4, 9, 11-12'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kg.ontology import ID, KG
from kg.rdf.nquads import split_row_iri

__all__ = ["SourceUse", "attach_sources", "rows_text"]


def _p(local: str) -> ox.NamedNode:
    return ox.NamedNode(KG + local)


CERT_FIRM, PROGRAMME, BATCH, VALID_FROM, YEAR = (_p(x) for x in ("certifiedFirm", "programme", "batch", "validFrom", "year"))
REPORTED, SOURCE_ROW = _p("reported"), _p("sourceRow")
OWNER, OWNED, START, END = _p("owner"), _p("owned"), _p("start"), _p("end")
RECIPIENT, DATE, INSTRUMENT = _p("recipient"), _p("date"), _p("instrument")
LISTED_FIRM, LISTED, EXCHANGE, CODE = _p("listedFirm"), _p("listed"), _p("exchange"), _p("code")
SOURCE, SOURCE_FILE = _p("source"), _p("sourceFile")
_A_SHARE_EXCHANGES = ("SSE", "SZSE", "BSE")


@dataclass
class SourceUse:
    """Facts of one kind from one source file: its dataset, file name and row numbers."""

    dataset: str
    file: str
    kind: str
    rows: list[int]

    @property
    def rows_text(self) -> str:
        return rows_text(self.rows)


def rows_text(rows: Iterable[int]) -> str:
    """Row numbers as ranges."""
    out: list[str] = []
    rows = sorted(set(rows))
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1] == rows[j] + 1:
            j += 1
        out.append(str(rows[i]) if i == j else f"{rows[i]}-{rows[j]}")
        i = j + 1
    return ", ".join(out)


class _Facts:
    """Lookups on one store; collects (kind, graph, node) of stated facts."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.found: dict[tuple[str, ox.NamedNode], set[int]] = {}

    def _value(self, node, pred, graph=None) -> str | None:
        for q in self.store.quads_for_pattern(node, pred, None, graph):
            return q.object.value
        return None

    def add(self, kind: str, graph, node) -> None:
        if not isinstance(graph, ox.NamedNode) or not graph.value.startswith(ID + "graph/source/"):
            return
        row = self._value(node, SOURCE_ROW, graph)
        if row is None:  # a node named by its row (kg:rowInIri: financial years)
            row = str(split_row_iri(node.value)[1] or "")
        self.found.setdefault((kind, graph), set())
        if row is not None and row.isdigit():
            self.found[(kind, graph)].add(int(row))

    def uses(self) -> list[SourceUse]:
        out = []
        for (kind, g), rows in self.found.items():
            dataset = self._value(g, SOURCE, g) or g.value.rsplit("/", 2)[-2]
            file = self._value(g, SOURCE_FILE, g) or g.value.rsplit("/", 1)[-1]
            out.append(SourceUse(dataset, file, kind, sorted(rows)))
        return sorted(out, key=lambda u: (u.kind, u.dataset, u.file))

    # ---------------------------------------------------------------- kinds of facts

    def certifications(self, firm: str, *, programme: str | None = None, batches: set[int] | None = None,
                       as_of: dt.date | None = None, max_year: int | None = None) -> None:
        prog = ox.NamedNode(ID + f"programme/{programme}") if programme else None
        for q in self.store.quads_for_pattern(None, CERT_FIRM, ox.NamedNode(firm), None):
            c = q.subject
            if prog is not None and not any(True for _ in self.store.quads_for_pattern(c, PROGRAMME, prog, None)):
                continue
            if batches is not None and (b := self._value(c, BATCH)) is not None and int(float(b)) not in batches:
                continue
            vf = self._value(c, VALID_FROM)
            if as_of is not None and vf is not None and vf > as_of.isoformat():
                continue
            cy = self._value(c, YEAR) or (vf[:4] if vf else None)  # its year, else valid_from's (kg.derive.lookups)
            if max_year is not None and cy is not None and int(cy) > max_year:
                continue
            self.add("certifications", q.graph_name, c)

    def financial_years(self, firm: str, years: Iterable[int] | None = None, *, latest_by: int | None = None) -> None:
        """The firm's financial years of ``years``, or of its latest year up to ``latest_by``."""
        want = None if years is None else {int(y) for y in years}
        found = []
        for q in self.store.quads_for_pattern(ox.NamedNode(firm), REPORTED, None, None):
            y = self._value(q.object, YEAR, q.graph_name)
            if y is not None and (want is None or int(y) in want):
                found.append((int(y), q.graph_name, q.object))
        if latest_by is not None:
            last = max((y for y, *_ in found if y <= latest_by), default=None)
            found = [x for x in found if x[0] == last]
        for _, g, fy in found:
            self.add("financial years", g, fy)

    def fundings(self, firm: str, *, first: int | None = None, last: int | None = None, as_of: dt.date | None = None,
                 date: str | None = None, instrument: str | None = None) -> None:
        for q in self.store.quads_for_pattern(None, RECIPIENT, ox.NamedNode(firm), None):
            f = q.subject
            d = self._value(f, DATE)
            if date is not None and d != date:
                continue
            if instrument is not None and self._value(f, INSTRUMENT) != instrument:
                continue
            if (first is not None or last is not None or as_of is not None) and d is None:
                continue
            if as_of is not None and d > as_of.isoformat():
                continue
            if first is not None and int(d[:4]) < first or last is not None and int(d[:4]) > last:
                continue
            self.add("fundings", q.graph_name, f)

    def listings(self, firm: str | None, *, as_of: dt.date | None = None) -> None:
        who = ox.NamedNode(firm) if firm else None
        for q in self.store.quads_for_pattern(None, LISTED_FIRM, who, None):
            lst = q.subject
            ex = next((x.object for x in self.store.quads_for_pattern(lst, EXCHANGE, None, None)), None)
            if firm is None and (ex is None or self._value(ex, CODE) not in _A_SHARE_EXCHANGES):
                continue
            d = self._value(lst, LISTED)
            if as_of is not None and (d > as_of.isoformat() if d is not None else firm is None):
                continue  # a firm's listing without a date counts (a listed group); a year's needs one
            self.add("listings", q.graph_name, lst)

    def holdings(self, parent: str, firm: str, hops: int, as_of: dt.date) -> None:
        """The direct holdings valid at as_of on chains of at most ``hops`` links from parent to firm."""
        day = as_of.isoformat()

        def valid(link) -> bool:
            s, e = self._value(link, START), self._value(link, END)
            return (s is None or s <= day) and (e is None or e >= day)

        # owners above the firm, by distance: node -> [(link, graph, owned)]
        up: dict[str, list] = {}
        frontier, seen = {firm}, {firm: 0}
        for depth in range(1, max(hops, 1) + 1):
            nxt = set()
            for node in frontier:
                for q in self.store.quads_for_pattern(None, OWNED, ox.NamedNode(node), None):
                    if not valid(q.subject):
                        continue
                    owner = self._value(q.subject, OWNER, q.graph_name)
                    if owner is None:
                        continue
                    up.setdefault(owner, []).append((q.subject, q.graph_name, node))
                    if owner not in seen:
                        seen[owner] = depth
                        nxt.add(owner)
            frontier = nxt
        # walk down from the parent along those links
        stack, done = [parent], set()
        while stack:
            node = stack.pop()
            if node in done:
                continue
            done.add(node)
            for link, g, owned in up.get(node, []):
                self.add("holdings", g, link)
                stack.append(owned)


def _firms(rows: Iterable[dict], col: str = "firm") -> Iterator[str]:
    seen = set()
    for r in rows:
        v = r.get(col)
        if isinstance(v, str) and v not in seen:
            seen.add(v)
            yield v


def attach_sources(store: ox.Store, report) -> None:
    """Set ``sources`` on each section of ``report`` (kg.report.cohort.Report)."""
    p = report.params
    as_of = report.as_of
    batches = None
    if p.get("batches"):
        from kg.queries.params import ParamSpec

        batches = set(ParamSpec("batches", "integers").parse(p["batches"]))
    cohort_kw = {"programme": p.get("programme"), "batches": batches, "as_of": as_of}
    for s in report.sections:
        f = _Facts(store)
        runs = {r.query: r for r in s.runs}
        if s.key == "cohort":
            for firm in _firms(s.runs[0].records()):
                f.certifications(firm, **cohort_kw)
        elif s.key == "subsidiaries":
            for x in s.runs[0].records():
                f.holdings(x["parent"], x["firm"], int(x["hops"] or 1), as_of)
                if "large" in str(x.get("parent_basis")) or x.get("parent_basis") == "both":
                    f.financial_years(x["parent"], latest_by=as_of.year)  # its size class's year
                if "listed" in str(x.get("parent_basis")) or x.get("parent_basis") == "both":
                    f.listings(x["parent"], as_of=as_of)
                f.certifications(x["firm"], **cohort_kw)
        elif s.key == "sme":
            for x in s.runs[0].records():
                f.financial_years(x["firm"], [x["year"]])
        elif s.key == "weak":
            for x in s.runs[0].records():
                y = int(x["latest_year"])
                f.financial_years(x["firm"], range(y - 3, y + 1))
        elif s.key == "financing":
            from kg.report.cohort import financing_window

            per_firm = s.runs[-1]
            lo, hi = financing_window(per_firm.params)
            for firm in _firms(per_firm.records()):
                f.fundings(firm, first=lo, last=hi, as_of=as_of)
                f.financial_years(firm, range(lo, hi + 1))
        elif s.key == "state-capital":
            for x in runs["state-capital-flows"].records():
                f.fundings(x["recipient"], date=x.get("date"), instrument=x.get("instrument"))
        elif s.key == "ladder":
            for firm in _firms(runs["certification-ladder"].records()):
                f.certifications(firm, max_year=as_of.year)
        elif s.key == "listings":
            f.listings(None, as_of=as_of)
        s.sources = f.uses()
