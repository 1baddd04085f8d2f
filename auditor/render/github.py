"""GitHub Actions workflow commands: an ``::error`` or ``::warning`` annotation per finding.

``auditor check --format github`` in a workflow step annotates the manifest lines, as the Action
does (the same lines: paths relative to the repository root, properties and message escaped as
the runner expects, at most ten of each kind since GitHub shows no more per step).
"""

from __future__ import annotations

from pathlib import Path

from auditor.action import finding_annotations
from auditor.report import Report


def render_github(report: Report, *, root: Path) -> str:
    return "".join(f"{line}\n" for line in finding_annotations(report, root))
