"""The one error the command line turns into a one-line message."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class InputError(Exception):
    """Bad input from the user: printed as one line on stderr, exit status 2."""


def one_line(text: object, limit: int = 400) -> str:
    """A message on one line, at most ``limit`` characters."""
    joined = " ".join(str(text).split()) or type(text).__name__
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


@contextlib.contextmanager
def estimator_errors(what: str) -> Iterator[None]:
    """The estimators' ``ValueError`` / ``TypeError`` (their checks on data
    and parameters) as an :class:`InputError` that says ``what`` failed."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        raise InputError(f"{what}: {one_line(exc)}") from exc
