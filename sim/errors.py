"""Errors that reach the user as one clear line and exit code 2."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from the user: a file, a field or a command-line argument.

    The command line prints ``str(error)`` on one line and exits with code 2.
    """

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        parts = []
        if source:
            parts.append(str(source))
        if field:
            parts.append(field)
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.message = message


class InvariantError(AssertionError):
    """A model invariant (conservation of money, people or needs) was broken."""
