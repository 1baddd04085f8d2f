"""The scan report as one HTML page (pure): the gate and the blocked share first, a chart of the
rows by verdict, then rows by rule, the top domains, the domains with their verdicts and reasons,
the platforms with the terms behind their findings, the per-row licenses and the opt-out
snapshots read. The page machinery (the stylesheet, its Content-Security-Policy, escaping, links,
the chart) is :mod:`auditor.render.html`'s; every value from the scanned data is made safe and
escaped there.
"""

from __future__ import annotations

from auditor.render.html import (
    Segment,
    badge,
    code,
    facts,
    linked,
    page,
    share,
    source_link,
    table,
    text,
    verdict_chart,
)
from auditor.scan.classify import Verdict
from auditor.scan.report import DomainBound, ScanReport, rows_of

# The page lists this many domains and top domains; the JSON report has every one.
HTML_DOMAINS = 100
_VERDICTS = (Verdict.BLOCKED, Verdict.INVALID, Verdict.REVIEW, Verdict.ALLOWED)


def render_html(report: ScanReport) -> str:
    body = [
        _header(report),
        "<main>",
        _rows(report),
        _rules(report),
        _top_domains(report),
        _domains(report),
        _platforms(report),
        _licenses(report),
        _samples(report),
        _snapshots(report),
        "</main>",
        f"<footer><p>auditor {text(report.tool_version)} (scan report schema "
        f"{text(report.schema_version)}). It informs legal review; it is not legal advice.</p>"
        "</footer>",
    ]
    title = f"auditor scan {report.gate.upper()}: {report.input}"
    return page(title, body, generator=f"auditor {report.tool_version}")


def _section(key: str, heading: str, *parts: str) -> str:
    return (
        f'<section id="{key}" aria-labelledby="{key}-h">\n<h2 id="{key}-h">{heading}</h2>\n'
        + "\n".join(p for p in parts if p)
        + "\n</section>"
    )


def _header(report: ScanReport) -> str:
    passed = report.passed
    split = report.split
    return "\n".join(
        [
            "<header>",
            '<p class="kicker">Training-data scan: every row</p>',
            f"<h1>{badge(report.gate)} The scan gate {'passes' if passed else 'fails'}</h1>",
            f"<p>{split.blocked:,} of {report.rows:,} rows blocked "
            f"({share(split.blocked, report.rows)}; the gate allows at most "
            f"{report.max_blocked_share:.2%}); {split.allowed:,} left to train on.</p>",
            facts(
                [
                    ("Input", f"{code(report.input)} ({text(report.input_format)})"),
                    ("Policy", text(report.policy)),
                    ("Blocks rows at", report.fail_on.value),
                    ("Collection method", text(report.method)),
                    ("URL column", code(report.url_column)),
                    (
                        "License column",
                        code(report.license_column) if report.license_column else "none",
                    ),
                    ("Notes", "<br>".join(text(n) for n in report.notes)),
                ]
            ),
            "</header>",
        ]
    )


def _rows(report: ScanReport) -> str:
    counts = {v: report.verdicts.get(v, 0) for v in _VERDICTS}
    chart = verdict_chart(
        "rows",
        "Rows by verdict",
        [
            (
                "Rows",
                [
                    Segment(v.value, n, f"{n:,} {v.value} ({share(n, report.rows)})")
                    for v, n in counts.items()
                ],
            )
        ],
    )
    rows = [[badge(v.value), f"{n:,}", share(n, report.rows)] for v, n in counts.items()]
    rows += [
        [f"invalid: {text(reason)}", f"{n:,}", share(n, report.rows)]
        for reason, n in report.invalid.items()
    ]
    return _section(
        "rows",
        "Rows by verdict",
        f"<figure>\n{chart}\n<figcaption>{report.rows:,} rows; invalid rows (no URL, or one "
        "that cannot be read) are never trained on.</figcaption>\n</figure>",
        table("Rows by verdict, in numbers", ["Verdict", "Rows", "Share"], rows, numeric=(1, 2)),
    )


def _rules(report: ScanReport) -> str:
    if not report.rules:
        return _section("rules", "Rows by rule", "<p>No row raised a finding.</p>")
    rows = [
        [
            code(r.rule),
            r.severity.value if r.severity else "—",
            f"{r.rows:,}",
            share(r.rows, report.rows),
        ]
        for r in report.rules
    ]
    return _section(
        "rules",
        "Rows by rule",
        table(
            "Rows each rule applies to", ["Rule", "Severity", "Rows", "Share"], rows, numeric=(2, 3)
        ),
    )


def _more(shown: int, total: int) -> str:
    if total <= shown:
        return ""
    return f'<p class="muted">…and {total - shown:,} more; the JSON report lists every one.</p>'


def _top_domains(report: ScanReport) -> str:
    shown = report.top_domains[:HTML_DOMAINS]
    rows = [[f"{d.rank:,}", text(d.domain), f"{d.rows:,}", f"{d.share:.2%}"] for d in shown]
    return _section(
        "top-domains",
        "Top domains",
        f"<p>The top {report.top_domains_fraction:.0%} of {report.domains_counted} registered "
        "domains by rows, as the EU AI Act's training-content summary asks.</p>"
        + (_bounded(report.domains_bounded) if report.domains_bounded else ""),
        table("Top domains by rows", ["Rank", "Domain", "Rows", "Share"], rows, numeric=(0, 2, 3))
        if rows
        else "<p>No domain.</p>",
        _more(len(shown), len(report.top_domains)),
    )


def _bounded(bound: DomainBound) -> str:
    return (
        f'<p class="muted">The domain table outgrew {bound.max_entries:,} entries: these counts '
        f"are lower bounds, each entry at most {rows_of(bound.error)} short "
        f"({rows_of(bound.untracked_rows)} in no entry), and the number of domains is an "
        "estimate. Verdict, rule, platform and license counts are exact.</p>"
    )


def _domains(report: ScanReport) -> str:
    shown = report.domains[:HTML_DOMAINS]
    if not shown:
        return ""
    rows = [
        [
            text(d.domain),
            text(d.platform or "—"),
            f"{d.rows:,}",
            f"{d.share:.2%}",
            badge(d.verdict.value),
            ", ".join(code(r.rule) for r in d.reasons if r.severity is not None) or "—",
        ]
        for d in shown
    ]
    return _section(
        "domains",
        "Domains by rows",
        table(
            f"Domains and platforms by rows (top {len(shown):,} of {report.domains_counted}), "
            "with the worst verdict among their rows",
            ["Domain", "Platform", "Rows", "Share", "Verdict", "Reasons"],
            rows,
            numeric=(2, 3),
        ),
        _more(len(shown), len(report.domains)),
    )


def _platforms(report: ScanReport) -> str:
    if not report.platforms:
        return ""
    rows = []
    for p in report.platforms:
        found = "".join(
            f"<p>{text(f.severity.value)} {code(f.rule)}: {linked(f.message)}</p>"
            + (f'<p class="quote">“{text(f.quote)}”</p>' if f.quote else "")
            + (f"<p>Source: {source_link(f.source_url, f.version)}</p>" if f.source_url else "")
            for f in p.findings
        )
        rows.append([text(p.name), f"{p.rows:,}", f"{p.share:.2%}", found or "—"])
    return _section(
        "platforms",
        "Platforms",
        table(
            "Platforms whose terms the rows fall under",
            ["Platform", "Rows", "Share", "Findings under their terms"],
            rows,
            numeric=(1, 2),
        ),
    )


def _licenses(report: ScanReport) -> str:
    if not report.licenses:
        return ""
    rows = [
        [
            text(lic.raw) if lic.raw is not None else "(none)",
            f"{code(lic.expression) if lic.expression else '—'} ({text(lic.status)})",
            f"{lic.rows:,}",
            badge(lic.verdict.value),
            ", ".join(code(r) for r in lic.rules) or "—",
        ]
        for lic in report.licenses
    ]
    return _section(
        "licenses",
        "Per-row licenses",
        table(
            "Licenses as found in the rows",
            ["License", "Resolved", "Rows", "Verdict", "Rules"],
            rows,
            numeric=(2,),
        ),
    )


def _samples(report: ScanReport) -> str:
    """A scan of keyed samples (shards): the samples kept out, by shard and key."""
    samples = report.samples
    if samples is None:
        return ""
    claim = ""
    if samples.dataset_license is not None:
        declared = samples.dataset_license
        rules = ", ".join(code(r) for r in declared.rules) or "none"
        claim = (
            f"<p>The dataset declares the license {code(declared.raw)} "
            f"({text(declared.status)}; rules: {rules}).</p>"
        )
    shown = samples.blocked[:HTML_DOMAINS]
    rows = [
        [code(s.shard), code(s.key), badge(s.verdict.value), ", ".join(code(r) for r in s.rules)]
        for s in shown
    ]
    where = samples.blocked_keys_file
    listed = (
        f"<p>{samples.blocked_total:,} samples kept out in {samples.shards:,} shards; the first "
        f"{len(shown):,} are listed" + (f", every one in {code(where)}." if where else ".") + "</p>"
    )
    return _section(
        "samples",
        "Samples kept out",
        claim,
        listed,
        table("Samples kept out, by shard and key", ["Shard", "Key", "Verdict", "Rules"], rows)
        if rows
        else "",
    )


def _snapshots(report: ScanReport) -> str:
    if not report.optout_snapshots:
        return ""
    rows = [
        [text(s.host), code(s.file), code(s.sha256), text(s.error or "read")]
        for s in report.optout_snapshots
    ]
    return _section(
        "snapshots",
        "Opt-out snapshots read",
        table("Saved opt-out files (never fetched)", ["Host", "File", "sha256", "Outcome"], rows),
    )
