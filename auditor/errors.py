"""The one root error type for problems with the tool's own inputs.

Problems in the audited data (a missing license, a scraped platform) are findings, not errors.
An unreadable manifest, an unknown key or a broken policy file is an :class:`InputError`: the CLI
prints it as one ``path:line: message`` line and exits 2.
"""

from __future__ import annotations

from pathlib import Path


class AuditorError(Exception):
    """Root of every error the tool raises on purpose."""


class InputError(AuditorError):
    """A user-supplied file (manifest, policy, waivers) cannot be used."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class UnexpectedError(Exception):
    """A bug met while handling a file: an exception the tool did not expect, and the file it
    was handling. The original exception is the ``__cause__``.

    Not an :class:`AuditorError`: the input may be fine. The CLI still reports it as one line
    naming the file and exits 2, never 0: a bug must not pass a gate.
    """

    def __init__(self, path: Path | str, cause: BaseException) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.path}: unexpected error: {_describe(self.cause)}"


def unexpected_message(err: Exception, where: str) -> str:
    """The one line the CLI prints for a bug: the file it met it in (``where`` when the error
    does not say), what it was, and how to see the traceback."""
    if not isinstance(err, UnexpectedError):
        err = UnexpectedError(where, err)
    return f"{err} (run with --debug for the traceback)"


def _describe(exc: BaseException) -> str:
    """An exception as one short line: its type and its message, whitespace collapsed."""
    text = " ".join(str(exc).split())
    if len(text) > 200:
        text = text[:199] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
