"""``kg report cohort``: the brief's audit of one cohort as one offline HTML page (or Markdown).

Registers on the shared ``cli`` group when imported (``import kg.cli.report``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli import cli
from kg.cli.commands import db_option, parse_params, resolve_db
from kg.errors import InputError


def report_format(fmt: str | None, output: str) -> str:
    """The report's format: --format if given, else from the -o suffix (.html, .htm, .md,
    .markdown); another suffix without --format is refused rather than filled with HTML.

    >>> report_format(None, "audit.MD"), report_format("md", "audit.txt"), report_format(None, "-")
    ('md', 'md', 'html')
    >>> report_format(None, "audit.pdf")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: -o audit.pdf: kg report writes .html or .md, not .pdf; name the file with one of those, or say --format
    """
    from kg.cli.output import format_for_output
    from kg.report.render import SUFFIXES

    return format_for_output(fmt, output, SUFFIXES, "kg report", ".html or .md")


@cli.group()
def report() -> None:
    """Reports: several canned queries run with one set of parameters, written as one document.

    \b
    kg report cohort -p programme=little_giant -p batches=1,2 -p sector=robotics -o audit.html
    """


@report.command("cohort")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A cohort parameter: programme (default little_giant), batches, sector, province, certified "
                   "(valid | ever; default ever with batches, else valid); or the financing window from_year / "
                   "to_year (default 2016 / 2021). The same cohort parameters go to every section.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Evaluate at this date (default today); YYYY-MM-DD, or YYYY / YYYY-MM for the period's last day.")
@click.option("-o", "--output", "output", metavar="FILE", required=True,
              help="Output file ('-' for stdout), e.g. audit.html or audit.md.")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default=None,
              help="html (one self-contained page, charts as inline SVG, no network) or md (Markdown tables, "
                   "no charts); default from the -o suffix (.html, .md; another suffix needs --format), html for -.")
@db_option
def cohort_cmd(params, as_of, output, fmt, db):
    """The brief's audit of a cohort of certified firms, in one document.

    Sections: the cohort's firms; fully owned and majority-owned subsidiaries of large firms
    (with the parent); SME threshold breaches; weak performers; financing intensity over the
    window, split by instrument and by year (charts); state capital by source fund with
    look-through amounts; the certification ladder; the share of the cohort among new
    listings. Each section shows the canned queries and parameters behind it, the 'kg query
    run' line that gives the same rows, and the source datasets, files and rows of its facts.

    \b
    kg report cohort -p programme=little_giant -p batches=1,2 --as-of 2023-12-31 -o audit.html
    kg report cohort -p batches=1-2 -p sector=robotics -o audit.md
    """
    from kg.queries.params import parse_as_of_option
    from kg.report.cohort import cohort_report
    from kg.report.render import render_html, render_markdown

    kind = report_format(fmt, output)
    given = parse_params(params, example="-p batches=1,2")
    day = parse_as_of_option(as_of)
    path = resolve_db(db)
    rep = cohort_report(path, given, day, db_text=str(db) if db is not None else None)
    text = render_html(rep) if kind == "html" else render_markdown(rep)
    if output == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise InputError(f"-o {output}: cannot write ({e.strerror})") from None
    notes = sum(1 for s in rep.sections for r in s.runs if r.note)
    where = "stdout" if output == "-" else output
    click.echo(f"wrote {where}: {rep.cohort_size} cohort firms, {len(rep.sections)} sections "
               f"({kind}{', ' + str(notes) + ' with notes' if notes else ''})", err=True)
