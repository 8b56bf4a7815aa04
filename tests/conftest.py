"""Shared fixtures: the mini fixture folder, built graphs, the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import kg.cli.commands  # noqa: F401  (registers the commands)
from kg.build import build
from kg.cli import cli

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
