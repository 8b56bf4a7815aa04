"""Connecting to Neo4j: settings from options or the environment, errors as one line.

The password comes from ``NEO4J_PASSWORD`` (or a hidden prompt on a terminal) and goes to the
driver only in the auth tuple: a URI that carries credentials (``bolt://user:pw@host``) is
refused before anything connects, so no URI the driver or a message shows can hold it, and
messages are never searched for its text (a one-letter password would mask every "e").

>>> s = Settings(uri="bolt://localhost:7687", user="neo4j", password="s3cret")
>>> s
Settings(uri='bolt://localhost:7687', user='neo4j', database=None)
>>> check_uri("http://localhost:7474")
Traceback (most recent call last):
...
kg.errors.InputError: Neo4j URI 'http://localhost:7474' has scheme 'http'; accepted: bolt, bolt+s, bolt+ssc, neo4j, neo4j+s, neo4j+ssc (e.g. bolt://localhost:7687)
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
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


def redact_uri(uri: str) -> str:
    """``uri`` with any password in it (``user:password@``) shown as ``***``.

    >>> redact_uri("neo4j+s://bob:e@db.example:7687")
    'neo4j+s://bob:***@db.example:7687'
    >>> redact_uri("bolt://localhost:7687")
    'bolt://localhost:7687'
    """
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "", uri
    netloc, slash, path = rest.partition("/")
    userinfo, at, host = netloc.rpartition("@")
    if not at:
        return uri
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}{sep}{user}{':***' if colon else ''}@{host}{slash}{path}"


def check_uri(uri: str) -> None:
    """InputError (exit 2) unless ``uri`` is a Bolt URI the driver takes, with no credentials.

    >>> check_uri("neo4j+s://db.example")
    >>> check_uri("bolt://neo4j:e@localhost:7687")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: Neo4j URI 'bolt://neo4j:***@localhost:7687' carries a user name and password; give the user with --user (NEO4J_USER) and the password in NEO4J_PASSWORD
    """
    shown = redact_uri(uri)
    example = f"accepted: {', '.join(SCHEMES)} (e.g. {DEFAULT_URI})"
    scheme, sep, _ = uri.partition("://")
    if not sep:
        raise InputError(f"Neo4j URI {shown!r} has no scheme; {example}")
    if scheme.lower() not in SCHEMES:
        raise InputError(f"Neo4j URI {shown!r} has scheme {scheme!r}; {example}")
    try:
        u = urllib.parse.urlsplit(uri)
        port = u.port
    except ValueError as e:
        raise InputError(f"Neo4j URI {shown!r} is not a valid URI ({e}); {example}") from None
    if u.username is not None or u.password is not None:
        raise InputError(f"Neo4j URI {shown!r} carries a user name and password; give the user with "
                         "--user (NEO4J_USER) and the password in NEO4J_PASSWORD")
    if not u.hostname:
        raise InputError(f"Neo4j URI {shown!r} names no host; {example}")
    if port == 0:
        raise InputError(f"Neo4j URI {shown!r} has port 0; expected a port from 1 to 65535 (Bolt's is 7687)")


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
        try:
            u = urllib.parse.urlsplit(self.uri)
            netloc = u.hostname or ""
            if ":" in netloc:  # an IPv6 address
                netloc = f"[{netloc}]"
            if u.port:
                netloc += f":{u.port}"
            text = urllib.parse.urlunsplit((u.scheme, netloc, u.path, "", "")) if u.scheme else self.uri
        except ValueError:  # not a URI at all: still never show a password
            text = redact_uri(self.uri)
        return text + (f" (database {self.database})" if self.database else "")


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


def _one_line(e: BaseException) -> str:
    """The driver's own message as one line (a server error's message; else the text, whose
    second line often holds the reason, e.g. 'Connection refused')."""
    import neo4j.exceptions as nx

    msg = e.message if isinstance(e, nx.Neo4jError) and getattr(e, "message", None) else str(e)
    return re.sub(r"\s+", " ", str(msg)).strip() or type(e).__name__


def describe(e: BaseException, settings: Settings) -> str:
    """One line for a driver error (the password is only ever in the auth tuple, never here).

    >>> import neo4j.exceptions as x
    >>> describe(x.ServiceUnavailable("Couldn't connect to localhost:1"), Settings(password="pw"))
    "cannot reach Neo4j at bolt://localhost:7687: Couldn't connect to localhost:1"
    """
    import neo4j.exceptions as nx

    if isinstance(e, nx.AuthError):
        return f"Neo4j at {settings.where} refused user {settings.user!r}: wrong user name or password"
    if isinstance(e, (nx.ServiceUnavailable, nx.SessionExpired, OSError)):
        return f"cannot reach Neo4j at {settings.where}: {_one_line(e)}"
    if isinstance(e, nx.Neo4jError):
        code = getattr(e, "code", None) or ""
        return f"Neo4j error{' ' + code if code else ''}: {_one_line(e)}"
    return f"{type(e).__name__}: {_one_line(e)}"


@contextmanager
def open_driver(settings: Settings):
    """A driver that has proven it can log in; a bad URI is an InputError (exit 2), other
    errors a one-line KgError (exit 1).

    >>> with open_driver(Settings(uri="bolt://127.0.0.1:1", password="pw")) as d:  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    kg.errors.KgError: cannot reach Neo4j at bolt://127.0.0.1:1: ...Connection refused...
    """
    import neo4j
    import neo4j.exceptions as nx

    check_uri(settings.uri)
    try:
        driver = neo4j.GraphDatabase.driver(
            settings.uri, auth=(settings.user, settings.password),
            connection_timeout=15, max_transaction_retry_time=5, user_agent="accelerator-kg",
            notifications_min_severity="OFF",
        )
    except (ValueError, nx.ConfigurationError) as e:  # e.g. query parameters on a bolt:// URI
        raise InputError(f"bad Neo4j URI {settings.where}: {_one_line(e)}") from None
    try:
        try:
            driver.verify_connectivity()
        except (nx.DriverError, nx.Neo4jError, OSError) as e:
            raise KgError(describe(e, settings)) from None
        yield driver
    finally:
        driver.close()
