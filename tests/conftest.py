"""Shared fixtures: the mini fixture folder, built graphs, the CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the commands)
from kg.build import build
from kg.cli import cli

# the tests' builds load the RDF store in the build (kg build's default is a background loader,
# which tests/test_store_sink.py covers), so no loader outlives the test that started it
os.environ.setdefault("KG_STORE", "now")

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def mini_dir() -> Path:
    return MINI


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def mini_db(tmp_path_factory) -> Path:
    """A graph built from tests/fixtures/mini (read-only for tests)."""
    db = tmp_path_factory.mktemp("mini") / "db"
    build([MINI], db)
    return db


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """A graph built from the bundled sample (read-only for tests)."""
    db = tmp_path_factory.mktemp("sample") / "db"
    build([SAMPLE], db)
    return db


@pytest.fixture
def run():
    """Invoke the kg CLI in-process: run("stats", "--db", str(db)) -> click Result."""
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


# --------------------------------------------------------------------------- Neo4j summary
# CI's log says how many tests ran against the real Neo4j server (tests marked ``neo4j``).

_neo4j_outcomes: dict[str, int] = {}


def pytest_runtest_logreport(report):
    # one count per test: its call, or the setup/teardown that failed or skipped it
    if "neo4j" in report.keywords and (report.when == "call" or report.outcome != "passed"):
        _neo4j_outcomes[report.outcome] = _neo4j_outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter):
    import os

    if _neo4j_outcomes:
        where = os.environ.get("NEO4J_URI", "a server started by tests/neo4j_fixture.py")
        counts = ", ".join(f"{n} {k}" for k, n in sorted(_neo4j_outcomes.items()))
        terminalreporter.write_line(f"neo4j: {sum(_neo4j_outcomes.values())} tests ran against {where} ({counts})")
