"""A Neo4j server for the tests: the one named by the environment, else one started here.

``neo4j_connection()`` returns ``(uri, user, password)``:

* from ``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD`` when ``NEO4J_URI`` is set
  (``.ci/run`` does ``eval "$(scripts/neo4j start)"`` and exports them);
* otherwise from ``scripts/neo4j start`` (a local Neo4j Community 5.26 from Maven Central;
  the first start on a machine fetches and builds it, a minute or so), stopped again at
  interpreter exit -- unless it was already running before, in which case it is left alone.

``tight_neo4j_connection()`` is a second server whose transactions may hold only
:data:`TIGHT_TRANSACTION_MEMORY` (from ``NEO4J_TIGHT_URI`` / ``NEO4J_TIGHT_PASSWORD`` when
set, as ``scripts/test`` does, else started here): what a big graph's wipe meets on a server
with less memory than it needs, on a small graph.

It never skips: when no server can be had it raises, so the tests that need one fail.
The result is cached, so a session-scoped pytest fixture can simply call it.
"""

from __future__ import annotations

import atexit
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "neo4j"

_connection: tuple[str, str, str] | None = None
_tight: tuple[str, str, str] | None = None

TIGHT = "tight"
TIGHT_ENV = dict(line.split("=", 1) for line in (REPO / "tests" / "neo4j-tight.env").read_text().split())
"""How the tight server is started (tests/neo4j-tight.env, which scripts/test reads too)."""
TIGHT_TRANSACTION_MEMORY = TIGHT_ENV["KG_NEO4J_SETTINGS"].split("=", 1)[1]
"""``db.memory.transaction.max`` of the tight server: deleting 10,000 links in one transaction
is refused there, 2,500 are not (measured on Neo4j 5.26 at 16m)."""


def _run(*args: str, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )


def parse_env_lines(text: str) -> dict[str, str]:
    """The ``NAME=value`` lines that ``scripts/neo4j start`` / ``env`` print."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.startswith("NEO4J_"):
            out[name] = value
    return out


def _stop(*name: str) -> None:
    try:
        _run("stop", *name, timeout=120)
    except Exception:  # at exit: nothing left to report to
        pass


def neo4j_connection() -> tuple[str, str, str]:
    """(uri, user, password) of a running Neo4j server; raises RuntimeError if none."""
    global _connection
    if _connection is not None:
        return _connection
    uri = os.environ.get("NEO4J_URI")
    if uri:
        _connection = (
            uri,
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
        )
        return _connection
    was_running = _run("status", timeout=60).returncode == 0
    result = _run("start", timeout=1800)
    env = parse_env_lines(result.stdout)
    if result.returncode != 0 or "NEO4J_URI" not in env:
        raise RuntimeError(
            f"NEO4J_URI is not set and `scripts/neo4j start` failed (exit {result.returncode}):\n"
            + result.stderr[-4000:]
        )
    if not was_running:
        atexit.register(_stop)
    _connection = (env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    return _connection


def tight_neo4j_connection() -> tuple[str, str, str]:
    """(uri, user, password) of the server whose transactions may hold only
    :data:`TIGHT_TRANSACTION_MEMORY`; raises RuntimeError if none can be had."""
    global _tight
    if _tight is not None:
        return _tight
    uri = os.environ.get("NEO4J_TIGHT_URI")
    if uri:
        _tight = (uri, os.environ.get("NEO4J_TIGHT_USER", "neo4j"), os.environ.get("NEO4J_TIGHT_PASSWORD", ""))
        return _tight
    if _run("status", "--name", TIGHT, timeout=60).returncode == 0:
        _run("stop", "--name", TIGHT, timeout=120)  # started with other settings, perhaps
    result = _run("start", "--name", TIGHT, timeout=1800, env=TIGHT_ENV)
    env = parse_env_lines(result.stdout)
    if result.returncode != 0 or "NEO4J_URI" not in env:
        raise RuntimeError(f"`scripts/neo4j start --name {TIGHT}` failed (exit {result.returncode}):\n"
                           + result.stderr[-4000:])
    atexit.register(_stop, "--name", TIGHT)
    _tight = (env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    return _tight
