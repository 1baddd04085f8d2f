"""Every rule is documented, and every documented example behaves as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import auditor
from auditor.rulebook import SCAN_ONLY, Example, Rule, load_rulebook

BOOK = load_rulebook()
CASES = [
    pytest.param(doc.id, example, expected, id=f"{doc.id}-{kind}-{i}")
    for doc in BOOK.rules
    for kind, expected, examples in (
        ("triggers", True, doc.triggers),
        ("passes", False, doc.passes),
    )
    for i, example in enumerate(examples)
]


def test_every_rule_is_documented() -> None:
    assert {doc.id for doc in BOOK.rules} == set(Rule)


def test_rules_that_can_trigger_have_a_triggering_example() -> None:
    # Rules without examples yet wait for knowledge the gate issue does not ship; list them here
    # so adding an example is noticed.
    without = {doc.id for doc in BOOK.rules if not doc.triggers and not doc.scan_only}
    assert without <= {
        Rule.LICENSE_RESEARCH_ONLY,
        Rule.LICENSE_USE_RESTRICTED,
        Rule.MODEL_GENERATOR_UNNAMED,  # set by readers (HF machine-generated hints)
        Rule.REFERENCE_FROM_REGISTRY,  # needs a registry entry; tested in tests/test_lookup.py
        Rule.WAIVER_EXPIRED,
    }


def test_scan_only_rules_are_the_optouts() -> None:
    # `check` never raises them; tests/test_scan.py runs them on rows.
    assert (
        {doc.id for doc in BOOK.rules if doc.scan_only}
        == SCAN_ONLY
        == {
            Rule.OPTOUT_ROBOTS_TXT,
            Rule.OPTOUT_AI_TXT,
            Rule.OPTOUT_TDMREP,
        }
    )


@pytest.mark.parametrize(("rule", "example", "expected"), CASES)
def test_rule_example(tmp_path: Path, rule: Rule, example: Example, expected: bool) -> None:
    manifest = tmp_path / "example.yaml"
    manifest.write_text(
        yaml.safe_dump({"version": 1, "name": "example", "datasets": list(example.datasets)})
    )
    report = auditor.audit(manifest, policy=example.policy, offline=BOOK.doc(rule).offline)
    hits = [f for f in report.findings if f.dataset == example.dataset and f.rule is rule]
    assert bool(hits) is expected, [f.message for f in report.findings]


def test_every_invalid_reason_of_the_scan_is_documented() -> None:
    """Each ``invalid-*`` id a scan report uses has its entry in rules/checks.yaml, and so in
    ``auditor rules`` and docs/rules.md."""
    from auditor.scan.classify import Invalid

    documented = [doc.id for doc in load_rulebook().invalid]
    assert documented == [f"invalid-{reason.value}" for reason in Invalid]
