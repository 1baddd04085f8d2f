"""One line per finding that needs attention, as linters print them: ``path:line: rule message``.

For a pre-commit hook or a terminal: the findings at ``warning`` or ``error`` that are not waived,
in the report's order, each ``{path}:{line}: {rule} [{severity}] {dataset}: {message}`` (the line
left out when unknown). Info findings and the reports' details are in the other formats.
"""

from __future__ import annotations

from auditor.policy import Severity
from auditor.render import safe_text
from auditor.render.sarif import dataset_entries, locate
from auditor.report import Report


def render_concise(report: Report) -> str:
    lines = []
    entries = dataset_entries(report)
    for finding in report.findings:
        if finding.waived or finding.severity is Severity.INFO:
            continue
        where = locate(report, finding, entries)
        place = ""
        if where is not None:
            place = safe_text(where.path) + (f":{where.line}" if where.line else "") + ": "
        lines.append(
            f"{place}{finding.rule.value} [{finding.severity.value}] "
            f"{safe_text(finding.dataset)}: {safe_text(finding.message)}"
        )
    return "".join(f"{line}\n" for line in lines)
