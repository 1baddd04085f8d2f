"""Change since the last run: ``auditor diff``, ``check --baseline`` and finding identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import auditor
from auditor.cli import app
from auditor.diff import DatasetChange, WeightShare, diff, finding_key
from auditor.model import CardRef, Location, Lookup
from auditor.policy import Severity
from auditor.render.json import render_json
from auditor.report import DatasetVerdict, Evidence, Report, Verdict
from auditor.rulebook import Rule
from tests.conftest import EXAMPLES, TODAY, fixture_path
from tests.hubserver import fake_hub

runner = CliRunner()

BASE = "diff/mix.base.yaml"
CHANGED = "diff/mix.one-dataset-changed.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def report_of(name: str) -> Report:
    return auditor.audit(fixture_path(name), today=TODAY)


def written(report: Report, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_text(render_json(report), encoding="utf-8")
    return path


# --- one dataset changed in a mix ------------------------------------------------------------


def test_diff_reports_exactly_the_dataset_that_changed() -> None:
    before, after = report_of(BASE), report_of(CHANGED)
    changes = diff(before, after)
    # Every finding of the base is still there, though every line below the header moved.
    assert len(changes.unchanged_findings) == len(before.findings)
    assert changes.fixed_findings == ()
    # New: exactly what the license change brings to books (a commercial-use ban among them).
    assert {(f.dataset, f.rule) for f in changes.new_findings} == brought_to_books(before, after)
    assert Rule.LICENSE_NONCOMMERCIAL in {f.rule for f in changes.new_findings}
    assert [c.dataset for c in changes.datasets] == ["books"]
    books = changes.datasets[0]
    assert books.old_verdict is DatasetVerdict.ALLOWED
    assert books.new_verdict is DatasetVerdict.BLOCKED
    assert (books.old_weight, books.new_weight) == (0.2, 0.2)
    assert before.provenance is not None
    assert after.provenance is not None
    old_sha = before.provenance.manifests[0].sha256[:12]
    new_sha = after.provenance.manifests[0].sha256[:12]
    assert books.reasons == (
        f"manifest {fixture_path(CHANGED).as_posix()} changed (sha256 {old_sha} → {new_sha})",
        "license CC0-1.0 → CC-BY-NC-4.0",
        "new: " + ", ".join(sorted(rule.value for _, rule in brought_to_books(before, after))),
    )
    # The weight of books moved from allowed to blocked.
    assert changes.weight == (
        WeightShare(verdict=DatasetVerdict.ALLOWED, old=0.2, new=0.0),
        WeightShare(verdict=DatasetVerdict.REVIEW, old=0.3, new=0.3),
        WeightShare(verdict=DatasetVerdict.BLOCKED, old=0.5, new=0.7),
    )
    assert changes.reasons == ()  # same policy, knowledge base, tool and date
    assert [f.rule for f in changes.failing(Severity.ERROR)] == [Rule.LICENSE_NONCOMMERCIAL]
    assert len(changes.remaining(Severity.ERROR)) == before.totals.errors


def brought_to_books(before: Report, after: Report) -> set[tuple[str, Rule]]:
    """The rules on books in ``after`` that were not on it in ``before``."""
    was = {f.rule for f in before.findings_for("books")}
    return {("books", f.rule) for f in after.findings_for("books") if f.rule not in was}


def baseline_line(before: Report, after: Report, failing: int) -> str:
    """What check --baseline says of ``after`` against ``before``, counted from the reports."""
    unchanged = len(before.findings)
    new = len(after.findings) - unchanged
    errors = before.totals.errors
    return (
        f"auditor baseline: {failing} new finding(s) at or above error fail the gate; {errors} at "
        f"or above error remain from the baseline ({new} new, 0 fixed, {unchanged} unchanged "
        "finding(s))"
    )


def test_the_reverse_change_is_fixed_findings() -> None:
    before, after = report_of(CHANGED), report_of(BASE)
    changes = diff(before, after)
    assert changes.new_findings == ()
    assert {(f.dataset, f.rule) for f in changes.fixed_findings} == brought_to_books(after, before)
    assert changes.failing(Severity.ERROR) == ()


def test_check_with_a_baseline_fails_only_on_the_new_finding(tmp_path: Path) -> None:
    baseline = written(report_of(BASE), tmp_path, "base.json")
    changed = str(fixture_path(CHANGED))
    code, out, err = run("check", changed, "--baseline", str(baseline), "--as-of", "2026-11-25")
    assert code == 1, err
    assert "license-noncommercial" in out  # the report itself is whole
    lines = err.splitlines()
    assert lines[0].startswith("auditor: FAIL")
    assert lines[1] == baseline_line(report_of(BASE), report_of(CHANGED), failing=1)
    # The base mix itself still fails, but against a baseline that has its findings it passes.
    code, _, err = run(
        "check", str(fixture_path(BASE)), "--baseline", str(baseline), "--as-of", "2026-11-25"
    )
    assert code == 0, err
    assert "auditor: FAIL" in err
    assert "auditor baseline: 0 new finding(s) at or above error fail the gate; " in err


def test_diff_command_in_every_format(tmp_path: Path) -> None:
    before, after = report_of(BASE), report_of(CHANGED)
    old = written(before, tmp_path, "old.json")
    new = written(after, tmp_path, "new.json")
    added, kept = len(after.findings) - len(before.findings), len(before.findings)
    code, out, err = run("diff", str(old), str(new), "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == "1.0"
    assert {f["dataset"] for f in data["new_findings"]} == {"books"}
    assert data["datasets"][0]["dataset"] == "books"
    assert err == (
        f"auditor diff: {added} new, 0 fixed, {kept} unchanged finding(s); verdict fail → fail\n"
    )
    code, out, _ = run("diff", str(old), str(new), "--format", "markdown")
    assert code == 0
    assert out.startswith(f"## auditor: changes since the baseline\n\n**{added} new**, 0 fixed")
    assert "| `books` | allowed | **blocked** | 0.2 |" in out
    assert "| blocked | 0.5 | 0.7 |" in out
    code, out, _ = run("diff", str(old), str(new))
    assert code == 0
    assert "books" in out
    assert "weight by verdict: allowed 0.2 → 0, review 0.3, blocked 0.5 → 0.7" in out
    target = tmp_path / "diff.md"
    code, out, _ = run("diff", str(old), str(new), "-f", "table", "-o", str(target))
    assert (code, out) == (0, "")
    assert "new findings:" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "bad.json:1: invalid JSON"),
        ("[]", "not an auditor JSON report (no schema_version)"),
        ('{"schema_version": "2.0"}', "report schema 2.0 cannot be read by this auditor"),
        ('{"schema_version": "1.99"}', "report schema 1.99 cannot be read by this auditor"),
        ('{"schema_version": "1.1", "verdict": "pass"}', ":1: missing required key 'tool_version'"),
    ],
)
def test_a_bad_report_is_an_input_error(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    good = written(report_of(BASE), tmp_path, "good.json")
    code, out, err = run("diff", str(bad), str(good))
    assert (code, out) == (2, "")
    assert message in err
    code, _, err = run("check", str(fixture_path(BASE)), "--baseline", str(bad))
    assert code == 2
    assert message in err
    code, _, err = run("check", str(fixture_path(BASE)), "--baseline", str(tmp_path / "no.json"))
    assert code == 2
    assert "no such file" in err


# --- identity --------------------------------------------------------------------------------


def test_identity_leaves_out_lines_paths_severity_and_waivers() -> None:
    finding = next(f for f in report_of(BASE).findings if f.rule is Rule.LICENSE_NONCOMMERCIAL)
    moved = finding.model_copy(
        update={
            "location": Location(path="elsewhere/mix.yaml", line=99),
            "severity": Severity.WARNING,
            "waived": True,
            "message": finding.message + " (reworded)",
        }
    )
    assert finding_key(moved) == finding_key(finding)
    for change in (
        {"dataset": "other"},
        {"via": ("captions",)},
        {"rule": Rule.LICENSE_UNKNOWN},
        {"evidence": Evidence(trigger="license: CC-BY-NC-SA-4.0")},
    ):
        assert finding_key(finding.model_copy(update=change)) != finding_key(finding)


def test_without_a_trigger_the_message_is_the_subject_without_line_numbers() -> None:
    finding = (
        report_of(BASE)
        .findings[0]
        .model_copy(update={"evidence": None, "message": "a cycle  at mix.yaml:12 and Mix.yaml:3"})
    )
    moved = finding.model_copy(update={"message": "a cycle at mix.yaml:40 and mix.yaml:7"})
    assert finding_key(finding) == finding_key(moved)
    assert finding_key(finding)[3] == "a cycle at mix.yaml and mix.yaml"


def test_repeated_findings_are_counted() -> None:
    report = report_of(BASE)
    twice = report.model_copy(update={"findings": report.findings + report.findings[:1]})
    changes = diff(report, twice)
    assert changes.new_findings == report.findings[:1]
    assert diff(twice, report).fixed_findings == report.findings[:1]


# --- why a verdict changed -------------------------------------------------------------------


def test_report_wide_reasons_come_from_the_provenance() -> None:
    before = report_of(BASE)
    assert before.provenance is not None
    after = before.model_copy(
        update={
            "policy": "research",
            "fail_on": Severity.WARNING,
            "tool_version": "9.9.9",
            "provenance": before.provenance.model_copy(
                update={"knowledge_base_sha256": "f" * 64, "as_of": TODAY.replace(year=2027)}
            ),
        }
    )
    assert diff(before, after).reasons == (
        "policy commercial → research",
        "fail-on error → warning",
        "auditor 0.1.0 → 9.9.9",
        f"knowledge base changed (sha256 {before.provenance.knowledge_base_sha256[:12]} → "
        "ffffffffffff)",
        "as of 2026-11-25 → 2027-11-25 (waivers)",
    )
    old = before.model_copy(update={"provenance": None})
    assert diff(old, before).reasons == ("the old report has no provenance (schema before 1.2)",)


def test_a_card_that_changed_is_named_as_the_reason() -> None:
    before = report_of(BASE)

    def looked_up(revision: str, sha: str, verdict: DatasetVerdict) -> Report:
        lookup = Lookup(
            reference="hf://org/books",
            outcome="hub",
            detail="fetched",
            location=Location(path="mix.yaml", line=8),
            card=CardRef(url="https://hub/books/README.md", revision=revision, sha256=sha),
        )
        datasets = tuple(
            d.model_copy(update={"lookup": lookup, "verdict": verdict}) if d.id == "books" else d
            for d in before.datasets
        )
        return before.model_copy(update={"datasets": datasets})

    changes = diff(
        looked_up("a" * 40, "1" * 64, DatasetVerdict.ALLOWED),
        looked_up("b" * 40, "2" * 64, DatasetVerdict.REVIEW),
    )
    assert changes.datasets == (
        DatasetChange(
            dataset="books",
            old_verdict=DatasetVerdict.ALLOWED,
            new_verdict=DatasetVerdict.REVIEW,
            old_weight=0.2,
            new_weight=0.2,
            reasons=(
                f"card of hf://org/books changed (revision {'a' * 40}, sha256 {'1' * 12} → "
                f"revision {'b' * 40}, sha256 {'2' * 12})",
            ),
        ),
    )


def test_datasets_that_come_and_go_and_a_changed_verdict() -> None:
    clean = auditor.audit(EXAMPLES / "clean-commercial.yaml", today=TODAY)
    mix = report_of(BASE)
    changes = diff(clean, mix)
    assert changes.old_verdict is Verdict.PASS
    assert changes.new_verdict is Verdict.FAIL
    reasons = {c.dataset: c.reasons for c in changes.datasets}
    assert reasons["books"] == ("not in the old report",)
    assert reasons["web-corpus"] == ("not in the new report",)


def test_a_look_up_that_now_finds_a_card_is_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mix = fixture_path("lookup/mixes/references.yaml")
    offline = auditor.audit(mix, today=TODAY, offline=True)
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        online = auditor.audit(mix, today=TODAY)
    changes = diff(offline, online)
    permissive = next(c for c in changes.datasets if c.dataset == "permissive")
    assert permissive.old_verdict is DatasetVerdict.BLOCKED
    assert permissive.new_verdict is DatasetVerdict.ALLOWED
    assert permissive.reasons[:3] == (
        "card of example-org/permissive-text read now",
        "look-up unresolved → hub",
        "license unknown → Apache-2.0",
    )
    assert "fixed: reference-unresolved" in permissive.reasons
    assert changes.weight == ()  # no dataset of the mix has a weight


def test_a_dataset_in_more_manifests_is_counted_once_with_its_worst_verdict() -> None:
    base = report_of(BASE)
    both = auditor.audit([fixture_path(BASE), fixture_path(CHANGED)], today=TODAY)
    changes = diff(base, both)
    books = next(c for c in changes.datasets if c.dataset == "books")
    assert books.new_verdict is DatasetVerdict.BLOCKED
    assert (books.old_weight, books.new_weight) == (0.2, 0.4)
    assert books.reasons[-1] == "in 1 manifest(s) before, 2 now"
    wiki = next(c for c in changes.datasets if c.dataset == "wiki")
    assert wiki.old_verdict == wiki.new_verdict
    assert (wiki.old_weight, wiki.new_weight) == (0.3, 0.6)
