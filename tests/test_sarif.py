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
from auditor.render.sarif import FINGERPRINT_KEY, Include, render_sarif, repository_root
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


ALL = (Include.PASSING, Include.WAIVED)

# GitHub code scanning's documented requirements for an uploaded SARIF file: "SARIF support for
# code scanning" (docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/
# sarif-support-for-code-scanning; read at github/docs@f0b7088b) and the upload limits of the
# REST API's "Upload an analysis as SARIF data".
GITHUB_LIMITS = {"runs": 20, "results": 25_000, "rules": 25_000, "locations": 1_000, "tags": 20}
PRECISIONS = {"very-high", "high", "medium", "low"}
PROBLEM_SEVERITIES = {"error", "warning", "recommendation"}
LEVELS = {"none", "note", "warning", "error"}


def github_problems(log: Sarif) -> list[str]:
    """Every way ``log`` departs from what GitHub code scanning documents it reads."""
    problems: list[str] = []

    def need(ok: object, what: str) -> None:
        if not ok:
            problems.append(what)

    need(log.get("$schema"), "$schema is required")
    need(log.get("version") == "2.1.0", "only SARIF 2.1.0 is supported")
    runs = log.get("runs")
    need(isinstance(runs, list) and 0 < len(runs) <= GITHUB_LIMITS["runs"], "1 to 20 runs")
    for r, run in enumerate(runs or []):
        driver = run.get("tool", {}).get("driver", {})
        need(driver.get("name"), f"run {r}: tool.driver.name is required")
        rules = driver.get("rules")
        need(isinstance(rules, list), f"run {r}: tool.driver.rules is required")
        rules = rules or []
        need(len(rules) <= GITHUB_LIMITS["rules"], f"run {r}: over 25,000 rules")
        bases = set(run.get("originalUriBaseIds", {}))
        for rule in rules:
            where = f"rule {rule.get('id')}"
            need(rule.get("id"), f"{where}: id is required")
            for key in ("shortDescription", "fullDescription", "help"):
                need(rule.get(key, {}).get("text"), f"{where}: {key}.text is required")
            need(len(rule.get("fullDescription", {}).get("text", "")) <= 1000, f"{where}: long")
            need(rule.get("help", {}).get("markdown"), f"{where}: help.markdown is recommended")
            props = rule.get("properties", {})
            tags = props.get("tags", [])
            need(all(isinstance(t, str) for t in tags), f"{where}: tags are strings")
            need(len(tags) <= GITHUB_LIMITS["tags"], f"{where}: over 20 tags")
            need(props.get("precision") in PRECISIONS, f"{where}: precision is recommended")
            need(
                props.get("problem.severity") in PROBLEM_SEVERITIES,
                f"{where}: problem.severity is recommended",
            )
            need(
                "security-severity" not in props or "security" in tags,
                f"{where}: security-severity is for security rules only",
            )
            level = rule.get("defaultConfiguration", {}).get("level", "warning")
            need(level in LEVELS, f"{where}: defaultConfiguration.level")
            if "helpUri" in rule:
                need(str(rule["helpUri"]).startswith("https://"), f"{where}: helpUri")
        results = run.get("results")
        need(isinstance(results, list), f"run {r}: results is required")
        need(len(results or []) <= GITHUB_LIMITS["results"], f"run {r}: over 25,000 results")
        ids = [rule.get("id") for rule in rules]
        for i, result in enumerate(results or []):
            where = f"result {i}"
            need(result.get("message", {}).get("text"), f"{where}: message.text is required")
            need(result.get("ruleId") in ids, f"{where}: ruleId names no rule")
            if "ruleIndex" in result:
                index = result["ruleIndex"]
                need(ids[index] == result.get("ruleId"), f"{where}: ruleIndex")
            need(result.get("level", "warning") in LEVELS, f"{where}: level")
            fingerprints = result.get("partialFingerprints", {})
            need("primaryLocationLineHash" in fingerprints, f"{where}: primaryLocationLineHash")
            locations = result.get("locations") or []
            need(0 < len(locations) <= GITHUB_LIMITS["locations"], f"{where}: 1 to 1,000 locations")
            physical = locations[0].get("physicalLocation", {}) if locations else {}
            artifact = physical.get("artifactLocation", {})
            uri = str(artifact.get("uri", ""))
            need(uri, f"{where}: the first location needs artifactLocation.uri")
            relative = "://" not in uri and not uri.startswith("file:")
            if relative:
                need(not uri.startswith("/") and ".." not in uri.split("/"), f"{where}: {uri}")
            if "uriBaseId" in artifact:
                need(
                    artifact["uriBaseId"] in bases, f"{where}: uriBaseId not in originalUriBaseIds"
                )
            region = physical.get("region", {})
            for key in ("startLine", "startColumn", "endLine", "endColumn"):
                need(isinstance(region.get(key), int) and region[key] >= 1, f"{where}: {key}")
    return problems


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
    log = assert_valid_sarif(render_sarif(report, root=REPO, include=ALL))
    assert log["version"] == "2.1.0"
    assert len(results(log)) == len(report.findings)
    assert github_problems(log) == []
    # By default, only what fails the gate: every result would become an alert.
    default = assert_valid_sarif(render_sarif(report, root=REPO))
    assert github_problems(default) == []
    failing = [
        f for f in report.findings if not f.waived and f.severity.rank >= report.fail_on.rank
    ]
    assert len(results(default)) == len(failing)
    assert {r["level"] for r in results(default)} <= {"error"}


def test_a_passing_mix_uploads_no_alerts_and_the_same_rules() -> None:
    passing = report_for(EXAMPLES / "clean-commercial.yaml")
    assert passing.passed and passing.findings, "a pass with info findings"
    failing = report_for(EXAMPLES / "video-mix.yaml")
    quiet = assert_valid_sarif(render_sarif(passing, root=REPO))
    loud = assert_valid_sarif(render_sarif(failing, root=REPO))
    assert results(quiet) == []
    # Rule metadata does not depend on what fired: the same rules, levels and help every run.
    assert quiet["runs"][0]["tool"] == loud["runs"][0]["tool"]
    rules = quiet["runs"][0]["tool"]["driver"]["rules"]
    assert all("defaultConfiguration" in rule for rule in rules)


def test_the_checker_catches_what_github_would_not_read() -> None:
    log = json.loads(render_sarif(report_for(EXAMPLES / "video-mix.yaml"), root=REPO))
    result = results(log)[0]
    del result["partialFingerprints"]["primaryLocationLineHash"]
    result["partialFingerprints"]["auditorFinding/v1"] = "x"
    del result["locations"][0]["physicalLocation"]["region"]["endColumn"]
    result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "../video-mix.yaml"
    del log["runs"][0]["tool"]["driver"]["rules"][0]["properties"]["precision"]
    problems = github_problems(log)
    assert "result 0: primaryLocationLineHash" in problems
    assert "result 0: endColumn" in problems
    assert "result 0: ../video-mix.yaml" in problems
    assert any(p.endswith("precision is recommended") for p in problems)


def test_sarif_written_from_a_subdirectory_has_repository_root_uris(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert repository_root(EXAMPLES) == repository_root(REPO)
    monkeypatch.chdir(EXAMPLES)
    result = CliRunner().invoke(app, ["check", "video-mix.yaml", "-f", "sarif"])
    log = assert_valid_sarif(result.stdout)
    assert github_problems(log) == []
    top = repository_root(REPO)
    expected = (EXAMPLES / "video-mix.yaml").relative_to(top).as_posix()
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results(log)}
    assert uris == {expected}
    assert log["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": top.as_uri() + "/"}}
    # --sarif-root sets another root.
    rooted = CliRunner().invoke(
        app, ["check", "video-mix.yaml", "-f", "sarif", "--sarif-root", "."]
    )
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in results(json.loads(rooted.stdout))
    }
    assert uris == {"video-mix.yaml"}


def test_help_uris_point_at_each_rules_documentation() -> None:
    base = "https://example.org/auditor/blob/v1/docs/rules.md"
    log = json.loads(render_sarif(report_for(EXAMPLES / "video-mix.yaml"), help_base=base))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["helpUri"] for r in rules] == [f"{base}#{r['id']}" for r in rules]


def test_a_failing_manifest_gives_results_on_the_right_lines() -> None:
    manifest = EXAMPLES / "video-mix.yaml"
    report = report_for(manifest)
    log = assert_valid_sarif(render_sarif(report, root=REPO, include=ALL))
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert results(log), "the video mix must fail with findings"
    for finding, result in zip(report.findings, results(log), strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {
            "uri": "examples/video-mix.yaml",
            "uriBaseId": "%SRCROOT%",
        }
        text = lines[region_line(result) - 1]
        region = location["region"]
        # The region is the line's content, from its first to its last non-blank character.
        assert region["endLine"] == region["startLine"]
        assert text[region["startColumn"] - 1 : region["endColumn"] - 1] == text.strip()
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
    log = assert_valid_sarif(render_sarif(report, root=REPO, include=ALL))
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
    assert rule["properties"] == {
        "tags": ["training-data", "compliance", "tos"],
        "precision": "high",
        "problem.severity": "error",
    }


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
    assert not any(
        "suppressions" in r for r in results(json.loads(render_sarif(report, root=REPO)))
    )
    log = assert_valid_sarif(render_sarif(report, root=REPO, include=[Include.WAIVED]))
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
                    "artifactLocation": {
                        "uri": "tests/fixtures/action/waivers.yaml",
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": {"startLine": 4, "startColumn": 3, "endLine": 4, "endColumn": 30},
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
    log = assert_valid_sarif(render_sarif(moved, root=REPO, include=ALL))
    dataset = next(d for d in report.datasets if d.id == first.dataset)
    located, unlocated = results(log)[:2]
    assert dataset.location.line is not None
    line = (EXAMPLES / "instruct-mix.yaml").read_text().splitlines()[dataset.location.line - 1]
    assert located["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/instruct-mix.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {
            "startLine": dataset.location.line,
            "startColumn": line.index("-") + 1,
            "endLine": dataset.location.line,
            "endColumn": len(line.rstrip()) + 1,
        },
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
