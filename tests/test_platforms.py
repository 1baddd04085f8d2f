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


def test_unreadable_hosts_and_unknown_pointer_hosts_are_findings() -> None:
    found = by_dataset(fixture_path("manifest.unreadable-hosts.yaml"))
    for dataset in ("empty", "garbage", "invalid-idna", "no-authority"):
        (review,) = [f for f in found[dataset] if f.rule.value.startswith("tos-")]
        assert review.rule is Rule.TOS_REVIEW
        assert review.message.startswith("could not read a host from collected_from value ")
        assert review.message.endswith(": its platform terms cannot be checked")
        assert review.location is not None and review.location.line
    (pointer,) = [f for f in found["pointers-elsewhere"] if f.rule is Rule.TOS_REVIEW]
    assert pointer.message == (
        "pointer dataset: its license covers the references, not the content at "
        "videos.example.org; the rights to that content are unknown"
    )
    assert not [f for f in found["plain-elsewhere"] if f.rule.value.startswith("tos-")]
