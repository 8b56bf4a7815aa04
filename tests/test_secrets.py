"""The Neo4j password is masked where it is used, never by searching messages (issue 10, item 7).

No server is needed: a closed local port gives the "cannot reach" message, and a URI that
carries credentials is refused before anything connects.
"""

from __future__ import annotations

import socket

import neo4j.exceptions as nx
import pytest

from kg.neo4j.connect import Settings, describe, redact_uri


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


COMMANDS = {
    "push": ("push", "neo4j", "-q"),
    "cypher": ("cypher", "RETURN 1", "--backend", "neo4j"),
    "query": ("query", "run", "state-influence", "--backend", "neo4j"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("password", ["e", "1", "127.0.0.1", "Neo4j"])
def test_a_password_that_occurs_in_the_message_leaves_the_message_whole(run, mini_db, monkeypatch, closed_port,
                                                                         command, password):
    # "e" is in "Neo4j", "reach" and "refused"; "1" and "127.0.0.1" in the host; "Neo4j" in the text
    monkeypatch.setenv("NEO4J_PASSWORD", password)
    uri = f"bolt://127.0.0.1:{closed_port}"
    args = COMMANDS[command] + (("--db", mini_db) if command == "push" else ())
    r = run(*args, "--uri", uri)
    assert r.exit_code == 1, r.output
    assert r.output.startswith(f"Error: cannot reach Neo4j at {uri}: Couldn't connect to 127.0.0.1:{closed_port} ")
    assert r.output.rstrip().endswith("Connection refused)")
    assert len(r.output.splitlines()) == 1 and "***" not in r.output


@pytest.mark.parametrize("command", COMMANDS)
def test_a_uri_with_credentials_is_refused_without_showing_the_password(run, mini_db, monkeypatch, command):
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    args = COMMANDS[command] + (("--db", mini_db) if command == "push" else ())
    for uri in ("bolt://neo4j:Sup3r-secret@127.0.0.1:7687", "neo4j+s://neo4j:e@db.example"):
        r = run(*args, "--uri", uri)
        assert r.exit_code == 2, r.output
        shown = redact_uri(uri)
        assert r.output == (f"Error: Neo4j URI {shown!r} carries a user name and password; give the user with "
                            "--user (NEO4J_USER) and the password in NEO4J_PASSWORD\n")
        assert "Sup3r" not in r.output and ":e@" not in r.output


def test_a_password_only_uri_and_a_user_only_uri_are_refused_too(run, monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "pw")
    r = run("cypher", "RETURN 1", "--backend", "neo4j", "--uri", "bolt://:hidden@h:7687")
    assert r.exit_code == 2 and "hidden" not in r.output and "'bolt://:***@h:7687'" in r.output
    r = run("cypher", "RETURN 1", "--backend", "neo4j", "--uri", "bolt://bob@h:7687")
    assert r.exit_code == 2 and "'bolt://bob@h:7687' carries a user name and password" in r.output


def test_redact_uri_shows_no_part_of_the_password():
    assert redact_uri("bolt://u:p@ss@w0rd@h:1/db") == "bolt://u:***@h:1/db"
    assert redact_uri("bolt://u:pass%40word@h") == "bolt://u:***@h"
    assert redact_uri("not a uri u:pw@h") == "not a uri u:***@h"
    assert redact_uri("bolt://h:7687/a@b") == "bolt://h:7687/a@b"  # an @ after the host is no userinfo


def test_settings_never_show_the_password():
    s = Settings(uri="bolt://db:7687", user="neo4j", password="e")
    assert repr(s) == "Settings(uri='bolt://db:7687', user='neo4j', database=None)"
    assert s.where == "bolt://db:7687"
    assert Settings(uri="bolt://u:secret@db:7687").where == "bolt://db:7687"
    assert Settings(uri="bolt://u:secret@[::1").where == "bolt://u:***@[::1"


def test_describe_uses_no_text_search():
    s = Settings(uri="bolt://e.example:7687", user="e", password="e")
    auth = nx.AuthError("The client is unauthorized due to authentication failure.")
    assert describe(auth, s) == "Neo4j at bolt://e.example:7687 refused user 'e': wrong user name or password"
    down = nx.ServiceUnavailable("Couldn't connect to e.example:7687:\nFailed (reason refused)")
    assert describe(down, s) == ("cannot reach Neo4j at bolt://e.example:7687: Couldn't connect to e.example:7687: "
                                 "Failed (reason refused)")
