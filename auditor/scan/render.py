"""Renderers of the scan report: a rich table for people, JSON for machines (pure functions).

Every value in the table and the summary line comes from the scanned data or the command line, so
each passes through :func:`~auditor.render.safe_text`; the JSON report keeps values exactly.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.render import safe_text
from auditor.scan.classify import Verdict
from auditor.scan.report import Samples, ScanReport

TABLE_DOMAINS = 20
_STYLE = {
    Verdict.ALLOWED: "green",
    Verdict.REVIEW: "yellow",
    Verdict.BLOCKED: "bold red",
    Verdict.INVALID: "magenta",
}


def render_json(report: ScanReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def _percent(share: float) -> str:
    return f"{share * 100:.2f}%"


def render_table(report: ScanReport, console: Console) -> None:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("input", Text(safe_text(f"{report.input} ({report.input_format})")))
    head.add_row("policy", Text(f"{safe_text(report.policy)}, fail on {report.fail_on.value}"))
    head.add_row("method", Text(safe_text(report.method)))
    head.add_row("rows", Text(f"{report.rows:,}"))
    for verdict, n in report.verdicts.items():
        head.add_row(verdict.value, Text(f"{n:,}", style=_STYLE[verdict]))
    for reason, n in report.invalid.items():
        head.add_row(f"  invalid: {reason}", Text(f"{n:,}"))
    for note in report.notes:
        head.add_row("note", Text(safe_text(note)))
    console.print(head)
    if report.rules:
        rules = Table(title="Rows by rule", title_justify="left")
        rules.add_column("rule", no_wrap=True)
        rules.add_column("severity", no_wrap=True)
        rules.add_column("rows", justify="right")
        for item in report.rules:
            severity = item.severity.value if item.severity else "-"
            rules.add_row(Text(item.rule), Text(severity), Text(f"{item.rows:,}"))
        console.print(rules)
    if report.domains:
        shown = report.domains[:TABLE_DOMAINS]
        domains = Table(
            title=f"Domains by rows (top {len(shown)} of {report.domains_counted})"
            + (", bounded: lower bounds" if report.domains_bounded else ""),
            title_justify="left",
        )
        domains.add_column("domain", overflow="fold")
        domains.add_column("platform", no_wrap=True)
        domains.add_column("rows", justify="right")
        domains.add_column("share", justify="right")
        domains.add_column("verdict", no_wrap=True)
        domains.add_column("reasons", overflow="fold")
        for row in shown:
            domains.add_row(
                Text(safe_text(row.domain)),
                Text(safe_text(row.platform or "-")),
                Text(f"{row.rows:,}"),
                Text(_percent(row.share)),
                Text(row.verdict.value, style=_STYLE[row.verdict]),
                Text(", ".join(r.rule for r in row.reasons if r.severity is not None) or "-"),
            )
        console.print(domains)
    for platform in report.platforms:
        for finding in platform.findings:
            console.print(
                Text.assemble(
                    (f"{platform.name}: ", "bold"),
                    safe_text(f"{finding.rule} ({finding.severity.value}) {finding.message}"),
                    (f"\n  source: {finding.source_url} ({finding.version})", "dim"),
                )
            )
    top = safe_text(", ".join(f"{d.domain} {_percent(d.share)}" for d in report.top_domains[:10]))
    more = len(report.top_domains) - 10
    console.print(
        Text(
            f"Top {report.top_domains_fraction:.0%} of domains by rows "
            f"({len(report.top_domains):,}): {top}" + (f", and {more:,} more" if more > 0 else "")
        )
    )
    console.print(Text(_verdict(report), style="bold green" if report.passed else "bold red"))
    if report.samples is not None:
        _render_samples(report.samples, console)


def _verdict(report: ScanReport) -> str:
    return (
        f"verdict: {'PASS' if report.passed else 'FAIL'} - {report.split.blocked:,} of "
        f"{_rows(report.rows)} kept out ({_percent(report.blocked_share)}; at most "
        f"{_percent(report.max_blocked_share)} allowed)"
    )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def summary_line(report: ScanReport) -> str:
    """The one line the CLI prints on stderr: the report's own counts, in its own words (each
    row in exactly one verdict), then the rows kept out of the allowed set and the gate."""
    verdicts = ", ".join(f"{n:,} {verdict.value}" for verdict, n in report.verdicts.items())
    return (
        f"auditor scan: {'PASS' if report.passed else 'FAIL'} - {_rows(report.rows)}: "
        f"{verdicts}; {report.split.blocked:,} kept out ({_percent(report.blocked_share)}; "
        f"max {_percent(report.max_blocked_share)}), policy {safe_text(report.policy)}"
    )


# --- keyed samples (auditor/scan/samples.py) ---------------------------------------------------

TABLE_SAMPLES = 20


def _render_samples(samples: Samples, console: Console) -> None:
    """The samples kept out, by shard and key (a scan of keyed samples)."""
    if samples.dataset_license is not None:
        claim = samples.dataset_license
        rules = ", ".join(claim.rules) or "none"
        console.print(
            Text(safe_text(f"dataset license: {claim.raw} ({claim.status}; rules: {rules})"))
        )
    if not samples.blocked:
        return
    shown = samples.blocked[:TABLE_SAMPLES]
    table = Table(
        title=f"Samples kept out (first {len(shown)} of {samples.blocked_total:,})",
        title_justify="left",
    )
    table.add_column("shard", overflow="fold")
    table.add_column("key", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    table.add_column("rules", overflow="fold")
    for sample in shown:
        table.add_row(
            Text(safe_text(sample.shard)),
            Text(safe_text(sample.key)),
            Text(sample.verdict.value),
            Text(", ".join(sample.rules)),
        )
    console.print(table)
    if samples.blocked_keys_file is not None:
        console.print(Text(safe_text(f"all their keys: {samples.blocked_keys_file}")))
