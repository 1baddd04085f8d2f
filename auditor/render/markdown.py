"""A compact Markdown summary for a job summary or a pull-request comment.

The verdict first; then a table of the datasets that are blocked or need review, one row per
finding with its reason and line; then the waived findings and the totals. User data is made safe
(:func:`~auditor.render.safe_text`) and escaped, so a dataset named ``a|b`` or ``**x**`` cannot
break the table or add formatting, and no control character reaches the job summary or a log.

A diff of two reports (``auditor diff``, the Action with a ``baseline``) renders as a section of
its own: the counts, the verdicts and weights that changed and why, and the new and fixed findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from auditor.diff import Diff, moved
from auditor.model import Location
from auditor.policy import Severity
from auditor.render import safe_text
from auditor.report import DatasetVerdict, Finding, Report, Verdict, WaiverStatus

MAX_ROWS = 50

_VERDICT_RANK = {DatasetVerdict.BLOCKED: 0, DatasetVerdict.REVIEW: 1, DatasetVerdict.ALLOWED: 2}
_SPECIAL = re.compile(r"([\\`*_\[\]<>&~$])")


def render_markdown(report: Report, *, max_rows: int = MAX_ROWS) -> str:
    """The summary; the findings table stops after ``max_rows`` rows and says how many are left."""
    parts = [_headline(report), _findings_table(report, max_rows), _waived(report), _totals(report)]
    return "\n\n".join(p for p in parts if p) + "\n"


def render_input_error(message: str, *, heading: str = "input error") -> str:
    """The summary when the audit could not run: the error, and no verdict."""
    return f"## ⚠️ auditor: {heading}\n\n{_text(message)}\n"


def _headline(report: Report) -> str:
    t = report.totals
    passed = report.verdict is Verdict.PASS
    icon, word = ("✅", "passes") if passed else ("❌", "fails")
    relaxes = ", ".join(_code(rule.value) for rule in report.policy_relaxes)
    return (
        f"## {icon} auditor: {report.verdict.value.upper()}\n\n"
        f"The training-data gate {word} under policy {_code(report.policy)} "
        f"(fail on {report.fail_on.value}): {t.blocked} of {t.datasets} datasets blocked, "
        f"{t.review} for review."
        + (
            f"\n\n> ⚠️ Policy {_code(report.policy)} relaxes fail-closed rules (sets them below "
            f"error): {relaxes}."
            if relaxes
            else ""
        )
    )


def _findings_table(report: Report, max_rows: int) -> str:
    verdicts: dict[str, DatasetVerdict] = {}
    for ds in report.datasets:
        current = verdicts.get(ds.id, DatasetVerdict.ALLOWED)
        verdicts[ds.id] = min(current, ds.verdict, key=_VERDICT_RANK.__getitem__)
    live = [f for f in report.findings if not f.waived and f.severity is not Severity.INFO]
    if not live:
        return ""

    def order(f: Finding) -> tuple[int, str, int, int]:
        verdict = verdicts.get(f.dataset, _verdict_of(f.severity))
        line = f.location.line or 0 if f.location else 0
        return (_VERDICT_RANK[verdict], f.dataset, -f.severity.rank, line)

    rows = [
        "| dataset | verdict | finding | reason | line |",
        "|---|---|---|---|---|",
    ]
    previous = None
    shown = sorted(live, key=order)[:max_rows]
    for f in shown:
        first = f.dataset != previous
        previous = f.dataset
        verdict = verdicts.get(f.dataset, _verdict_of(f.severity))
        cells = [
            _code(f.dataset) if first else "",
            f"**{verdict.value}**" if first else "",
            f"{f.severity.value}: {_code(f.rule.value)}",
            _text(f.message),
            _code(_where(f.location)) if f.location else "",
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    more = len(live) - len(shown)
    if more:
        rows.append(f"\n…and {more} more; the SARIF and JSON reports list every finding.")
    return "### Blocked and review datasets\n\n" + "\n".join(rows)


def _verdict_of(severity: Severity) -> DatasetVerdict:
    return DatasetVerdict.BLOCKED if severity is Severity.ERROR else DatasetVerdict.REVIEW


def _waived(report: Report) -> str:
    items = [
        f"- {_code(f.dataset)} {_code(f.rule.value)} ({f.severity.value})"
        + (f" at {_code(_where(f.location))}" if f.location else "")
        + f": {_text(f.waiver.reason)} Approved by {_text(f.waiver.approved_by)}, "
        f"expires {f.waiver.expires.isoformat()}."
        for f in report.findings
        if f.waiver is not None
    ]
    unused = [w for w in report.waivers if w.status is WaiverStatus.UNUSED]
    if unused:
        items.append(
            f"- {len(unused)} waiver(s) matched no finding: "
            + ", ".join(
                f"{_code(w.rule.value)} for {_code(w.dataset)}"
                + (f" inherited from {_code(w.upstream)}" if w.upstream else "")
                for w in unused
            )
        )
    return "### Waived\n\n" + "\n".join(items) if items else ""


def _totals(report: Report) -> str:
    t = report.totals
    head = ("datasets", "allowed", "review", "blocked", "errors", "warnings", "info", "waived")
    values = (t.datasets, t.allowed, t.review, t.blocked, t.errors, t.warnings, t.infos, t.waived)
    return (
        "### Totals\n\n"
        + _row(head)
        + "\n"
        + _row("---:" for _ in head)
        + "\n"
        + _row(str(v) for v in values)
        + f"\n\n<sub>auditor {_text(report.tool_version)}; it informs legal review and is not "
        "legal advice.</sub>"
    )


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _where(location: Location) -> str:
    return location.path + (f":{location.line}" if location.line else "")


def _one_line(value: str) -> str:
    return " ".join(safe_text(value).split())


def _text(value: str) -> str:
    """User text with Markdown's inline syntax escaped."""
    return _SPECIAL.sub(r"\\\1", _one_line(value))


def _code(value: str) -> str:
    """A code span that holds any text, backticks included."""
    flat = _one_line(value)
    runs = [len(r) for r in re.findall(r"`+", flat)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _cell(value: str) -> str:
    """A table cell: a pipe, even inside a code span, must be escaped to stay in its cell."""
    return value.replace("|", "\\|")


# The escaping that other Markdown documents (the EU training-content summary) share.
escape_text, code_span, table_cell = _text, _code, _cell


def render_diff_markdown(
    changes: Diff, *, fail_on: Severity | None = None, max_rows: int = MAX_ROWS
) -> str:
    """The changes since a baseline report; with ``fail_on``, what the baseline gate decides."""
    counts = (
        f"**{len(changes.new_findings)} new**, {len(changes.fixed_findings)} fixed and "
        f"{len(changes.unchanged_findings)} unchanged findings; the verdict was "
        f"{changes.old_verdict.value} and is {changes.new_verdict.value}."
    )
    if fail_on is not None:
        failing, remain = len(changes.failing(fail_on)), len(changes.remaining(fail_on))
        counts += (
            f" The gate fails only on new findings at or above {fail_on.value}: "
            f"{failing} {'does' if failing == 1 else 'do'}; {remain} of the baseline remain."
        )
    parts = [f"## auditor: changes since the baseline\n\n{counts}"]
    if changes.reasons:
        parts.append(
            "Changed for every dataset: " + "; ".join(_text(r) for r in changes.reasons) + "."
        )
    if changes.datasets:
        rows = ["| dataset | was | now | weight | why |", "|---|---|---|---|---|"]
        for change in changes.datasets[:max_rows]:
            cells = [
                _code(change.dataset),
                change.old_verdict.value if change.old_verdict else "-",
                f"**{change.new_verdict.value}**" if change.new_verdict else "-",
                moved(change.old_weight, change.new_weight),
                "; ".join(_text(r) for r in change.reasons),
            ]
            rows.append(_row(_cell(c) for c in cells))
        parts.append("### Verdicts and weights that changed\n\n" + "\n".join(rows))
    if changes.weight:
        rows = ["| verdict | weight before | weight now |", "|---|---:|---:|"]
        rows += [_row((s.verdict.value, f"{s.old:g}", f"{s.new:g}")) for s in changes.weight]
        parts.append("### Weight of the mix by verdict\n\n" + "\n".join(rows))
    for title, findings in (("New", changes.new_findings), ("Fixed", changes.fixed_findings)):
        if findings:
            parts.append(f"### {title} findings\n\n" + _finding_rows(findings, max_rows))
    return "\n\n".join(parts) + "\n"


def _finding_rows(findings: tuple[Finding, ...], max_rows: int) -> str:
    rows = ["| dataset | finding | reason | line |", "|---|---|---|---|"]
    for f in findings[:max_rows]:
        severity = f"waived {f.severity.value}" if f.waived else f.severity.value
        cells = [
            _code(f.dataset),
            f"{severity}: {_code(f.rule.value)}",
            _text(f.message),
            _code(_where(f.location)) if f.location else "",
        ]
        rows.append(_row(_cell(c) for c in cells))
    if len(findings) > max_rows:
        rows.append(
            f"\n…and {len(findings) - max_rows} more; `auditor diff --format json` lists all."
        )
    return "\n".join(rows)
