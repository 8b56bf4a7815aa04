"""Errors that end a command with one line and an exit code (2: bad input or usage, 1: failure)."""

from __future__ import annotations


class KgError(Exception):
    """A failure reported as one line; ``exit_code`` 1."""

    exit_code = 1


class InputError(KgError):
    """Bad input or usage: exit code 2."""

    exit_code = 2
