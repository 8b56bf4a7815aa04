"""Connecting to Neo4j: settings from options or the environment, errors as one line.

The password comes from ``NEO4J_PASSWORD`` (or a hidden prompt on a terminal); it is never
printed, and :func:`scrub` removes it from any error text before it is shown.

>>> s = Settings(uri="bolt://localhost:7687", user="neo4j", password="s3cret")
>>> s
Settings(uri='bolt://localhost:7687', user='neo4j', database=None)
>>> scrub("auth failed for s3cret", s.password)
'auth failed for ***'
"""

from __future__ import annotations

import os
import re
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field

from kg.errors import InputError, KgError

DEFAULT_URI = "bolt://localhost:7687"
DEFAULT_USER = "neo4j"


@dataclass(frozen=True)
class Settings:
    """Where and as whom to connect; ``password`` is kept out of ``repr``."""

    uri: str = DEFAULT_URI
    user: str = DEFAULT_USER
    password: str = field(default="", repr=False)
    database: str | None = None

    @property
    def where(self) -> str:
        """The URI without any credentials in it, plus the database, for messages.

        >>> Settings(uri="neo4j://bob:pw@db:7687", database="kg").where
        'neo4j://db:7687 (database kg)'
        """
        u = urllib.parse.urlsplit(self.uri)
        netloc = u.hostname or ""
        if u.port:
            netloc += f":{u.port}"
        text = urllib.parse.urlunsplit((u.scheme, netloc, u.path, "", "")) if u.scheme else self.uri
        return text + (f" (database {self.database})" if self.database else "")


def scrub(text: str, *secrets: str | None) -> str:
    """``text`` with every secret (and its URL-quoted form) replaced by ``***``.

    >>> scrub("bolt://u:p%40ss@h failed; p@ss", "p@ss")
    'bolt://u:***@h failed; ***'
    """
    for s in secrets:
        if s:
            for form in {s, urllib.parse.quote(s, safe=""), urllib.parse.quote(s)}:
                text = text.replace(form, "***")
    return text


def password_from_env(environ=None, prompt=None, isatty=None) -> str:
    """NEO4J_PASSWORD, else a hidden prompt when stdin is a terminal, else InputError (exit 2).

    >>> password_from_env({"NEO4J_PASSWORD": "x"})
    'x'
    >>> password_from_env({}, isatty=lambda: False)
    Traceback (most recent call last):
    ...
    kg.errors.InputError: no Neo4j password: set NEO4J_PASSWORD (it is never read from the command line)
    """
    import sys

    pw = (os.environ if environ is None else environ).get("NEO4J_PASSWORD")
    if pw:
        return pw
    tty = isatty() if isatty is not None else sys.stdin.isatty()
    if not tty:
        raise InputError("no Neo4j password: set NEO4J_PASSWORD (it is never read from the command line)")
    if prompt is None:
        import click

        return click.prompt("Neo4j password", hide_input=True, err=True)
    return prompt()


def _first_line(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    line = str(msg).strip().splitlines()[0] if str(msg).strip() else type(e).__name__
    return re.sub(r"\s+", " ", line)


def describe(e: BaseException, settings: Settings) -> str:
    """One line for a driver error, with the password scrubbed.

    >>> import neo4j.exceptions as x
    >>> describe(x.ServiceUnavailable("Couldn't connect to localhost:1"), Settings(password="pw"))
    "cannot reach Neo4j at bolt://localhost:7687: Couldn't connect to localhost:1"
    """
    import neo4j.exceptions as nx

    if isinstance(e, nx.AuthError):
        text = f"Neo4j at {settings.where} refused user {settings.user!r}: wrong user name or password"
    elif isinstance(e, (nx.ServiceUnavailable, nx.SessionExpired, OSError)):
        text = f"cannot reach Neo4j at {settings.where}: {_first_line(e)}"
    elif isinstance(e, nx.Neo4jError):
        code = getattr(e, "code", None) or ""
        text = f"Neo4j error{' ' + code if code else ''}: {_first_line(e)}"
    else:
        text = f"{type(e).__name__}: {_first_line(e)}"
    return scrub(text, settings.password)


@contextmanager
def open_driver(settings: Settings):
    """A driver that has proven it can log in; errors become a one-line KgError (exit 1).

    >>> with open_driver(Settings(uri="bolt://127.0.0.1:1", password="pw")) as d:  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    kg.errors.KgError: cannot reach Neo4j at bolt://127.0.0.1:1: ...
    """
    import neo4j
    import neo4j.exceptions as nx

    try:
        driver = neo4j.GraphDatabase.driver(
            settings.uri, auth=(settings.user, settings.password),
            connection_timeout=15, max_transaction_retry_time=5, user_agent="accelerator-kg",
            notifications_min_severity="OFF",
        )
    except (ValueError, nx.ConfigurationError) as e:
        raise InputError(scrub(f"bad Neo4j URI {settings.where}: {_first_line(e)}", settings.password)) from None
    try:
        try:
            driver.verify_connectivity()
        except (nx.DriverError, nx.Neo4jError, OSError) as e:
            raise KgError(describe(e, settings)) from None
        yield driver
    finally:
        driver.close()
