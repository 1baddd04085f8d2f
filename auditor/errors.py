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
