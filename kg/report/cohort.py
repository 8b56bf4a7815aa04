"""The data of ``kg report cohort``: the brief's audit of one cohort, section by section, each
section the rows of canned queries run with one set of cohort parameters.

Every number comes from a canned query run through the query runner
(:func:`kg.queries.run.prepare` / :func:`~kg.queries.run.run_prepared`, the embedded SPARQL
store), with the same parameters ``kg query run`` would take; each run keeps its command line
(:attr:`Run.command`) so a reader can run it again. The cohort parameters are made explicit once
(:func:`cohort_parameters`: ``programme`` defaults to little_giant, ``certified`` follows the
cohort rule) and passed unchanged to every query, so every section speaks of the same firms.

>>> import tempfile, pathlib
>>> from kg.build import build
>>> db = pathlib.Path(tempfile.mkdtemp()) / "db"
>>> _ = build([pathlib.Path(__file__).parents[2] / "data" / "sample"], db)
>>> r = cohort_report(db, {"batches": "1,2"}, "2023-12-31")
>>> r.cohort_size, [s.key for s in r.sections][:3]
(17, ['cohort', 'subsidiaries', 'sme'])
>>> r.sections[0].runs[0].command
'kg query run cohort-firms -p programme=little_giant -p batches=1,2 -p certified=ever --as-of 2023-12-31'
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.queries.cohort import COHORT_PARAMS

__all__ = ["Run", "Table", "Figure", "Chart", "Section", "Report", "financing_window", "cohort_parameters", "cohort_report",
           "REPORT_PARAMS", "WINDOW_PARAMS", "FULLY_OWNED"]

#: parameters of the financing window (financing-intensity's; the other sections take no window)
WINDOW_PARAMS = ("from_year", "to_year")
#: what ``kg report cohort -p`` accepts
REPORT_PARAMS = COHORT_PARAMS + WINDOW_PARAMS
#: an integrated share at least this is "fully owned" (shares come rounded to 9 digits)
FULLY_OWNED = 0.9999995


@dataclass
class Run:
    """One canned query run: its name, the parameters as ``-p`` text, the date, the rows."""

    query: str
    params: dict[str, str]
    as_of: dt.date
    columns: list[str]
    rows: list[list]
    note: str | None = None  # the runner's one-line explanation (empty result, firms left out)
    db: str | None = None  # the --db given to the report, repeated in the command

    @property
    def command(self) -> str:
        """The ``kg query run`` line that gives the same rows.

        >>> Run("weak-performers", {"batches": "1,2"}, dt.date(2023, 12, 31), [], [], db="my db").command
        "kg query run weak-performers -p batches=1,2 --as-of 2023-12-31 --db 'my db'"
        """
        parts = ["kg", "query", "run", self.query]
        for k, v in self.params.items():
            parts += ["-p", f"{k}={v}"]
        parts += ["--as-of", self.as_of.isoformat()]
        if self.db is not None:
            parts += ["--db", self.db]
        return " ".join(shlex.quote(p) for p in parts)

    def column(self, name: str) -> list:
        """The values of one column.

        >>> Run("q", {}, dt.date(2020, 1, 1), ["a", "b"], [[1, 2], [3, 4]]).column("b")
        [2, 4]
        """
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts by column."""
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass
class Table:
    """A table shown in a section: a run's rows, or a summary computed from them (``run`` None,
    ``basis`` saying how)."""

    caption: str
    columns: list[str]
    rows: list[list]
    run: Run | None = None
    basis: str = ""
    runs: list[Run] = field(default_factory=list)  # the runs a summary table's rows come from


@dataclass
class Figure:
    """A headline number of a section, with what it counts and where it comes from."""

    label: str
    value: Any
    kind: str = "count"  # count | share | amount | text
    basis: str = ""


@dataclass
class Chart:
    """A chart to draw: ``kind`` bars (stacked series over categories), ``title``, categories,
    and series name -> values."""

    key: str
    title: str
    categories: list[str]
    series: dict[str, list[float]]
    ylabel: str = ""
    percent: bool = False


@dataclass
class Section:
    """One part of the report."""

    key: str
    title: str
    text: str
    runs: list[Run] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    sources: list = field(default_factory=list)  # kg.report.sources.SourceUse
    derived: str = ""  # which derived facts of the build the rows read, if any


@dataclass
class Report:
    """The whole report: parameters, sections, when and from which graph."""

    params: dict[str, str]
    as_of: dt.date
    db: str
    sections: list[Section]
    generated: str = ""
    build: dict = field(default_factory=dict)

    @property
    def cohort_size(self) -> int:
        return len(self.sections[0].runs[0].rows)


def cohort_parameters(given: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The cohort parameters every section takes (explicit: ``programme`` little_giant unless
    given, ``certified`` as given, else ``ever`` with batches, else ``valid``) and the window
    parameters; an unknown name is an InputError naming the accepted ones.

    >>> cohort_parameters({"batches": "1,2", "sector": "robotics"})
    ({'programme': 'little_giant', 'batches': '1,2', 'sector': 'robotics', 'certified': 'ever'}, {})
    >>> cohort_parameters({"to_year": "2020"})
    ({'programme': 'little_giant', 'certified': 'valid'}, {'to_year': '2020'})
    >>> cohort_parameters({"ref": "x"})
    Traceback (most recent call last):
    ...
    kg.errors.InputError: kg report cohort takes no parameter 'ref'; it takes: programme, batches, sector, province, certified, from_year, to_year
    """
    for k in given:
        if k not in REPORT_PARAMS:
            raise InputError(f"kg report cohort takes no parameter {k!r}; it takes: {', '.join(REPORT_PARAMS)}")
    cohort = {"programme": given.get("programme") or "little_giant"}
    for k in ("batches", "sector", "province"):
        if given.get(k) not in (None, ""):
            cohort[k] = given[k]
    cohort["certified"] = given.get("certified") or ("ever" if "batches" in cohort else "valid")
    window = {k: given[k] for k in WINDOW_PARAMS if given.get(k) not in (None, "")}
    return cohort, window


class _Runner:
    """Runs catalog queries on one backend at one date, keeping each :class:`Run`."""

    def __init__(self, backend, as_of: dt.date, db: str | None):
        self.backend, self.as_of, self.db = backend, as_of, db

    def __call__(self, name: str, params: Mapping[str, str]) -> Run:
        from kg.queries.catalog import get_query
        from kg.queries.explain import explain
        from kg.queries.run import prepare, run_prepared

        q = get_query(name)
        values = prepare(q, dict(params), self.as_of, self.backend)
        cols, rows = run_prepared(self.backend, q, values)
        note = explain(self.backend, q, values, cols, rows)
        return Run(name, dict(params), self.as_of, cols, rows, note, self.db)


def _n(v) -> float:
    return float(v or 0)


def _section_cohort(run: _Runner, cohort: dict) -> Section:
    r = run("cohort-firms", cohort)
    s = Section("cohort", "Cohort", "The firms the cohort parameters select; every other section is about these firms.",
                runs=[r])
    s.figures.append(Figure("firms in the cohort", len(r.rows), basis="rows of cohort-firms"))
    s.tables.append(Table("Cohort firms", r.columns, r.rows, r))
    return s


def _section_subsidiaries(run: _Runner, cohort: dict) -> Section:
    r = run("little-giant-subsidiaries", cohort)
    recs = r.records()
    full = sorted({x["firm"] for x in recs if _n(x["share"]) >= FULLY_OWNED})
    major = sorted({x["firm"] for x in recs} - set(full))
    s = Section("subsidiaries", "Subsidiaries of large firms",
                "Cohort firms in which a large or listed firm (one without an SME-tier certification) holds an "
                "integrated share of 50% or more, with that parent. Fully owned: a 100% integrated share.", runs=[r])
    s.figures += [Figure("fully owned subsidiaries (100%)", len(full), basis="distinct firms with share = 1"),
                  Figure("majority-owned, not fully (50% to under 100%)", len(major), basis="distinct firms, share < 1 only"),
                  Figure("subsidiaries of large firms in all", len(full) + len(major), basis="distinct firms of the rows")]
    s.tables.append(Table("Subsidiaries and their parents", r.columns, r.rows, r))
    s.derived = "integrated ownership (ULTIMATELY_OWNS) and size class"
    return s


def _section_rows(run: _Runner, cohort: dict, key: str, query: str, title: str, text: str, label: str, derived: str = "") -> Section:
    r = run(query, cohort)
    s = Section(key, title, text, runs=[r], derived=derived)
    s.figures.append(Figure(label, len({x["firm"] for x in r.records()}), basis=f"distinct firms of {query}"))
    s.tables.append(Table(title, r.columns, r.rows, r))
    return s


def financing_window(window: Mapping[str, str]) -> tuple[int, int]:
    """The financing window's first and last year: as given, else financing-intensity's defaults.

    >>> financing_window({}), financing_window({"to_year": "2020"})
    ((2016, 2021), (2016, 2020))
    """
    from kg.queries.catalog import get_query

    q = get_query("financing-intensity")
    lo = int(window.get("from_year") or q.params["from_year"].default)
    hi = int(window.get("to_year") or q.params["to_year"].default)
    if lo > hi:
        raise InputError(f"parameter from_year {lo} is after to_year {hi}; give a window such as -p from_year=2016 -p to_year=2021")
    if hi - lo > 50:
        raise InputError(f"the financing window {lo}-{hi} is over 50 years; give a shorter one (one query runs per year)")
    return lo, hi


def _section_financing(run: _Runner, cohort: dict, window: dict) -> Section:
    lo, hi = financing_window(window)
    per_firm = run("financing-intensity", {**cohort, **window})
    total = run("financing-intensity", {**cohort, **window, "total": "true"})
    by_year = [run("financing-intensity", {**cohort, "from_year": str(y), "to_year": str(y), "total": "true"})
               for y in range(lo, hi + 1)]
    s = Section("financing", "Financing intensity",
                f"State-linked financing (subsidies, equity, below-benchmark or state debt) over reported revenue, "
                f"{lo}-{hi}: for the cohort (sums over the firms that report revenue in the window), per year, and per firm.",
                runs=[total, *by_year, per_firm], derived="state share and state control of the funders")
    t = total.records()[0] if total.rows else {}
    s.figures += [Figure(f"financing / revenue {lo}-{hi}", t.get("intensity"), "share", "intensity of financing-intensity total=true"),
                  Figure("financing", t.get("financing"), "amount", "yuan"),
                  Figure("revenue", t.get("revenue"), "amount", "yuan"),
                  Figure("firms with revenue in the window", t.get("firms"), basis="firms of the total row")]
    s.tables.append(Table(f"Cohort total {lo}-{hi}", total.columns, total.rows, total))
    year_rows = []
    for y, r in zip(range(lo, hi + 1), by_year, strict=True):
        rec = r.records()[0] if r.rows else {}
        year_rows.append([y] + [rec.get(c) for c in total.columns])
    s.tables.append(Table("By year (one total=true run per year)", ["year", *total.columns], year_rows,
                          basis="each row: the total row of financing-intensity with from_year = to_year = the year",
                          runs=by_year))
    s.tables.append(Table("By firm", per_firm.columns, per_firm.rows, per_firm))
    parts = ("subsidies", "equity", "debt")
    s.charts.append(Chart("financing-instrument", f"Financing by instrument, {lo}-{hi} (yuan)", list(parts),
                          {"financing": [_n(t.get(p)) for p in parts]}, "yuan"))
    cats = [str(row[0]) for row in year_rows]
    s.charts.append(Chart("financing-year", "Financing by year and instrument (yuan)", cats,
                          {p: [_n(row[1 + total.columns.index(p)]) for row in year_rows] for p in parts}, "yuan"))
    s.charts.append(Chart("intensity-year", "Financing / revenue by year", cats,
                          {"intensity": [_n(row[1 + total.columns.index("intensity")]) for row in year_rows]}, percent=True))
    return s


def _section_state_capital(run: _Runner, cohort: dict) -> Section:
    r = run("state-capital-flows", cohort)
    by: dict[str, list] = {}
    for x in r.records():
        key = x["source"]
        agg = by.setdefault(key, [x["source"], x["source_name"], 0, set(), 0.0, 0.0])
        agg[2] += 1
        agg[3].add(x["recipient"])
        agg[4] += _n(x["amount"])
        agg[5] += _n(x["look_through_amount"])
    rows = sorted(([a[0], a[1], a[2], len(a[3]), round(a[4], 2), round(a[5], 2)] for a in by.values()),
                  key=lambda a: (-a[5], a[1] or "", a[0]))
    s = Section("state-capital", "State capital by source fund",
                "Fundings of cohort firms by state sources, directly or through chains of funds; look-through amount = "
                "the part of each funding attributable to the source (amount x its share along the chain). Sources at "
                "several levels of one chain each count the same funding: do not add the sources up.",
                runs=[r], derived="look-through flows (LOOK_THROUGH_FUNDED) and state control")
    s.figures += [Figure("state sources", len(rows), basis="distinct sources of state-capital-flows"),
                  Figure("cohort firms reached", len({x["recipient"] for x in r.records()}), basis="distinct recipients")]
    s.tables.append(Table("By source", ["source", "source_name", "fundings", "recipients", "amount", "look_through_amount"], rows,
                          basis="state-capital-flows rows summed per source"))
    s.tables.append(Table("Fundings", r.columns, r.rows, r))
    top = rows[:12]
    s.charts.append(Chart("state-capital", "Look-through amount by state source (yuan)", [a[1] or a[0] for a in top],
                          {"look-through amount": [a[5] for a in top]}, "yuan"))
    return s


def _section_ladder(run: _Runner, cohort: dict) -> Section:
    r = run("certification-ladder", cohort)
    summary = run("certification-ladder", {**cohort, "summary": "true"})
    s = Section("ladder", "Certification ladder",
                "Promotions of cohort firms up the ladder innovative_sme -> specialized_sme -> little_giant -> "
                "manufacturing_champion: who moved up, from which tier, and when.", runs=[summary, r])
    s.figures.append(Figure("promotions", len(r.rows), basis="rows of certification-ladder"))
    s.tables.append(Table("Steps of the ladder", summary.columns, summary.rows, summary))
    s.tables.append(Table("Promotions", r.columns, r.rows, r))
    return s


def _section_listings(run: _Runner, cohort: dict) -> Section:
    r = run("listing-share", cohort)
    s = Section("listings", "Share of the cohort among new listings",
                "Listings per year on the Shanghai, Shenzhen and Beijing exchanges, and those by cohort firms while a "
                "cohort certification held.", runs=[r])
    recs = r.records()
    s.figures += [Figure("listings by cohort firms", sum(int(x["by_cohort"] or 0) for x in recs), basis="sum of by_cohort"),
                  Figure("listings in all", sum(int(x["listings"] or 0) for x in recs), basis="sum of listings")]
    s.tables.append(Table("Listings by year", r.columns, r.rows, r))
    cats = [str(x["year"]) for x in recs]
    s.charts.append(Chart("listings-year", "Listings by year: cohort firms and others", cats,
                          {"cohort firms": [_n(x["by_cohort"]) for x in recs],
                           "other listings": [_n(x["listings"]) - _n(x["by_cohort"]) for x in recs]}, "listings"))
    return s


def cohort_report(db: Path | str, given: Mapping[str, str], as_of: Any = None, *, db_text: str | None = None,
                  with_sources: bool = True) -> Report:
    """Run every section's queries on the graph in ``db`` (a database folder) at ``as_of`` (a
    date, date text or None for today) with the parameters ``given`` (``-p`` text)."""
    from kg.queries.params import parse_as_of_option
    from kg.queries.run import as_backend

    day = as_of if isinstance(as_of, dt.date) else (parse_as_of_option(as_of) if as_of is not None else dt.date.today())
    cohort, window = cohort_parameters(given)
    backend = as_backend(Path(db))
    run = _Runner(backend, day, db_text)
    sections = [
        _section_cohort(run, cohort),
        _section_subsidiaries(run, cohort),
        _section_rows(run, cohort, "sme", "sme-threshold-breaches", "SME threshold breaches",
                      "Cohort firms over the SME thresholds of their sector in their latest reported year.",
                      "firms over the SME thresholds", derived="size class"),
        _section_rows(run, cohort, "weak", "weak-performers", "Weak performers",
                      "Cohort firms with falling revenue (latest year below three years earlier) or losses in two of "
                      "their last three reported years.", "weak performers"),
        _section_financing(run, cohort, window),
        _section_state_capital(run, cohort),
        _section_ladder(run, cohort),
        _section_listings(run, cohort),
    ]
    report = Report({**cohort, **window}, day, str(db), sections,
                    generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), build=_build_info(Path(db)))
    if with_sources:
        from kg.report.sources import attach_sources

        attach_sources(backend.store, report)
    return report


def _build_info(db: Path) -> dict:
    import json

    try:
        return json.loads((db / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def iri_columns(columns: Sequence[str]) -> list[str]:
    """Columns holding entity IRIs that have a ``<name>_name`` column beside them.

    >>> iri_columns(["firm", "firm_name", "share", "parent", "parent_name"])
    ['firm', 'parent']
    """
    return [c for c in columns if f"{c}_name" in columns]
