"""The CLI contract: exit codes, stdout vs stderr, atomic output, no tracebacks on bad input."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import EXAMPLES, fixture_path

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_clean_mix_passes_with_exit_0() -> None:
    code, out, err = run("check", str(EXAMPLES / "clean-commercial.yaml"))
    assert code == 0, out + err
    assert "verdict: PASS" in out
    assert err.startswith("auditor: PASS")


def test_video_mix_fails_with_exit_1() -> None:
    code, out, err = run("check", str(EXAMPLES / "video-mix.yaml"))
    assert code == 1
    assert "tos-scraping-prohibited" in out
    assert "verdict: FAIL" in out
    assert "FAIL" in err


def test_research_policy_changes_the_verdict() -> None:
    code, _, _ = run("check", str(EXAMPLES / "instruct-mix.yaml"), "--policy", "research")
    # Under research, non-commercial terms are info and model-output terms warnings: it passes.
    assert code == 0
    code, _, _ = run(
        "check", str(EXAMPLES / "instruct-mix.yaml"), "--policy", "research", "--fail-on", "warning"
    )
    assert code == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("manifest.unknown-key.yaml", ":7: unknown key 'licence'"),
        ("manifest.malformed.yaml", "manifest.malformed.yaml:6: invalid YAML"),
        ("manifest.malformed.json", "manifest.malformed.json:5: invalid JSON"),
        ("manifest.wrong-type.yaml", ":6: manifest: datasets.0.weight"),
        ("manifest.empty.yaml", "manifest.empty.yaml: the file is empty"),
        ("manifest.no-datasets.yaml", ":3: manifest: datasets"),
        ("manifest.duplicate-id.yaml", ":6: dataset id 'a' is used twice"),
        ("manifest.unknown-parent.yaml", ":7: dataset 'a' is derived from 'nowhere'"),
        ("manifest.not-a-manifest.yaml", "not a recognised manifest (tried: native, "),
        ("manifest.collected-both.yaml", ":7: manifest: datasets.0.collected_from.0"),
    ],
)
def test_bad_input_exits_2_with_path_and_line(name: str, expected: str) -> None:
    code, out, err = run("check", str(fixture_path(name)))
    assert code == 2
    assert out == ""
    assert expected in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_missing_file_exits_2() -> None:
    code, _, err = run("check", "does/not/exist.yaml")
    assert code == 2
    assert "does/not/exist.yaml: no such file" in err


def test_bad_policy_and_waivers_exit_2() -> None:
    manifest = str(EXAMPLES / "clean-commercial.yaml")
    code, _, err = run("check", manifest, "--policy", str(fixture_path("policy.incomplete.yaml")))
    assert code == 2
    assert "policy gives no severity for" in err
    assert "(or add 'extends: commercial' to inherit the rest)" in err
    code, _, err = run("check", manifest, "--waivers", str(fixture_path("waivers.bad-rule.yaml")))
    assert code == 2
    assert "waivers.bad-rule.yaml:3: waivers: waivers.0.rule" in err
    code, _, err = run("check", manifest, "--policy", "no-such-policy")
    assert code == 2
    assert "no such policy file or built-in policy" in err


@pytest.mark.parametrize(
    ("name", "where", "why"),
    [
        ("policy.named-commercial.yaml", ":3: '", "'commercial' is the name of a built-in policy"),
        (
            "policy.named-research-capitalised.yaml",
            ":2: '",
            "' Research' is the name of a built-in policy; a policy file needs a name of its own",
        ),
        ("policy.named-commercial-zero-width.yaml", ":1: 'commercial\\u200b'", "not a plain name"),
        ("policy.named-commercial-cyrillic.yaml", ":1: '\u0441ommercial'", "not a plain name"),
        (
            "policy.relaxes-undeclared.yaml",
            ":7: fail-closed rule",
            "not declared: license-unknown (off); a policy that lets what the gate cannot check "
            "pass must say so: 'relaxes: [license-unknown]'",
        ),
        (
            "policy.relaxes-inherited-undeclared.yaml",
            ":4: fail-closed rule",
            "not declared: lineage-unresolved (warning, inherited from 'research')",
        ),
        (
            "policy.relaxes-not-lowered.yaml",
            ":7: relaxes",
            "relaxes: 'reference-unresolved' is at error in this policy",
        ),
        (
            "policy.relaxes-not-fail-closed.yaml",
            ":5: relaxes",
            "relaxes: 'license-noncommercial' is not a fail-closed rule",
        ),
    ],
)
def test_a_policy_cannot_pass_for_what_it_is_not(name: str, where: str, why: str) -> None:
    code, out, err = run(
        "check",
        str(fixture_path("manifest.unknown-license.yaml")),
        "--policy",
        str(fixture_path(name)),
    )
    assert code == 2
    assert out == ""
    assert f"{name}{where}" in err
    assert why in err


def test_a_relaxing_policy_says_so_in_every_format() -> None:
    manifest = str(fixture_path("manifest.unknown-license.yaml"))
    policy = str(fixture_path("policy.relaxes-license-unknown.yaml"))
    note = "policy 'lenient-unknown' relaxes fail-closed rules: license-unknown"
    code, out, err = run("check", manifest, "--policy", policy)
    assert code == 0
    assert err == (
        "auditor: PASS under policy 'lenient-unknown': 1 dataset (0 allowed, 1 review, "
        f"0 blocked), 0 errors, 1 warning, 0 waived; {note}\n"
    )
    assert out.endswith(f"\n{note}\n")
    code, out, _ = run("check", manifest, "--policy", policy, "--format", "json")
    assert json.loads(out)["policy_relaxes"] == ["license-unknown"]
    code, out, _ = run("check", manifest, "--policy", policy, "--format", "markdown")
    assert "> ⚠️ Policy `lenient-unknown` relaxes fail-closed rules (sets them below error): " in out
    _, _, err = run("check", manifest, "--policy", "research")
    assert err.endswith(
        "; policy 'research' relaxes fail-closed rules: lineage-unresolved, "
        "model-generator-unnamed, model-output-unknown\n"
    )
    _, out, err = run("check", manifest)
    assert "relaxes" not in out + err


@pytest.mark.parametrize(
    ("name", "where", "why"),
    [
        (
            "waivers.blank-approver.yaml",
            ":7: waivers: waivers.0.approved_by",
            "not only spaces or marks",
        ),
        (
            "waivers.invisible-approver.yaml",
            ":7: waivers: waivers.0.approved_by",
            "not only spaces or marks",
        ),
        ("waivers.blank-reason.yaml", ":6: waivers: waivers.0.reason", "not only spaces or marks"),
        ("waivers.upstream-self.yaml", ":6: waivers: waivers.0.upstream", "without 'upstream'"),
    ],
)
def test_a_waiver_must_say_who_why_and_what(name: str, where: str, why: str) -> None:
    code, out, err = run(
        "check", str(EXAMPLES / "clean-commercial.yaml"), "--waivers", str(fixture_path(name))
    )
    assert code == 2
    assert out == ""
    assert f"{name}{where}" in err
    assert why in err


def test_usage_errors_exit_2() -> None:
    code, _, _ = run("check")
    assert code == 2
    code, _, _ = run("check", str(EXAMPLES / "clean-commercial.yaml"), "--format", "xml")
    assert code == 2
    code, _, err = run("check", str(EXAMPLES / "clean-commercial.yaml"), "--as-of", "soon")
    assert code == 2
    assert "--as-of" in err


def test_json_goes_to_stdout_and_parses() -> None:
    code, out, err = run("check", str(EXAMPLES / "video-mix.yaml"), "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["verdict"] == "fail"
    assert "auditor: FAIL" in err
    assert "auditor:" not in out


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(
        "check", str(EXAMPLES / "video-mix.yaml"), "--format", "json", "--output", str(target)
    )
    assert code == 1
    assert out == ""
    assert json.loads(target.read_text())["verdict"] == "fail"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_no_output_file_left_on_input_error(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, _, _ = run("check", str(fixture_path("manifest.malformed.yaml")), "--output", str(target))
    assert code == 2
    assert list(tmp_path.iterdir()) == []


def test_table_output_file_is_plain_text(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    code, _, _ = run("check", str(EXAMPLES / "instruct-mix.yaml"), "-o", str(target))
    assert code == 1
    text = target.read_text()
    assert "\x1b[" not in text
    assert "model-output-terms" in text


def test_user_data_is_not_rich_markup() -> None:
    code, out, _ = run("check", str(fixture_path("manifest.markup.yaml")))
    assert code == 1
    assert "foo[bold]" in out
    assert "[red]not markup[/red]" in out


def test_output_is_deterministic() -> None:
    args = ("check", str(EXAMPLES / "video-mix.yaml"), "--format", "json")
    assert run(*args)[1] == run(*args)[1]
    table = ("check", str(EXAMPLES / "video-mix.yaml"))
    assert run(*table)[1] == run(*table)[1]


def test_schema_command_prints_the_manifest_schema() -> None:
    code, out, _ = run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Manifest"
    assert schema["additionalProperties"] is False
    assert {"version", "name", "datasets"} <= set(schema["properties"])


def test_rules_command_lists_every_rule() -> None:
    code, out, _ = run("rules")
    assert code == 0
    for rule in ("license-unknown", "tos-scraping-prohibited", "model-output-terms"):
        assert rule in out
    assert "(auditor scan)" in out  # the opt-out rules say where they come from


def test_help_documents_exit_codes() -> None:
    code, out, _ = run("check", "--help")
    assert code == 0
    assert "Exit codes" in out


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("auditor ")


def test_explain_json_contract() -> None:
    code, out, _ = run("explain", "CC BY-NC-SA 3.0 IGO", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["input"] == "CC BY-NC-SA 3.0 IGO"
    assert data["expression"] == "CC-BY-NC-SA-3.0-IGO"
    assert data["status"] == "alias"
    assert data["commercial_use"] == "prohibited"


def test_explain_table_shows_terms_and_decisions() -> None:
    code, out, _ = run("explain", "MIT OR GPL-3.0-only")
    assert code == 0
    assert "chose MIT over GPL-3.0-only" in out
    assert "allowed" in out
    code, out, _ = run("explain", "cc")
    assert code == 0
    assert "ambiguous" in out
    assert "more (--format json)" in out


def test_explain_unknown_is_never_permissive() -> None:
    code, out, _ = run("explain", "[More Information Needed]", "--format", "json")
    assert code == 0
    assert json.loads(out)["commercial_use"] == "unknown"


# --- where reports go ------------------------------------------------------------------------


def test_output_over_an_input_is_an_input_error(tmp_path: Path) -> None:
    manifest = tmp_path / "mix.yaml"
    manifest.write_bytes((EXAMPLES / "clean-commercial.yaml").read_bytes())
    link = tmp_path / "report.json"
    link.hardlink_to(manifest)
    for target in (manifest, link, tmp_path / "." / "mix.yaml"):
        code, out, err = run("check", str(manifest), "-f", "json", "-o", str(target))
        assert code == 2, err
        assert out == ""
        assert "--output: would overwrite the input" in err
    assert manifest.read_bytes() == (EXAMPLES / "clean-commercial.yaml").read_bytes()


def test_output_in_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "report.json"
    code, _, err = run("check", str(EXAMPLES / "clean-commercial.yaml"), "-o", str(target))
    assert code == 2
    assert "does not exist; it is not created" in err
    assert not target.parent.exists()


def test_a_report_file_is_readable_by_others(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "report.json"
        code, _, _ = run("check", str(EXAMPLES / "clean-commercial.yaml"), "-o", str(target))
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_check_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    code, out, _ = run("check", str(EXAMPLES / "instruct-mix.yaml"), "--format", "json")
    assert code in (0, 1) and json.loads(out)["kind"] == "check"
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()  # a caller that paused the collector finds it paused
    try:
        run("check", str(EXAMPLES / "instruct-mix.yaml"), "--format", "json")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_chain_deeper_than_the_recursion_limit_renders_in_every_format(
    tmp_path: Path,
) -> None:
    import sys

    depth = sys.getrecursionlimit() + 500
    lines = ["version: 1", "name: chain", "datasets:"]
    for i in reversed(range(depth)):  # children first: the worst order for a recursive walk
        parent = f", derived_from: [d{i - 1}]" if i else ""
        lines.append(f"  - {{id: d{i}, license: CC-BY-NC-4.0, creator: Lab{parent}}}")
    manifest = tmp_path / "chain.yaml"
    manifest.write_text("\n".join(lines) + "\n")
    for fmt in (
        "json",
        "table",
        "concise",
        "github",
        "markdown",
        "sarif",
        "html",
        "cyclonedx",
        "spdx3",
    ):
        out = tmp_path / f"out.{fmt}"
        code, _, err = run("check", str(manifest), "--format", fmt, "--output", str(out))
        assert code == 1, (fmt, err)
        text = out.read_text(encoding="utf-8")
        # Annotations and the job summary are capped (the rest counted); the rest name them all.
        expected = {"github": "more error finding(s)", "markdown": f"{depth} of {depth} datasets"}
        assert expected.get(fmt, f"d{depth - 1}") in text, fmt
