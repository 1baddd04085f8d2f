"""Platform terms: which findings content from each platform gets, by collection method."""

from __future__ import annotations

from pathlib import Path

import auditor
from auditor.report import Finding
from auditor.rulebook import Rule
from tests.conftest import fixture_path


def by_dataset(path: Path) -> dict[str, list[Finding]]:
    report = auditor.audit(path)
    out: dict[str, list[Finding]] = {d.id: [] for d in report.datasets}
    for f in report.findings:
        out[f.dataset].append(f)
    return out


def test_look_alike_hosts_are_judged_under_the_platforms_terms() -> None:
    found = by_dataset(fixture_path("manifest.lookalike-hosts.yaml"))
    assert len(found) == 8
    for dataset, items in found.items():
        assert Rule.TOS_SCRAPING_PROHIBITED in {f.rule for f in items}, dataset
