"""Findings at the severity the policy gives their rule: the one place the checks of every layer
(:mod:`auditor.checks`, :mod:`auditor.platforms`) turn a rule that fired into a finding."""

from __future__ import annotations

from auditor.model import Location, shared_fields_set
from auditor.policy import Policy
from auditor.report import Evidence, Finding
from auditor.rulebook import Rule


def finding(
    policy: Policy,
    rule: Rule,
    dataset: str,
    message: str,
    location: Location | None,
    evidence: Evidence | None = None,
) -> list[Finding]:
    """One finding at the severity the policy gives ``rule``; none when the policy turns it off."""
    severity = policy.severity(rule)
    if severity is None:
        return []
    return [
        shared_fields_set(
            Finding(
                rule=rule,
                severity=severity,
                dataset=dataset,
                message=message,
                location=location,
                evidence=evidence,
            )
        )
    ]
