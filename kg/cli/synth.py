"""``kg synth``: write a synthetic canonical CSV folder (see :mod:`kg.synth`).

Registered on the ``cli`` group when imported (``kg.cli.commands`` imports it).

>>> from click.testing import CliRunner
>>> import tempfile
>>> result = CliRunner().invoke(synth, ["--firms", "50", "--out", tempfile.mkdtemp(), "--format", "csv"])
>>> result.exit_code, result.output.splitlines()[0]
(0, 'file,rows,bad_rows')
"""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli import cli
from kg.cli.output import output_options, write_rows


@cli.command()
@click.option(
    "--firms",
    type=click.IntRange(min=1),
    required=True,
    help="How many firms (group companies included); other entities scale with it.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same firms and seed give byte-identical files.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write entities.csv, ownership.csv, ... to (created if missing).",
)
@click.option(
    "--bad-rows",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Fraction of the rows of each file to spoil with bad values; they are listed in "
    "OUT/planted-bad-rows.json (file, row, column, value).",
)
@output_options
def synth(firms: int, seed: int, out: Path, bad_rows: float, fmt: str) -> None:
    """Write a synthetic canonical CSV folder with FIRMS firms to OUT.

    Realistic structure for tests and benchmarks: business groups and cross-holdings, guidance
    funds and banks, certifications by batch, listings and financial years. Prints the rows
    written per file (and the bad rows planted in it).

    Example:

    \b
        kg synth --firms 100000 --seed 1 --out /tmp/synth
        kg build /tmp/synth
    """
    from kg.synth import FILES, generate, planted_rows

    counts = generate(out, firms, seed, bad_rows)
    bad: dict[str, int] = {}
    for p in planted_rows(out):
        bad[p["file"]] = bad.get(p["file"], 0) + 1
    rows = [[f, counts[f], bad.get(f, 0)] for f in FILES]
    write_rows(["file", "rows", "bad_rows"], rows, fmt)
