"""Renderers: pure functions from a report to text. Only this package (and the CLI) imports rich."""

from __future__ import annotations

import io
from collections.abc import Callable
from enum import StrEnum

from rich.console import Console

from auditor.report import Report


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"


def table_text(draw: Callable[[Console], None]) -> str:
    """What ``draw`` prints on a console, as plain text for a file (no colour, 120 columns)."""
    buffer = io.StringIO()
    draw(Console(file=buffer, width=120, no_color=True, markup=False))
    return buffer.getvalue()


def relaxation_note(report: Report) -> str | None:
    """The sentence every format carries when the policy lowers fail-closed rules, else None."""
    if not report.policy_relaxes:
        return None
    rules = ", ".join(rule.value for rule in report.policy_relaxes)
    return f"policy '{report.policy}' relaxes fail-closed rules: {rules}"
