"""The GitHub Action: audit once, write every report, annotate, and only then gate.

``action.yml`` runs ``python -I -m auditor.action``. Inputs arrive only as environment variables
(``AUDITOR_MANIFESTS``, ``AUDITOR_POLICY``, ``AUDITOR_WAIVERS``, ``AUDITOR_FAIL_ON``,
``AUDITOR_SARIF``, ``AUDITOR_MARKDOWN``, ``AUDITOR_JSON``, ``AUDITOR_SUMMARY``,
``AUDITOR_BASELINE``); no value ever reaches a shell or an argument list, and a value that looks
like an option is refused.

With a ``baseline`` (a JSON report of the base branch, made by an earlier step), the gate is the
baseline's (``check --baseline``): it fails only on new findings, only they are annotated, and the
changes since the baseline (:mod:`auditor.diff`) follow the summary.

In order: the SARIF, Markdown and JSON reports are written atomically; the Markdown summary is
appended to ``$GITHUB_STEP_SUMMARY``; ``verdict`` and the report paths are set in
``$GITHUB_OUTPUT``; a policy that relaxes fail-closed rules is announced in a notice, and error
and warning findings are printed as workflow-command annotations, most severe first. The exit
code comes last: 0 the gate passes, 1 it fails, 2 an input error (also annotated at its file and
line). A report path that names an input is refused. An unexpected exception (a bug) is one error
annotation, exit 2, with the outputs still set (``verdict`` ``error``); its traceback is printed
only as ``::debug::`` lines when the runner's debug logging is on (``RUNNER_DEBUG=1``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import sys
import traceback
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict

from auditor.diff import diff
from auditor.engine import audit
from auditor.errors import AuditorError, InputError
from auditor.output import check_outputs, write_atomically
from auditor.policy import Severity
from auditor.render import relaxation_note, safe_text, visible_text
from auditor.render.json import render_json
from auditor.render.markdown import render_diff_markdown, render_input_error, render_markdown
from auditor.render.sarif import dataset_entries, locate, render_sarif, repository_path
from auditor.render.table import diff_line, summary_line
from auditor.report import ExitCode, Finding, Report, Verdict, load_report

# GitHub shows at most this many annotations of each kind per step.
ANNOTATION_LIMIT = 10

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning"}
_GLOB_CHARS = frozenset("*?[")


class ActionInputError(AuditorError):
    """An input of the Action that cannot be used, named as in ``action.yml``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class Inputs(BaseModel):
    """The Action's inputs, checked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    manifests: tuple[str, ...]
    policy: str = "commercial"
    waivers: str | None = None
    fail_on: Severity = Severity.ERROR
    sarif: str | None = None
    markdown: str | None = None
    json_report: str | None = None
    summary: bool = True
    baseline: str | None = None


@dataclass
class _Parser:
    env: Mapping[str, str]
    problems: list[str] = field(default_factory=list)

    def one(self, name: str, default: str = "") -> str:
        """A single value, ``default`` when empty; "" when refused."""
        value = self.env.get(_variable(name), "").strip() or default
        return "" if value and self.refused(name, value) else value

    def many(self, name: str) -> tuple[str, ...]:
        """One value per line, or values separated by spaces on a single line."""
        raw = self.env.get(_variable(name), "").strip()
        entries = [e.strip() for e in (raw.splitlines() if "\n" in raw else raw.split())]
        return tuple(e for e in entries if e and not self.refused(name, e))

    def refused(self, name: str, value: str) -> bool:
        if value.startswith("-"):
            self.problems.append(f"{name}: {value!r} looks like an option; give a path or a name")
        elif any(ord(c) < 32 or ord(c) == 127 for c in value):
            self.problems.append(f"{name}: {value!r} contains a line break or control character")
        else:
            return False
        return True


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """The Action's inputs from the environment; raises ActionInputError listing every problem."""
    p = _Parser(env)
    manifests = p.many("manifests")
    if not manifests and not p.problems:
        p.problems.append("manifests: give at least one manifest file")
    policy = p.one("policy", "commercial")
    waivers = p.one("waivers")
    fail_on = p.one("fail-on", "error").lower()
    if fail_on and fail_on not in ("error", "warning"):
        p.problems.append(f"fail-on: {fail_on!r} is not one of: error, warning")
    sarif, markdown, json_report = p.one("sarif"), p.one("markdown"), p.one("json")
    summary = p.one("summary", "true").lower()
    if summary and summary not in ("true", "false"):
        p.problems.append(f"summary: {summary!r} is not one of: true, false")
    baseline = p.one("baseline")
    paths = _expand(manifests, p.problems)
    reports = {"sarif": sarif, "markdown": markdown, "json": json_report}
    try:
        check_outputs(
            {name: Path(value) for name, value in reports.items() if value},
            [
                *map(Path, paths),
                Path(waivers) if waivers else None,
                Path(policy),
                Path(baseline) if baseline else None,
            ],
            new_folders=True,
        )
    except InputError as err:
        p.problems.append(err.message)
    if p.problems:
        raise ActionInputError(p.problems)
    return Inputs(
        manifests=paths,
        policy=policy,
        waivers=waivers or None,
        fail_on=Severity(fail_on),
        sarif=sarif or None,
        markdown=markdown or None,
        json_report=json_report or None,
        summary=summary == "true",
        baseline=baseline or None,
    )


def _variable(name: str) -> str:
    return "AUDITOR_" + name.upper().replace("-", "_")


def _expand(entries: Iterable[str], problems: list[str]) -> tuple[str, ...]:
    """Glob patterns (``data/**/*.yaml``) expanded, in order; other entries kept as given."""
    paths: list[str] = []
    for entry in entries:
        if _GLOB_CHARS.isdisjoint(entry):
            paths.append(entry)
            continue
        # Path.glob takes no absolute pattern.
        matches = sorted(glob.glob(entry, recursive=True))  # noqa: PTH207
        if not matches:
            problems.append(f"manifests: no file matches {entry!r}")
        paths.extend(matches)
    return tuple(dict.fromkeys(paths))


def run(env: Mapping[str, str], out: TextIO) -> int:
    """Everything the Action does; returns the exit code.

    An unexpected exception is a bug, but the job still gets a clean error, exit 2 and its
    outputs, never a traceback in the log (unless debug logging is on).
    """
    try:
        return _run(env, out)
    except Exception as exc:
        message = f"unexpected {type(exc).__name__}: {exc} (a bug in auditor; please report it)"
        out.write(annotation("error", message, title="auditor: internal error") + "\n")
        if env.get("RUNNER_DEBUG") == "1":
            for line in traceback.format_exc().splitlines():
                out.write(annotation("debug", line) + "\n")
        with contextlib.suppress(OSError):
            _input_failure(
                message,
                env.get("GITHUB_STEP_SUMMARY"),
                env.get("GITHUB_OUTPUT"),
                summary=env.get("AUDITOR_SUMMARY", "").strip().lower() != "false",
                heading="internal error",
            )
        return ExitCode.INPUT


def _run(env: Mapping[str, str], out: TextIO) -> int:
    root = Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
    summary_file = env.get("GITHUB_STEP_SUMMARY")
    output_file = env.get("GITHUB_OUTPUT")
    try:
        inputs = read_inputs(env)
    except ActionInputError as err:
        for problem in err.problems:
            out.write(annotation("error", problem, title="auditor: input refused") + "\n")
        return _input_failure(str(err), summary_file, output_file, summary=True)
    try:
        old = load_report(Path(inputs.baseline)) if inputs.baseline else None
        report = audit(
            inputs.manifests,
            policy=inputs.policy,
            waivers=inputs.waivers,
            fail_on=inputs.fail_on,
        )
    except InputError as err:
        where = repository_path(err.path, root)
        out.write(
            annotation(
                "error", err.message, file=where, line=err.line, title="auditor: input error"
            )
            + "\n"
        )
        return _input_failure(str(err), summary_file, output_file, summary=inputs.summary)

    changes = diff(old, report) if old is not None else None
    markdown = render_markdown(report)
    if changes is not None:
        markdown += "\n" + render_diff_markdown(changes, fail_on=report.fail_on)
    texts = {
        "sarif": render_sarif(report, root=root, help_base=_rules_doc(env)),
        "markdown": markdown,
        "json": render_json(report),
    }
    passed = report.passed if changes is None else not changes.failing(report.fail_on)
    targets = {"sarif": inputs.sarif, "markdown": inputs.markdown, "json": inputs.json_report}
    try:
        for name, target in targets.items():
            if target is not None:
                _write(Path(target), texts[name])
    except OSError as err:
        message = f"{err.filename}: {err.strerror or err}"
        out.write(annotation("error", message, title="auditor: cannot write a report") + "\n")
        return _input_failure(message, summary_file, output_file, summary=inputs.summary)
    if inputs.summary and summary_file:
        _append(summary_file, texts["markdown"])
    if output_file:
        paths = {name: target or "" for name, target in targets.items()}
        verdict = Verdict.PASS if passed else Verdict.FAIL
        _append(output_file, outputs({"verdict": verdict.value, **paths}))
    note = relaxation_note(report)
    if note is not None:
        out.write(
            annotation("notice", note, title="auditor: policy relaxes fail-closed rules") + "\n"
        )
    shown = changes.new_findings if changes is not None else report.findings
    for line in finding_annotations(report, root, shown):
        out.write(line + "\n")
    out.write(_one_line(summary_line(report)) + "\n")
    if changes is not None:
        out.write(_one_line(diff_line(changes, report.fail_on)) + "\n")
    return ExitCode.PASS if passed else ExitCode.FAIL


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)


def _input_failure(
    message: str,
    summary_file: str | None,
    output_file: str | None,
    *,
    summary: bool,
    heading: str = "input error",
) -> int:
    if summary and summary_file:
        _append(summary_file, render_input_error(message, heading=heading))
    if output_file:
        _append(output_file, outputs({"verdict": "error", "sarif": "", "markdown": "", "json": ""}))
    return ExitCode.INPUT


def finding_annotations(
    report: Report, root: Path, findings: Iterable[Finding] | None = None
) -> list[str]:
    """``::error`` and ``::warning`` lines for unwaived findings (of ``findings``, by default the
    report's), at most the limit of each kind.

    When there are more, the last line of that kind says how many were left out.
    """
    chosen = list(report.findings if findings is None else findings)
    entries = dataset_entries(report)
    lines: list[str] = []
    for severity, command in _COMMAND.items():
        found = [f for f in chosen if f.severity is severity and not f.waived]
        shown = found if len(found) <= ANNOTATION_LIMIT else found[: ANNOTATION_LIMIT - 1]
        for f in shown:
            where = locate(report, f, entries)
            lines.append(
                annotation(
                    command,
                    f"{f.dataset}: {f.message}",
                    file=repository_path(where.path, root) if where else None,
                    line=where.line if where else None,
                    title=f"auditor: {f.rule.value}",
                )
            )
        if len(found) > len(shown):
            lines.append(
                annotation(
                    command,
                    f"{len(found) - len(shown)} more {command} finding(s) are not annotated; "
                    "the job summary and the SARIF report list every finding.",
                    title=f"auditor: {len(found) - len(shown)} more",
                )
            )
    return lines


def annotation(
    command: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    title: str | None = None,
) -> str:
    """One workflow command, its properties and message escaped as GitHub's runner expects.

    Every text is made safe first (:func:`~auditor.render.safe_text`): no control character
    reaches the log or the annotation, and no value carries a ``::`` of its own. A property's
    colons and commas are percent-encoded (``%3A``, ``%2C``), as the runner decodes them, so
    GitHub places the annotation on the file even when its name holds them.
    """
    props = [("file", file), ("line", str(line) if line else None), ("title", title)]
    rendered = ",".join(f"{k}={escape_property(visible_text(v))}" for k, v in props if v)
    return f"::{command}{' ' + rendered if rendered else ''}::{escape_data(safe_text(message))}"


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def outputs(values: Mapping[str, str]) -> str:
    """Step outputs in the ``name<<delimiter`` form, which holds any value safely."""
    blocks = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        blocks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(blocks)


def _append(path: str, text: str) -> None:
    with Path(path).open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _rules_doc(env: Mapping[str, str]) -> str | None:
    """The rules' documentation in the action's own repository, at the ref the workflow uses
    (``uses: owner/auditor@ref``), for each SARIF rule's ``helpUri``; None outside an action."""
    repository, ref = env.get("GITHUB_ACTION_REPOSITORY"), env.get("GITHUB_ACTION_REF")
    if not repository or not ref:
        return None
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{repository}/blob/{ref}/docs/rules.md"


def main() -> None:
    sys.exit(run(os.environ, sys.stdout))


if __name__ == "__main__":
    main()
