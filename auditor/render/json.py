"""The JSON report: the versioned contract, byte-for-byte deterministic (and a diff of two)."""

from __future__ import annotations

from auditor.diff import Diff
from auditor.report import Report


def render_json(report: Report) -> str:
    # pydantic's serializer keeps field order and is much faster than json.dumps with indent.
    return report.model_dump_json(indent=2) + "\n"


def render_diff_json(changes: Diff) -> str:
    return changes.model_dump_json(indent=2) + "\n"
