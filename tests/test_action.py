"""The GitHub Action without GitHub: the audit step of action.yml run as the runner runs it.

``run_action`` evaluates the step's ``env:`` expressions the way the runner does (an input's value
is substituted, as text, into the environment variable), then runs the step's ``run:`` text with
bash in a temporary workspace, with simulated ``GITHUB_STEP_SUMMARY`` and ``GITHUB_OUTPUT`` files.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditor.action import (
    ANNOTATION_LIMIT,
    ActionInputError,
    escape_data,
    escape_property,
    outputs,
    read_inputs,
    run,
)
from tests.conftest import EXAMPLES, fixture_path
from tests.test_render import RAW, assert_inert
from tests.test_sarif import assert_valid_sarif

REPO = EXAMPLES.parent
ACTION: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
HOOKS: list[dict[str, Any]] = yaml.safe_load(
    (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
)
WORKFLOW: dict[str, Any] = yaml.safe_load(
    (EXAMPLES / "github" / "audit.yml").read_text(encoding="utf-8")
)
EXPRESSION = re.compile(r"^\$\{\{\s*([\w.-]+)\s*\}\}$")


@dataclass(frozen=True)
class ActionRun:
    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    workspace: Path

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def annotations(self, command: str) -> list[str]:
        return [line for line in self.lines if line.startswith(f"::{command} ")]


def audit_step() -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "audit")
    return step


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A checkout with the example mixes under mixes/, a waivers file and a file to protect."""
    root = tmp_path / "workspace"
    (root / "mixes").mkdir(parents=True)
    for name in ("video-mix.yaml", "instruct-mix.yaml", "clean-commercial.yaml"):
        shutil.copy(EXAMPLES / name, root / "mixes" / name)
    shutil.copy(fixture_path("action/waivers.yaml"), root / "waivers.yaml")
    (root / "sentinel").write_text("still here\n", encoding="utf-8")
    return root


def run_action(workspace: Path, **inputs: str) -> ActionRun:
    """Run the audit step of action.yml with these inputs (by their action.yml names)."""
    given = {name.replace("_", "-"): value for name, value in inputs.items()}
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    assert set(given) <= set(values), f"unknown inputs: {set(given) - set(values)}"
    values.update(given)
    runner = workspace.parent / "runner"
    runner.mkdir(exist_ok=True)
    summary, output = runner / "step_summary.md", runner / "github_output"
    summary.write_text("", encoding="utf-8")
    output.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "GITHUB_"))}
    for name, expression in audit_step()["env"].items():
        env[name] = _evaluate(expression, values)
    env |= {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", audit_step()["run"]],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return ActionRun(
        code=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        summary=summary.read_text(encoding="utf-8"),
        outputs=parse_outputs(output.read_text(encoding="utf-8")),
        workspace=workspace,
    )


def _evaluate(expression: str, inputs: dict[str, str]) -> str:
    match = EXPRESSION.match(expression)
    assert match, f"unexpected env expression {expression!r}"
    name = match.group(1)
    if name == "steps.install.outputs.python":
        return sys.executable
    assert name.startswith("inputs."), name
    return inputs[name.removeprefix("inputs.")]


def parse_outputs(text: str) -> dict[str, str]:
    """``$GITHUB_OUTPUT`` as the runner reads it: ``name<<delimiter`` blocks."""
    found: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, sep, delimiter = line.partition("<<")
        assert sep, f"not a heredoc output line: {line!r}"
        value: list[str] = []
        for body in lines:
            if body == delimiter:
                break
            value.append(body)
        else:
            pytest.fail(f"output {name} is not closed by its delimiter")
        found[name] = "\n".join(value)
    return found


# --- the whole run ---------------------------------------------------------------------------


def test_the_example_workflow_fails_only_after_writing_every_report(workspace: Path) -> None:
    step = next(s for s in WORKFLOW["jobs"]["audit"]["steps"] if s.get("id") == "auditor")
    result = run_action(workspace, **{k.replace("-", "_"): str(v) for k, v in step["with"].items()})

    assert result.code == 1, result.stdout + result.stderr
    # The summary, verdict first.
    assert result.summary.startswith("## ❌ auditor: FAIL\n")
    assert "| `youtube-bulk` | **blocked** |" in result.summary
    assert "Legal reviewed BY-SA for model weights (ticket LEGAL-42)." in result.summary
    # The outputs, with every report path.
    assert result.outputs == {
        "verdict": "fail",
        "sarif": "auditor.sarif",
        "markdown": "",
        "json": "",
    }
    # The SARIF file, valid, paths relative to the workspace.
    log = assert_valid_sarif((workspace / "auditor.sarif").read_text(encoding="utf-8"))
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    # Only what fails the gate becomes an alert: the clean mix's notes and warnings do not.
    failing = {f"mixes/{p.name}" for p in (workspace / "mixes").iterdir()}
    failing.discard("mixes/clean-commercial.yaml")
    assert uris == failing
    # The annotations: errors first, then warnings; then the one-line verdict, last.
    assert result.lines[-1].startswith("auditor: FAIL under policy 'commercial'")
    kinds = [line.split(" ", 1)[0] for line in result.lines[:-1]]
    assert kinds == sorted(kinds, key=["::error", "::warning"].index)


def test_annotations_point_at_manifest_lines_and_stop_at_the_limit(workspace: Path) -> None:
    result = run_action(workspace, manifests="mixes/video-mix.yaml mixes/instruct-mix.yaml")
    assert result.code == 1
    errors = result.annotations("error")
    assert len(errors) == ANNOTATION_LIMIT
    first = errors[0]
    match = re.match(r"::error file=(mixes/video-mix.yaml),line=(\d+),", first)
    assert match, first
    text = (workspace / match[1]).read_text(encoding="utf-8").splitlines()[int(match[2]) - 1]
    assert text.strip() == 'license: "Released for non-commercial research purposes only."'
    assert first.endswith(
        ",title=auditor%3A license-research-only::academic-clips: "
        "LicenseRef-Research-Only-Terms limits use to research or academic purposes"
    )
    # 18 errors: nine shown, and the tenth says how many more there are.
    assert errors[-1] == (
        "::error title=auditor%3A 9 more::9 more error finding(s) are not annotated; "
        "the job summary and the SARIF report list every finding."
    )
    warnings = result.annotations("warning")
    titles = [w.split("title=")[1].split("::")[0] for w in warnings]
    # YouTube's terms grant no license to the content, however it was collected: three reviews
    # (two datasets, one inherited), and dolly's share-alike; attribution aside (credit to name).
    assert (
        sorted(t for t in titles if "attribution-missing" not in t)
        == ["auditor%3A license-share-alike"] + ["auditor%3A tos-review"] * 3
    )
    assert not [line for line in result.lines if line.startswith("::notice")]


def test_a_clean_mix_passes_with_exit_0(workspace: Path) -> None:
    result = run_action(workspace, manifests="mixes/clean-commercial.yaml", json="out/report.json")
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["verdict"] == "pass"
    assert result.outputs["json"] == "out/report.json"
    assert (workspace / "out" / "report.json").is_file()
    assert result.summary.startswith("## ✅ auditor: PASS")
    assert not result.annotations("error")


def test_summary_false_writes_no_summary_and_globs_expand(workspace: Path) -> None:
    result = run_action(
        workspace, manifests="mixes/*-mix.yaml", summary="false", markdown="pr-comment.md"
    )
    assert result.code == 1
    assert result.summary == ""
    comment = (workspace / "pr-comment.md").read_text(encoding="utf-8")
    assert comment.startswith("## ❌ auditor: FAIL")
    assert "`alpaca`" in comment and "`youtube-bulk`" in comment
    assert result.outputs["markdown"] == "pr-comment.md"


def test_a_bad_manifest_is_an_input_error_at_its_line(workspace: Path) -> None:
    shutil.copy(fixture_path("manifest.unknown-key.yaml"), workspace / "mixes" / "bad.yaml")
    result = run_action(workspace, manifests="mixes/bad.yaml")
    assert result.code == 2
    assert result.lines[0].startswith(
        "::error file=mixes/bad.yaml,line=7,title=auditor%3A input error::unknown key 'licence'"
    )
    assert result.outputs == {"verdict": "error", "sarif": "", "markdown": "", "json": ""}
    assert result.summary.startswith("## ⚠️ auditor: input error\n\nmixes/bad.yaml:7: unknown key")
    assert not (workspace / "auditor.sarif").exists()
    assert "Traceback" not in result.stderr


# --- hostile inputs --------------------------------------------------------------------------

HOSTILE = [
    ("manifests", "$(touch pwned)", "no such file"),
    ("manifests", "`touch pwned`", "no such file"),
    ("manifests", "mixes/clean-commercial.yaml; rm -rf sentinel", "looks like an option"),
    ("manifests", "mixes/clean-commercial.yaml\n--format=x", "looks like an option"),
    ("manifests", "--format=x", "looks like an option"),
    ("policy", "$(touch pwned)", "no such policy file"),
    ("policy", "--format=x", "looks like an option"),
    ("policy", "commercial\n::set-output name=verdict::pass", "line break"),
    ("waivers", "; rm -rf sentinel", "no such file"),
    ("waivers", "-w/etc/passwd", "looks like an option"),
    ("fail-on", "error; touch pwned", "is not one of: error, warning"),
    ("fail-on", "--format=x", "looks like an option"),
    ("sarif", "--format=x", "looks like an option"),
    ("sarif", "a\nb", "line break"),
    ("markdown", "-o/tmp/x", "looks like an option"),
    ("json", "$(rm -rf sentinel)\n", None),
    ("summary", "true && touch pwned", "is not one of: true, false"),
]


@pytest.mark.parametrize(("name", "value", "refusal"), HOSTILE)
def test_hostile_inputs_are_inert(
    workspace: Path, name: str, value: str, refusal: str | None
) -> None:
    inputs = {"manifests": "mixes/clean-commercial.yaml", name.replace("-", "_"): value}
    result = run_action(workspace, **inputs)

    assert not (workspace / "pwned").exists(), "an input was executed"
    assert not (workspace.parent / "runner" / "pwned").exists()
    assert (workspace / "sentinel").read_text(encoding="utf-8") == "still here\n"
    assert "Traceback" not in result.stderr
    # Every line is one of the Action's own: no input can start a workflow command of its own.
    for line in result.lines:
        assert line.startswith(("::error ", "::warning ", "auditor: ")), line
    if refusal is None:
        # A strange but harmless path is just a file name.
        assert result.code == 0
        assert (workspace / value.strip()).is_file()
        return
    assert result.code == 2
    assert refusal in result.stdout
    assert result.outputs["verdict"] == "error"
    assert not (workspace / "auditor.sarif").exists(), "nothing is written on refused input"


def test_every_refused_input_is_reported_at_once() -> None:
    with pytest.raises(ActionInputError) as info:
        read_inputs({"AUDITOR_MANIFESTS": "-x", "AUDITOR_POLICY": "--p", "AUDITOR_SUMMARY": "no"})
    problems = info.value.problems
    assert [p.split(":")[0] for p in problems] == ["manifests", "policy", "summary"]


# --- escaping --------------------------------------------------------------------------------


def test_workflow_command_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_ids_with_command_syntax_stay_inside_one_annotation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(fixture_path("action/manifest.escaping.yaml"), tmp_path / "mix.yaml")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    code = run({"AUDITOR_MANIFESTS": "mix.yaml", "GITHUB_WORKSPACE": str(tmp_path)}, out)
    assert code == 1
    lines = [line for line in out.getvalue().splitlines() if "attribution-missing" not in line]
    assert len(lines) == 3
    # The id's "%" is escaped for the runner; its "::" runs are escapes, as in every output.
    escaped = "a|b%250A\\x3a\\x3awarning\\x3a\\x3ax,y:z: CC-BY-NC"
    assert f",title=auditor%3A license-noncommercial::{escaped}" in lines[1]


def test_hostile_names_reach_annotations_and_the_summary_inert(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(fixture_path("hostile/mix.yaml").parent, workspace / "hostile")
    result = run_here(workspace, monkeypatch, manifests="hostile/mix.yaml", json="report.json")
    assert result.code == 1
    for line in result.lines:
        # Each line is one of the Action's own commands, with no "::" but its own two.
        assert line.startswith(("::error ", "::warning ", "auditor: ")), line
        assert line.count("::") == (0 if line.startswith("auditor: ") else 2), line
    assert not RAW.search(result.stdout.replace("\n", " "))
    assert_inert(result.summary.replace("\n", " "))
    assert "license-noncommercial::evil\\x1b[31m\\u202e\\x3a\\x3aadd-mask" in result.stdout
    # The JSON report keeps the exact values.
    report = json.loads((workspace / "report.json").read_text(encoding="utf-8"))
    assert "evil\x1b[31m\u202e::add-mask::secret" in {d["id"] for d in report["datasets"]}


def test_outputs_use_a_delimiter_no_value_contains() -> None:
    text = outputs({"verdict": "fail", "path": "a\nb<<EOF"})
    assert parse_outputs(text) == {"verdict": "fail", "path": "a\nb<<EOF"}


# --- the files GitHub and pre-commit read ----------------------------------------------------


def test_action_yml_never_interpolates_inputs_into_scripts() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]
        for value in step.get("env", {}).values():
            assert EXPRESSION.match(value) or value.startswith("${{ runner.temp }}/"), value
    matches = [EXPRESSION.match(v) for v in audit_step()["env"].values()]
    mapped = {m[1] for m in matches if m}
    assert mapped >= {f"inputs.{name}" for name in ACTION["inputs"]}
    assert audit_step()["run"] == '"$AUDITOR_PYTHON" -I -m auditor.action'
    assert set(ACTION["outputs"]) == {"verdict", "sarif", "markdown", "json"}


def test_example_workflow_uploads_the_sarif() -> None:
    steps = WORKFLOW["jobs"]["audit"]["steps"]
    auditor = next(s for s in steps if s.get("id") == "auditor")
    assert set(auditor["with"]) <= set(ACTION["inputs"])
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/"))
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ steps.auditor.outputs.sarif }}"
    assert "!cancelled()" in upload["if"]
    assert WORKFLOW["permissions"]["security-events"] == "write"


@pytest.mark.parametrize(
    ("path", "audited"),
    [
        ("examples/video-mix.yaml", True),
        ("mix.yaml", True),
        ("data/train.manifest.json", True),
        ("datasets.yml", True),
        ("configs/pretrain_dataset.yaml", True),
        ("README.md", False),
        ("configs/remix.yaml", False),
        ("mixer.yaml", False),
    ],
)
def test_pre_commit_hook_audits_manifests(path: str, audited: bool) -> None:
    (hook,) = HOOKS
    assert hook["id"] == "auditor"
    assert hook["entry"] == "auditor check --format concise"  # one line per finding
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert bool(re.search(hook["files"], path)) is audited


# --- the same module in process, for the branches a subprocess hides from coverage -------------


def run_here(workspace: Path, monkeypatch: pytest.MonkeyPatch, **inputs: str) -> ActionRun:
    """``auditor.action.run`` in this process, with the same simulated runner files."""
    monkeypatch.chdir(workspace)
    summary, output = workspace.parent / "summary.md", workspace.parent / "output"
    env = {f"AUDITOR_{k.upper()}": v for k, v in inputs.items()}
    env |= {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    out = io.StringIO()
    code = run(env, out)
    return ActionRun(
        code=code,
        stdout=out.getvalue(),
        stderr="",
        summary=summary.read_text(encoding="utf-8") if summary.exists() else "",
        outputs=parse_outputs(output.read_text(encoding="utf-8")) if output.exists() else {},
        workspace=workspace,
    )


def test_in_process_run_writes_every_report(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_here(
        workspace,
        monkeypatch,
        manifests="mixes/*-mix.yaml",
        waivers="waivers.yaml",
        sarif="reports/auditor.sarif",
        markdown="reports/summary.md",
        json="reports/report.json",
    )
    assert result.code == 1
    assert result.outputs == {
        "verdict": "fail",
        "sarif": "reports/auditor.sarif",
        "markdown": "reports/summary.md",
        "json": "reports/report.json",
    }
    assert (workspace / "reports" / "summary.md").read_text(encoding="utf-8") == result.summary
    assert_valid_sarif((workspace / "reports" / "auditor.sarif").read_text(encoding="utf-8"))
    assert len(result.annotations("error")) == ANNOTATION_LIMIT


def test_a_relaxing_policy_is_announced_in_a_notice_and_the_summary(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(fixture_path("manifest.unknown-license.yaml"), workspace / "mix.yaml")
    shutil.copy(fixture_path("policy.relaxes-license-unknown.yaml"), workspace / "policy.yaml")
    result = run_here(workspace, monkeypatch, manifests="mix.yaml", policy="policy.yaml")
    assert result.code == 0
    note = "policy 'lenient-unknown' relaxes fail-closed rules: license-unknown"
    assert result.lines[0] == (
        f"::notice title=auditor%3A policy relaxes fail-closed rules::{note}"
    )
    assert result.lines[-1].endswith(f"; {note}")
    assert "relaxes fail-closed rules (sets them below error): `license-unknown`" in result.summary


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"manifests": ""}, "manifests: give at least one manifest file"),
        ({"manifests": "mixes/*.json"}, "manifests: no file matches 'mixes/*.json'"),
        ({"manifests": "mixes/clean-commercial.yaml", "fail_on": "info"}, "fail-on: 'info'"),
        ({"manifests": "mixes/clean-commercial.yaml\x1b[2J"}, "control character"),
        ({"manifests": "mixes/clean-commercial.yaml", "waivers": "nope.yaml"}, "nope.yaml"),
        ({"manifests": "mixes/clean-commercial.yaml", "sarif": "sentinel/x.sarif"}, "sentinel"),
        (
            {"manifests": "mixes/clean-commercial.yaml", "sarif": "mixes/clean-commercial.yaml"},
            "sarif: would overwrite the input mixes/clean-commercial.yaml",
        ),
        (
            {"manifests": "mixes/*.yaml", "waivers": "waivers.yaml", "json": "./waivers.yaml"},
            "json: would overwrite the input waivers.yaml",
        ),
    ],
)
def test_in_process_input_errors_exit_2(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, inputs: dict[str, str], message: str
) -> None:
    manifests = {p: p.read_bytes() for p in workspace.rglob("*.yaml")}
    result = run_here(workspace, monkeypatch, **inputs)
    assert result.code == 2
    assert result.lines[0].startswith("::error ")
    assert message in result.stdout
    assert result.outputs["verdict"] == "error"
    assert {p: p.read_bytes() for p in workspace.rglob("*.yaml")} == manifests


def _crash(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom\n::add-mask::secret")


def test_an_unexpected_exception_is_a_clean_error_with_outputs(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("auditor.action.audit", _crash)
    result = run_here(workspace, monkeypatch, manifests="mixes/clean-commercial.yaml")
    assert result.code == 2
    message = (
        "unexpected RuntimeError: boom \\x3a\\x3aadd-mask\\x3a\\x3asecret (a bug in auditor; "
        "please report it)"
    )
    assert result.lines == [f"::error title=auditor%3A internal error::{message}"]
    assert result.outputs == {"verdict": "error", "sarif": "", "markdown": "", "json": ""}
    assert result.summary.startswith("## ⚠️ auditor: internal error\n\nunexpected RuntimeError")
    # The traceback only when the runner's debug logging is on, and then as debug lines.
    out = io.StringIO()
    env = {"AUDITOR_MANIFESTS": "mixes/clean-commercial.yaml", "RUNNER_DEBUG": "1"}
    assert run(env, out) == 2
    debug = [line for line in out.getvalue().splitlines() if line.startswith("::debug::")]
    assert debug[0] == "::debug::Traceback (most recent call last):"
    assert all(line.count("::") == 2 for line in debug)


def test_in_process_baseline_fails_only_on_new_findings_and_summarises_the_changes(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(fixture_path("diff/mix.base.yaml"), workspace / "mix.yaml")
    base = run_here(workspace, monkeypatch, manifests="mix.yaml", json="base/report.json")
    assert base.code == 1  # the base branch's mix already fails
    shutil.copy(fixture_path("diff/mix.one-dataset-changed.yaml"), workspace / "mix.yaml")
    result = run_here(
        workspace, monkeypatch, manifests="mix.yaml", baseline="base/report.json", sarif=""
    )
    assert result.code == 1
    assert result.outputs["verdict"] == "fail"
    # Only the new finding is annotated; the old ones are in the summary and the reports.
    errors = result.annotations("error")
    assert len(errors) == 1
    assert "books: CC-BY-NC-4.0 prohibits commercial use" in errors[0]
    assert result.lines[-1].startswith(
        "auditor baseline: 1 new finding(s) at or above error fail the gate; "
    )
    summary = result.summary[len(base.summary) :]
    assert summary.startswith("## ❌ auditor: FAIL")
    assert "\n## auditor: changes since the baseline\n" in summary
    assert "The gate fails only on new findings at or above error: 1 does; 2 of" in summary
    assert "| `books` | allowed | **blocked** | 0.2 |" in summary


def test_in_process_baseline_passes_when_nothing_is_new(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(fixture_path("diff/mix.one-dataset-changed.yaml"), workspace / "mix.yaml")
    run_here(workspace, monkeypatch, manifests="mix.yaml", json="base.json", summary="false")
    shutil.copy(fixture_path("diff/mix.base.yaml"), workspace / "mix.yaml")
    result = run_here(workspace, monkeypatch, manifests="mix.yaml", baseline="base.json")
    assert result.code == 0
    assert result.outputs["verdict"] == "pass"
    assert result.annotations("error") == []
    assert re.search(r"\*\*0 new\*\*, [1-9][0-9]* fixed", result.summary)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"baseline": "missing.json"},
            "::error file=missing.json,title=auditor%3A input error::no such file",
        ),
        ({"baseline": "base.json", "json": "base.json"}, "json: would overwrite the input base"),
        ({"baseline": "--help"}, "baseline: '--help' looks like an option"),
    ],
)
def test_in_process_a_bad_baseline_is_an_input_error(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, inputs: dict[str, str], message: str
) -> None:
    shutil.copy(fixture_path("diff/mix.base.yaml"), workspace / "mix.yaml")
    (workspace / "base.json").write_text("{}", encoding="utf-8")
    result = run_here(workspace, monkeypatch, manifests="mix.yaml", **inputs)
    assert result.code == 2
    assert message in result.stdout
    assert result.outputs["verdict"] == "error"


def test_readme_workflows_use_only_inputs_the_action_has() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    steps = [
        step
        for block in blocks
        if "your-org/auditor@" in block and "jobs:" in block
        for job in yaml.safe_load(block)["jobs"].values()
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("your-org/auditor@")
    ]
    assert [step["with"].get("baseline") for step in steps] == [None, "base-report.json"]
    for step in steps:
        assert set(step["with"]) <= set(ACTION["inputs"]), step


def test_sarif_rules_link_their_documentation_in_the_actions_own_repository() -> None:
    from auditor.action import _rules_doc

    env = {"GITHUB_ACTION_REPOSITORY": "acme/auditor", "GITHUB_ACTION_REF": "v1.2.0"}
    assert _rules_doc(env) == "https://github.com/acme/auditor/blob/v1.2.0/docs/rules.md"
    assert _rules_doc({**env, "GITHUB_SERVER_URL": "https://ghe.example/"}) == (
        "https://ghe.example/acme/auditor/blob/v1.2.0/docs/rules.md"
    )
    assert _rules_doc({}) is None
