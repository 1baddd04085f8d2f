"""attribution-missing: a license that requires credit, and nobody recorded to credit."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import auditor
from auditor.policy import Severity
from auditor.report import Report
from auditor.rulebook import Rule
from tests.conftest import TODAY


def audit_yaml(tmp_path: Path, body: str, policy: str = "commercial") -> Report:
    path = tmp_path / "mix.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return auditor.audit(path, policy=policy, offline=True, today=TODAY)


MIX = """
    version: 1
    name: credit
    datasets:
      - id: by
        license: CC-BY-4.0
      - id: derived
        license: CC0-1.0
        derived_from: [by]
      - id: mit-or-apache
        license: MIT OR Apache-2.0
        creator: Example Lab
    """


@pytest.mark.parametrize("policy", ["commercial", "research"])
def test_a_warning_in_both_policies_at_the_license_line(tmp_path: Path, policy: str) -> None:
    report = audit_yaml(tmp_path, MIX, policy)
    (found,) = [f for f in report.findings if f.rule is Rule.ATTRIBUTION_MISSING]
    assert (found.dataset, found.severity) == ("by", Severity.WARNING)
    assert found.location is not None and found.location.line == 6
    assert found.message == (
        "CC-BY-4.0 requires crediting the source, but no creator or attribution text is "
        "recorded: the credit cannot be given (record 'creator' or 'attribution')"
    )
    assert found.evidence is not None
    assert found.evidence.trigger == "license: CC-BY-4.0"
    assert found.evidence.source_url == "https://creativecommons.org/licenses/by/4.0/legalcode"


def test_not_inherited_the_fix_is_on_the_upstream(tmp_path: Path) -> None:
    report = audit_yaml(tmp_path, MIX)
    # derived inherits license-attribution from "by" (it must credit it too), not the warning.
    derived = {f.rule for f in report.findings_for("derived")}
    assert Rule.LICENSE_ATTRIBUTION in derived
    assert Rule.ATTRIBUTION_MISSING not in derived


def test_every_crediting_license_is_named_once(tmp_path: Path) -> None:
    report = audit_yaml(
        tmp_path,
        """
        version: 1
        name: credit
        datasets:
          - id: both
            license: MIT AND CC-BY-4.0 AND Apache-2.0 AND CC-BY-SA-4.0 AND MIT
        """,
    )
    (found,) = [f for f in report.findings if f.rule is Rule.ATTRIBUTION_MISSING]
    assert found.message.startswith(
        "MIT, CC-BY-4.0, Apache-2.0 and 1 more require crediting the source,"
    )
