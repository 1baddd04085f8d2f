"""The JSON report: the versioned contract, byte-for-byte deterministic."""

from __future__ import annotations

import json

from auditor.report import Report


def render_json(report: Report) -> str:
    data = report.model_dump(mode="json")
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
