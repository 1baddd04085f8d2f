"""The human report: a table of datasets, then each dataset's findings, then the verdict.

A diff of two reports (``auditor diff``) prints as its verdicts that changed, the weight by verdict,
and the new and fixed findings.

Printed through rich; user data is always plain ``Text`` (never markup), so a dataset named
``foo[bold]`` prints as is, and passes through :func:`~auditor.render.safe_text`, so no control
character reaches the terminal and no value can start a workflow command in a CI log.

A large report (more than :data:`PLAIN_ABOVE` datasets and findings together) is written as plain
lines instead, the same text without colour, box drawing or wrapping: rich lays out a few
thousand lines a second, so at 10,000 datasets drawing the table would cost ten times the audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.diff import Diff, WeightShare, moved
from auditor.model import Location
from auditor.policy import Severity
from auditor.render import relaxation_note, safe_text
from auditor.report import (
    DatasetReport,
    DatasetVerdict,
    Finding,
    Report,
    Verdict,
    findings_by_dataset,
)

_VERDICT_STYLE = {
    DatasetVerdict.ALLOWED: "green",
    DatasetVerdict.REVIEW: "yellow",
    DatasetVerdict.BLOCKED: "bold red",
}
_SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


# Datasets and findings together above which the report is written as plain lines.
PLAIN_ABOVE = 2_000


def render_table(report: Report, console: Console) -> None:
    """Print the report to ``console``."""
    found = findings_by_dataset(report.findings)
    if len(report.datasets) + len(report.findings) > PLAIN_ABOVE:
        console.file.write("".join(_plain_lines(report, found)))
        return
    console.print(_datasets_table(report.datasets))
    for ds in report.datasets:
        findings = found.get(ds.id, ())
        if findings:
            console.print()
            console.print(_dataset_block(ds, findings))
    orphans = sorted(found.keys() - {d.id for d in report.datasets})
    for dataset in orphans:
        console.print()
        console.print(_findings_text(found[dataset]))
    console.print()
    console.print(_verdict_line(report))


def _plain_lines(report: Report, found: Mapping[str, Sequence[Finding]]) -> Iterator[str]:
    """The report as :func:`render_table` prints it, each line as plain text: the datasets in
    aligned columns, then the findings blocks and the verdict as the table shows them."""
    head = ("dataset", "license as found", "resolved (how)", "commercial use", "verdict")
    rows = [head, *(_dataset_row(ds) for ds in report.datasets)]
    widths = [min(max(len(row[i]) for row in rows), 40) for i in range(len(head) - 1)]
    yield "Datasets\n"
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        yield "  ".join((*cells, row[-1])) + "\n"
    known = set()
    for ds in report.datasets:
        known.add(ds.id)
        findings = found.get(ds.id, ())
        if findings:
            yield "\n" + _dataset_plain(ds, findings) + "\n"
    for dataset in sorted(found.keys() - known):
        plain = ("".join(text for text, _ in _finding_parts(f)) for f in found[dataset])
        yield "\n" + "\n".join(plain) + "\n"
    yield "\n" + _verdict_line(report).plain + "\n"


def _dataset_row(ds: DatasetReport) -> tuple[str, str, str, str, str]:
    lic = ds.license
    resolved = lic.expression or ("ambiguous" if lic.candidates else "unknown")
    return (
        safe_text(ds.id),
        safe_text(lic.raw) if lic.raw is not None else "(none)",
        safe_text(f"{resolved} ({lic.status.value})"),
        lic.commercial_use.value,
        ds.verdict.value,
    )


def _where(location: Location | None) -> str:
    if location is None:
        return ""
    return safe_text(location.path + (f":{location.line}" if location.line else ""))


def _datasets_table(datasets: Iterable[DatasetReport]) -> Table:
    table = Table(title="Datasets", title_justify="left")
    table.add_column("dataset", overflow="fold")
    table.add_column("license as found", overflow="fold", max_width=40)
    table.add_column("resolved (how)", overflow="fold")
    table.add_column("commercial use", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for ds in datasets:
        *cells, verdict = _dataset_row(ds)
        table.add_row(*map(Text, cells), Text(verdict, style=_VERDICT_STYLE[ds.verdict]))
    return table


# Text with the style it is shown in ("": none): one layout for the table and the plain lines.
_Part = tuple[str, str]


def _dataset_block(ds: DatasetReport, findings: Sequence[Finding]) -> Text:
    return Text("\n").join(
        [Text.assemble(*_head_parts(ds)), *(Text.assemble(*_finding_parts(f)) for f in findings)]
    )


def _dataset_plain(ds: DatasetReport, findings: Sequence[Finding]) -> str:
    blocks = [_head_parts(ds), *map(_finding_parts, findings)]
    return "\n".join("".join(text for text, _ in parts) for parts in blocks)


def _head_parts(ds: DatasetReport) -> list[_Part]:
    parts = [
        (ds.verdict.value.upper(), _VERDICT_STYLE[ds.verdict]),
        ("  ", ""),
        (safe_text(ds.id), "bold"),
        (f"  {safe_text(ds.name)}" if ds.name and ds.name != ds.id else "", ""),
        (f"  {_where(ds.location)}", "dim"),
    ]
    if ds.license.decisions:
        parts.append(("\n  license: " + safe_text("; ".join(ds.license.decisions)), "dim"))
    return parts


def _findings_text(findings: Iterable[Finding]) -> Text:
    return Text("\n").join(Text.assemble(*_finding_parts(f)) for f in findings)


def _finding_parts(f: Finding) -> list[_Part]:
    label = f"waived {f.severity.value}" if f.waived else f.severity.value
    style = "dim" if f.waived else _SEVERITY_STYLE[f.severity.value]
    parts = [("  ", ""), (f"{label:<8}", style), (" ", ""), (f.rule.value, "bold")]
    where = _where(f.location)
    if where:
        parts.append((f"  {where}", "dim"))
    parts.append((f"\n           {safe_text(f.message)}", ""))
    ev = f.evidence
    if ev is not None and ev.quote:
        parts.append((f'\n           "{safe_text(ev.quote)}"', "italic"))
    if ev is not None and ev.source_url:
        source = safe_text(f"{ev.source_url} ({ev.version})")
        parts.append((f"\n           source: {source}", "dim"))
    if f.waiver is not None:
        w = f.waiver
        parts.append(
            (
                f"\n           waived: {safe_text(w.reason)} (approved by "
                f"{safe_text(w.approved_by)}, expires {w.expires.isoformat()}, "
                f"{_where(w.location)})",
                "dim",
            )
        )
    return parts


def _verdict_line(report: Report) -> Text:
    t = report.totals
    style = "bold green" if report.verdict is Verdict.PASS else "bold red"
    line = Text.assemble(
        (f"verdict: {report.verdict.value.upper()}", style),
        f" (policy {safe_text(report.policy)}, fail on {report.fail_on.value}): "
        f"{_count(t.datasets, 'dataset')}: {t.allowed} allowed, {t.review} review, "
        f"{t.blocked} blocked; {_count(t.errors, 'error')}, {_count(t.warnings, 'warning')}, "
        f"{t.infos} info, {t.waived} waived",
    )
    note = relaxation_note(report)
    if note is not None:
        line.append(f"\n{note}", style="bold yellow")
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def summary_line(report: Report) -> str:
    """One plain line for stderr."""
    t = report.totals
    note = relaxation_note(report)
    return (
        f"auditor: {report.verdict.value.upper()} under policy '{safe_text(report.policy)}': "
        f"{_count(t.datasets, 'dataset')} ({t.allowed} allowed, {t.review} review, "
        f"{t.blocked} blocked), {_count(t.errors, 'error')}, {_count(t.warnings, 'warning')}, "
        f"{t.waived} waived" + (f"; {note}" if note else "")
    )


def render_diff_table(changes: Diff, console: Console) -> None:
    """Print the diff of two reports to ``console``."""
    if changes.datasets:
        table = Table(title="Verdicts and weights that changed", title_justify="left")
        for column in ("dataset", "was", "now", "weight", "why"):
            table.add_column(column, overflow="fold")
        for change in changes.datasets:
            table.add_row(
                Text(safe_text(change.dataset)),
                Text(change.old_verdict.value if change.old_verdict else "-"),
                Text(change.new_verdict.value if change.new_verdict else "-"),
                Text(moved(change.old_weight, change.new_weight)),
                Text(safe_text("; ".join(change.reasons))),
            )
        console.print(table)
        console.print()
    if changes.weight:
        console.print(Text("weight by verdict: " + _shares(changes.weight)))
    for label, findings in (("new", changes.new_findings), ("fixed", changes.fixed_findings)):
        if findings:
            console.print(Text(f"{label} findings:", style="bold"))
            console.print(_findings_text(findings))
    for reason in changes.reasons:
        console.print(Text(f"changed for every dataset: {safe_text(reason)}", style="dim"))
    console.print(Text(diff_line(changes)))


def diff_line(changes: Diff, fail_on: Severity | None = None) -> str:
    """One plain line: how many findings are new, fixed and unchanged; with ``fail_on``, how
    many new ones fail the gate and how many old ones remain (``check --baseline``)."""
    counts = (
        f"{len(changes.new_findings)} new, {len(changes.fixed_findings)} fixed, "
        f"{len(changes.unchanged_findings)} unchanged finding(s)"
    )
    verdict = f"verdict {changes.old_verdict.value} → {changes.new_verdict.value}"
    if fail_on is None:
        return f"auditor diff: {counts}; {verdict}"
    failing = len(changes.failing(fail_on))
    remain = len(changes.remaining(fail_on))
    return (
        f"auditor baseline: {failing} new finding(s) at or above {fail_on.value} fail the gate; "
        f"{remain} at or above {fail_on.value} remain from the baseline ({counts})"
    )


def _shares(shares: Iterable[WeightShare]) -> str:
    return ", ".join(f"{s.verdict.value} {moved(s.old, s.new)}" for s in shares)
