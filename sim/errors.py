"""Errors that reach the user as one clear line and exit code 2; warnings said once."""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


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


def renamed(error: UserError, names: dict[str, str]) -> UserError:
    """The same error naming Python arguments where the loaders named command-line options
    (``--set`` becomes the function whose overrides were bad, ``--out`` its ``out`` argument)."""
    def swap(text: str | None) -> str | None:
        if text is None:
            return None
        for option in sorted(names, key=len, reverse=True):
            text = re.sub(rf"(?<![\w-]){re.escape(option)}(?![\w-])", names[option], text)
        return text

    return UserError(swap(error.message), source=swap(error.source), field=swap(error.field))


class MeasurementWarning(UserWarning):
    """A run measured too little for its KPIs to mean much (no workers, a few weeks, a few runs).

    ``kind`` names the problem, so a tool that says each warning once can tell the kinds apart.
    """

    def __init__(self, message: str, kind: str = ""):
        super().__init__(message)
        self.kind = kind


class InvariantError(AssertionError):
    """A model invariant (conservation of money, people or needs) was broken."""


_WARNED: set = set()
"""Keys of the warnings :func:`warn_once` has given in this process."""


def warn_once(message: str, category: type[Warning] = UserWarning, *, key: object = None,
              stacklevel: int = 2) -> None:
    """Warn the first time ``key`` comes up in this process, and never again.

    A setting that is questionable in every run of a sweep (with numbers that
    differ from run to run, so Python's own once-per-text filter repeats it) is
    then said once, not once per parameter set. ``key`` defaults to the
    caller's file and line: one warning per place that warns.
    """
    if key is None:
        caller = sys._getframe(1)
        key = (category, caller.f_code.co_filename, caller.f_lineno)
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(message, category, stacklevel=stacklevel + 1)


@contextmanager
def each_run_warns() -> Iterator[None]:
    """Inside this block :func:`warn_once` warns again, so a sweep records every run's own warnings
    (and counts them in its report); afterwards the process knows only what it said before."""
    saved = set(_WARNED)
    _WARNED.clear()
    try:
        yield
    finally:
        _WARNED.clear()
        _WARNED.update(saved)
