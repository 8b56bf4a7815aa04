"""`kg query run --as-of` reads the derived facts of its date (they are stored with the period
each holds for), so it prints no note that they are of another date; `kg build --as-of` is
deprecated and ignored."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the core commands)
import kg.cli.query  # noqa: F401  (registers query)
from kg.cli import cli


@pytest.fixture(scope="module")
def db_2021(tmp_path_factory, sample_dir):
    db = tmp_path_factory.mktemp("asof") / "db"
    r = CliRunner().invoke(cli, ["build", str(sample_dir), "--db", str(db), "--as-of", "2021-12-31", "-q"])
    assert r.exit_code == 0, r.output
    assert "--as-of 2021-12-31 is deprecated and ignored" in r.stderr
    return db


def _run(db, *args):
    return CliRunner().invoke(cli, ["query", "run", *args, "--db", str(db), "--format", "csv"], catch_exceptions=False)


@pytest.mark.parametrize("day", ["2021-12-31", "2023-12-31"])
def test_no_note_at_any_date(db_2021, day):
    r = _run(db_2021, "state-influence", "--as-of", day)
    assert r.exit_code == 0, r.output
    assert "note: " not in r.stderr


def test_the_build_records_periods_not_a_date(db_2021):
    info = json.loads((db_2021 / "build.json").read_text(encoding="utf-8"))
    assert "derived_as_of" not in info and info["derived"]["periods"] is True


def test_no_note_for_facts_exact_at_every_date(db_2021):
    r = _run(db_2021, "weak-performers", "--as-of", "2023-12-31")
    assert r.exit_code == 0, r.output
    assert "note: " not in r.stderr
    assert r.stdout.startswith("firm,firm_name,reason")


@pytest.fixture(scope="module")
def db_plain(tmp_path_factory, sample_dir):
    db = tmp_path_factory.mktemp("plain") / "db"
    r = CliRunner().invoke(cli, ["build", str(sample_dir), "--db", str(db), "--no-derive", "-q"])
    assert r.exit_code == 0, r.output
    return db


@pytest.mark.parametrize("name", ["expiring-certifications", "certification-ladder", "state-influence"])
def test_a_graph_built_without_derived_facts_is_refused_by_queries_that_read_them(db_plain, name):
    """Names, certification years and state facts come from the build's derived facts: on a
    --no-derive graph the rows would silently lack them, so the query says so instead."""
    r = CliRunner().invoke(cli, ["query", "run", name, "--db", str(db_plain), "--backend", "sparql"])
    assert r.exit_code != 0
    assert "reads facts derived at build" in r.stderr and "without --no-derive" in r.stderr
    assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1
    # the Cypher versions read display names and certification years from the nodes and links
    # themselves; only state-influence reads facts derived at build there
    r = CliRunner().invoke(cli, ["query", "run", name, "--db", str(db_plain), "--as-of", "2023-12-31"])
    if name == "state-influence":
        assert r.exit_code != 0 and "reads facts derived at build" in r.stderr
    else:
        assert r.exit_code == 0 and r.stdout.strip(), r.output


def test_a_query_without_derived_facts_runs_on_such_a_graph(db_plain):
    r = _run(db_plain, "certified-listings-share", "--as-of", "2023-12-31")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("year,")
