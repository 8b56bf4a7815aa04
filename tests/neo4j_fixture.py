"""A Neo4j server for the tests: the one named by the environment, else one started here.

``neo4j_connection()`` returns ``(uri, user, password)``:

* from ``NEO4J_URI`` / ``NEO4J_USER`` / ``NEO4J_PASSWORD`` when ``NEO4J_URI`` is set
  (``.ci/run`` does ``eval "$(scripts/neo4j start)"`` and exports them);
* otherwise from ``scripts/neo4j start`` (a local Neo4j Community 5.26 from Maven Central;
  the first start on a machine fetches and builds it, a minute or so), stopped again at
  interpreter exit -- unless it was already running before, in which case it is left alone.

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


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def parse_env_lines(text: str) -> dict[str, str]:
    """The ``NAME=value`` lines that ``scripts/neo4j start`` / ``env`` print."""
    out = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.startswith("NEO4J_"):
            out[name] = value
    return out


def _stop() -> None:
    try:
        _run("stop", timeout=120)
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
