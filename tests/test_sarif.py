"""SARIF output: valid against the official 2.1.0 schema, on the right lines, stable across runs."""

from __future__ import annotations

import hashlib
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator
from typer.testing import CliRunner

from auditor.api import audit
from auditor.cli import app
from auditor.render.sarif import FINGERPRINT_KEY, render_sarif
from auditor.report import Report
from auditor.rulebook import Rule, load_rulebook
from tests.conftest import EXAMPLES, TODAY, fixture_path

REPO = EXAMPLES.parent
SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

Sarif = dict[str, Any]


@cache
def _validator() -> Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


def assert_valid_sarif(text: str) -> Sarif:
    """Parse ``text`` and fail with every schema violation if it is not SARIF 2.1.0."""
    log: Sarif = json.loads(text)
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return log


def report_for(*paths: Path, waivers: Path | None = None, policy: str = "commercial") -> Report:
    return audit(list(paths), policy=policy, waivers=waivers, today=TODAY)


def results(log: Sarif) -> list[Sarif]:
    run: Sarif = log["runs"][0]
    return list(run["results"])


def region_line(result: Sarif) -> int:
    line: int = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    return line


@pytest.mark.parametrize(
    ("manifests", "waivers", "policy"),
    [
        (("video-mix.yaml",), None, "commercial"),
        (("instruct-mix.yaml",), None, "research"),
        (("clean-commercial.yaml",), None, "commercial"),
        (("video-mix.yaml", "instruct-mix.yaml"), "action/waivers.yaml", "commercial"),
        (("video-mix.yaml",), "waivers.valid.yaml", "commercial"),
    ],
)
def test_every_document_validates_against_the_schema(
    manifests: tuple[str, ...], waivers: str | None, policy: str
) -> None:
    report = report_for(
        *(EXAMPLES / m for m in manifests),
        waivers=fixture_path(waivers) if waivers else None,
        policy=policy,
    )
    log = assert_valid_sarif(render_sarif(report, root=REPO))
    assert log["version"] == "2.1.0"
    assert len(results(log)) == len(report.findings)


def test_a_failing_manifest_gives_results_on_the_right_lines() -> None:
    manifest = EXAMPLES / "video-mix.yaml"
    report = report_for(manifest)
    log = assert_valid_sarif(render_sarif(report, root=REPO))
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert results(log), "the video mix must fail with findings"
    for finding, result in zip(report.findings, results(log), strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "examples/video-mix.yaml"
        text = lines[region_line(result) - 1]
        trigger = finding.evidence.trigger if finding.evidence else None
        if finding.via:
            expected = "derived_from:"
        elif trigger == "no license field":
            expected = f"id: {finding.dataset}"
        else:
            assert trigger is not None
            key, _, value = trigger.partition(": ")
            expected = value.split(" (method")[0] if key == "collected_from" else value
        assert expected.strip('"') in text, (finding.rule, finding.dataset, text)


def test_result_carries_rule_level_message_and_dataset() -> None:
    report = report_for(EXAMPLES / "instruct-mix.yaml")
    log = assert_valid_sarif(render_sarif(report, root=REPO))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for finding, result in zip(report.findings, results(log), strict=True):
        assert result["ruleId"] == finding.rule.value
        assert rules[result["ruleIndex"]]["id"] == finding.rule.value
        assert result["level"] == levels[finding.severity.value]
        assert result["message"]["text"].startswith(f"{finding.dataset}: {finding.message}")
        assert result["locations"][0]["logicalLocations"] == [
            {"name": finding.dataset, "kind": "object"}
        ]
    quoted = next(r for r in results(log) if r["ruleId"] == "model-output-terms")
    assert '"(e) except for a Permitted Exception' in quoted["message"]["text"]
    assert "\nSource: https://" in quoted["message"]["text"]


def test_one_rule_per_finding_rule_with_its_documentation() -> None:
    log = assert_valid_sarif(render_sarif(report_for(EXAMPLES / "video-mix.yaml"), root=REPO))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "auditor"
    assert [r["id"] for r in driver["rules"]] == [d.id.value for d in load_rulebook().rules]
    assert {r["id"] for r in driver["rules"]} == {r.value for r in Rule}
    doc = load_rulebook().doc(Rule.TOS_SCRAPING_PROHIBITED)
    rule = next(r for r in driver["rules"] if r["id"] == doc.id.value)
    assert rule["name"] == "PlatformForbidsScrapingOrDownloading"
    assert rule["shortDescription"]["text"] == doc.summary
    assert rule["fullDescription"]["text"] == doc.rationale
    assert doc.how_to_fix in rule["help"]["text"]
    assert "https://www.youtube.com/t/terms" in rule["help"]["markdown"]
    assert rule["defaultConfiguration"] == {"level": "error"}


def test_version_comes_from_the_report_and_output_is_deterministic() -> None:
    report = report_for(EXAMPLES / "video-mix.yaml", EXAMPLES / "instruct-mix.yaml")
    first = render_sarif(report, root=REPO)
    assert first == render_sarif(report, root=REPO)
    log = json.loads(first)
    assert log["runs"][0]["tool"]["driver"]["version"] == report.tool_version
    assert report.provenance is not None
    assert log["runs"][0]["properties"] == {
        "policy": "commercial",
        "policyRelaxes": [],
        "failOn": "error",
        "verdict": "fail",
        "asOf": "2026-11-25",
        "knowledgeBaseSha256": report.provenance.knowledge_base_sha256,
    }


def test_every_manifest_read_is_an_artifact_with_its_hash() -> None:
    report = report_for(EXAMPLES / "video-mix.yaml", EXAMPLES / "instruct-mix.yaml")
    run = assert_valid_sarif(render_sarif(report, root=REPO))["runs"][0]
    assert [(a["location"]["uri"], a["hashes"]["sha-256"]) for a in run["artifacts"]] == [
        (f"examples/{name}", hashlib.sha256((EXAMPLES / name).read_bytes()).hexdigest())
        for name in ("instruct-mix.yaml", "video-mix.yaml")
    ]
    assert {a["properties"]["format"] for a in run["artifacts"]} == {"native"}


def test_a_relaxing_policy_is_a_run_property_and_a_warning_notification() -> None:
    report = report_for(
        fixture_path("manifest.unknown-license.yaml"),
        policy=str(fixture_path("policy.relaxes-license-unknown.yaml")),
    )
    run = assert_valid_sarif(render_sarif(report, root=REPO))["runs"][0]
    assert run["properties"]["policyRelaxes"] == ["license-unknown"]
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolConfigurationNotifications": [
                {
                    "level": "warning",
                    "message": {
                        "text": "policy 'lenient-unknown' relaxes fail-closed rules: "
                        "license-unknown"
                    },
                }
            ],
        }
    ]
    strict = assert_valid_sarif(render_sarif(report_for(EXAMPLES / "video-mix.yaml"), root=REPO))
    assert "invocations" not in strict["runs"][0]


def test_paths_outside_the_root_stay_as_given(tmp_path: Path) -> None:
    manifest = EXAMPLES / "video-mix.yaml"
    log = assert_valid_sarif(render_sarif(report_for(manifest), root=tmp_path))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results(log)}
    assert uris == {manifest.as_uri()}


def test_paths_with_spaces_are_valid_uris(tmp_path: Path) -> None:
    folder = tmp_path / "my mixes"
    folder.mkdir()
    shutil.copy(EXAMPLES / "video-mix.yaml", folder / "video mix.yaml")
    log = assert_valid_sarif(render_sarif(report_for(folder / "video mix.yaml"), root=tmp_path))
    uri = results(log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20mixes/video%20mix.yaml"


def test_fingerprints_survive_moved_lines_but_not_other_changes(tmp_path: Path) -> None:
    manifest = tmp_path / "mixes" / "video-mix.yaml"
    manifest.parent.mkdir()
    original = (EXAMPLES / "video-mix.yaml").read_text(encoding="utf-8")
    manifest.write_text(original, encoding="utf-8")
    before = results(json.loads(render_sarif(report_for(manifest), root=tmp_path)))
    manifest.write_text("# moved\n# down\n# three lines\n" + original, encoding="utf-8")
    after = results(json.loads(render_sarif(report_for(manifest), root=tmp_path)))

    def prints(rs: list[Sarif]) -> list[str]:
        return [r["partialFingerprints"][FINGERPRINT_KEY] for r in rs]

    assert prints(before) == prints(after)
    assert len(set(prints(before))) == len(before), "each finding has its own fingerprint"
    assert [region_line(r) + 3 for r in before] == [region_line(r) for r in after]

    manifest.write_text(original.replace("id: youtube-bulk", "id: youtube-all"), encoding="utf-8")
    renamed = results(json.loads(render_sarif(report_for(manifest), root=tmp_path)))
    assert set(prints(renamed)) != set(prints(before))


def test_waived_findings_are_suppressed_with_the_reason() -> None:
    waivers = fixture_path("action/waivers.yaml")
    report = report_for(
        EXAMPLES / "video-mix.yaml", EXAMPLES / "instruct-mix.yaml", waivers=waivers
    )
    log = assert_valid_sarif(render_sarif(report, root=REPO))
    suppressed = {r["ruleId"]: r for r in results(log) if "suppressions" in r}
    assert set(suppressed) == {"license-share-alike", "license-noncommercial"}
    share_alike = suppressed["license-share-alike"]["suppressions"]
    assert share_alike == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Legal reviewed BY-SA for model weights (ticket LEGAL-42).",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "tests/fixtures/action/waivers.yaml"},
                    "region": {"startLine": 4},
                }
            },
            "properties": {"approvedBy": "Jane Counsel", "expires": "2099-12-31"},
        }
    ]
    waived = sum(f.waived for f in report.findings)
    assert waived == len(suppressed) == report.totals.waived


def test_a_finding_without_a_location_points_at_its_dataset() -> None:
    report = report_for(EXAMPLES / "instruct-mix.yaml")
    first, *rest = report.findings
    orphan = first.model_copy(update={"location": None, "dataset": "elsewhere"})
    moved = report.model_copy(
        update={"findings": (first.model_copy(update={"location": None}), orphan, *rest)}
    )
    log = assert_valid_sarif(render_sarif(moved, root=REPO))
    dataset = next(d for d in report.datasets if d.id == first.dataset)
    located, unlocated = results(log)[:2]
    assert located["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/instruct-mix.yaml"},
        "region": {"startLine": dataset.location.line},
    }
    assert unlocated["locations"] == [
        {"logicalLocations": [{"name": "elsewhere", "kind": "object"}]}
    ]


def test_cli_writes_sarif() -> None:
    result = CliRunner().invoke(app, ["check", str(EXAMPLES / "video-mix.yaml"), "-f", "sarif"])
    assert result.exit_code == 1
    log = assert_valid_sarif(result.stdout)
    assert results(log)
    assert result.stderr.startswith("auditor: FAIL")
