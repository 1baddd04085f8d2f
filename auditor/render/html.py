"""The HTML report: one self-contained page that a reviewer reads, prints and signs.

The verdict and the policy come first; then a chart of the mix by verdict (by dataset count, and
by ``weight`` where the manifests give one), the findings by rule, one section per dataset with
every license claim and its source, the license chain its inherited findings came through and
any waiver with its approver and expiry; then the waivers and a sign-off block.

The page loads nothing: no script, no font, no image; charts are inline SVG drawn here. A
Content-Security-Policy ``<meta>`` forbids every network load and admits only the page's own
stylesheet, by its hash. Every user-supplied string is made safe with
:func:`~auditor.render.safe_text` and HTML-escaped; only ``http(s)`` URLs become links. The same
report gives the same bytes. The helpers above ``render_html`` are shared with the scan report
(:mod:`auditor.scan.html`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

from auditor.evidence import ClaimRole
from auditor.model import Location
from auditor.policy import Severity
from auditor.render import relaxation_note, safe_text
from auditor.report import DatasetReport, DatasetVerdict, Finding, Report, WaiverStatus
from auditor.rulebook import Rule, Rulebook, load_rulebook

# --- the page ------------------------------------------------------------------------------------

STYLE = """
:root{color-scheme:light;--ink:#1a1a1a;--muted:#555;--rule:#d0d0cc;--panel:#f4f4f2;--link:#0b57a4;
--allowed:#1f6b35;--review:#8a4b00;--blocked:#a11b1b;--invalid:#5b2a86}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1.5rem;color:var(--ink);background:#fff;
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.25rem;margin:2rem 0 .6rem;
border-bottom:2px solid var(--ink);padding-bottom:.2rem}h3{font-size:1.05rem;margin:0 0 .5rem}
a{color:var(--link)}code{font:.9em/1.4 "DejaVu Sans Mono",ui-monospace,monospace;
overflow-wrap:anywhere}p{margin:.4rem 0}
.kicker{margin:0;color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-size:.8rem}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:.25rem;color:#fff;font-weight:700;
font-size:.8em;letter-spacing:.04em;white-space:nowrap;vertical-align:.1em;border:1px solid #000}
.allowed,.pass{background:var(--allowed)}.review{background:var(--review)}
.blocked,.fail{background:var(--blocked)}.invalid{background:var(--invalid)}
h1 .badge{font-size:1rem}
.note{border-left:4px solid var(--review);background:#fdf1df;padding:.5rem .8rem;margin:.8rem 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1rem;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid var(--rule);padding:.3rem .5rem;text-align:left;vertical-align:top;
overflow-wrap:break-word}thead th,.nw,.nw code{white-space:nowrap;overflow-wrap:normal}
td a{overflow-wrap:anywhere}
thead th{background:var(--panel)}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody th{font-weight:600}.sev-error{font-weight:700}
nav ol{columns:2 18rem;padding-left:1.4rem}
article.dataset{border:1px solid var(--rule);border-radius:.4rem;padding:1rem;margin:1rem 0}
.quote{margin:.3rem 0;padding-left:.6rem;border-left:3px solid var(--rule);font-style:italic}
.waiver{margin:.3rem 0;padding:.3rem .6rem;background:var(--panel)}
svg.chart{width:100%;max-width:720px;height:auto;display:block}figure{margin:.6rem 0}
.signoff td{height:2.6rem;width:75%}
footer{margin-top:2rem;border-top:1px solid var(--rule);padding-top:.6rem;color:var(--muted);
font-size:.85rem}
@page{margin:15mm 13mm}
@media print{body{max-width:none;padding:0;font-size:10pt;color:#000}nav{display:none}
a{color:#000;text-decoration:none}a.url::after{content:" <" attr(href) ">";font-size:8pt;
color:#333;overflow-wrap:anywhere}
.badge,svg.chart,.note,.waiver,thead th{print-color-adjust:exact;-webkit-print-color-adjust:exact}
h2,h3,caption{break-after:avoid}tr,dl.facts,.signoff,figure{break-inside:avoid}
article.dataset{border:0;border-top:1px solid #000;border-radius:0;padding:.6rem 0}}
""".strip()

_CSP = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'; "
    "base-uri 'none'; form-action 'none'"
)
_URL = re.compile(r"https?://[^\s<>\"'()\[\]{}]+")
_SYMBOL = {"allowed": "✓", "pass": "✓", "review": "!", "blocked": "✗", "fail": "✗", "invalid": "?"}


def page(title: str, body: Iterable[str], *, generator: str) -> str:
    """A complete HTML document: ``title`` is plain text, ``body`` is markup."""
    return "".join(page_chunks(title, body, generator=generator))


def page_chunks(title: str, body: Iterable[str], *, generator: str) -> Iterator[str]:
    """:func:`page`'s text in pieces, one per part of ``body`` (made as it is written)."""
    yield (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="{text(generator)}">\n'
        f"<title>{text(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>"
    )
    for part in body:
        if part:
            yield "\n" + part
    yield "\n</body>\n</html>\n"


@functools.lru_cache(maxsize=1 << 14)  # ids, licenses, paths and rule names come back often
def text(value: str) -> str:
    """User text as HTML: made safe to show (no control or bidi characters), then escaped."""
    return escape(safe_text(value), quote=True)


def code(value: str) -> str:
    return f"<code>{text(value)}</code>"


def link(url: str, label: str | None = None) -> str:
    """A link to ``url`` if it is a plain http(s) URL (named ``label`` if given), else the URL as
    text."""
    if not _linkable(url):
        return text(url)
    if label is None or label == url:
        return f'<a href="{escape(url, quote=True)}" rel="noreferrer">{text(url)}</a>'
    return f'<a href="{escape(url, quote=True)}" class="url" rel="noreferrer">{text(label)}</a>'


@functools.lru_cache(maxsize=4096)  # a few licenses and terms stand behind most findings
def source_link(url: str, version: str | None) -> str:
    """A link to the license or terms a finding rests on, named by their version and host (in
    print, the address follows)."""
    if version is None or not _linkable(url):
        return link(url) + (f"<br>{text(version)}" if version else "")
    host = urlsplit(url).hostname or ""
    return f'{link(url, version)} <small class="muted">({text(host)})</small>'


def linked(value: str) -> str:
    """User text with each http(s) URL in it a link (trailing punctuation left outside)."""
    if "http" not in value:  # most messages: no URL to look for
        return text(value)
    out: list[str] = []
    at = 0
    for match in _URL.finditer(value):
        url = match[0].rstrip(".,;:!?")
        out += [text(value[at : match.start()]), link(url)]
        at = match.start() + len(url)
    out.append(text(value[at:]))
    return "".join(out)


# What no URL written as a link may hold (``\\s`` is what str.isspace calls space).
_NOT_IN_LINK = re.compile(r"[\s<>\"'`]")


@functools.lru_cache(maxsize=4096)  # the same few sources stand behind most findings
def _linkable(url: str) -> bool:
    if safe_text(url) != url or _NOT_IN_LINK.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def badge(verdict: str) -> str:
    """A verdict as a word, a symbol and a colour: never the colour alone."""
    symbol = _SYMBOL.get(verdict, "")
    return (
        f'<span class="badge {verdict}"><span aria-hidden="true">{symbol}</span> '
        f"{text(verdict.upper())}</span>"
    )


def where(location: Location | None) -> str:
    if location is None:
        return ""
    return code(location.path + (f":{location.line}" if location.line else ""))


def share(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def number(value: float) -> str:
    """A weight as written for people, never in exponent form: 0.25, 1, 12,000."""
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def table(
    caption: str, head: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = ()
) -> str:
    """A table whose first cell in each row heads the row; ``caption`` and cells are markup.
    The ``numeric`` columns are aligned right."""
    right = frozenset(numeric)

    def cell(i: int, content: str, tag: str) -> str:
        attrs = (f' scope="{tag}"' if tag else "") + (' class="num"' if i in right else "")
        return f"<th{attrs}>{content}</th>" if tag else f"<td{attrs}>{content}</td>"

    cols = "".join(cell(i, h, "col") for i, h in enumerate(head))
    body = [
        "<tr>" + "".join(cell(i, c, "row" if i == 0 else "") for i, c in enumerate(row)) + "</tr>"
        for row in rows
    ]
    return (
        f"<table>\n<caption>{caption}</caption>\n<thead><tr>{cols}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>"
    )


def facts(items: Iterable[tuple[str, str]]) -> str:
    """A definition list of (term, markup) pairs; empty values are left out."""
    rows = [f"<dt>{term}</dt><dd>{value}</dd>" for term, value in items if value]
    return '<dl class="facts">' + "".join(rows) + "</dl>" if rows else ""


# --- the chart -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    verdict: str  # allowed | review | blocked | invalid
    value: float
    label: str  # what the segment stands for, as plain text: "3 blocked (60.0%)"


_FILL = {
    "allowed": "#1f6b35",
    "review": "url(#stripes-review)",
    "blocked": "url(#hatch-blocked)",
    "invalid": "url(#lines-invalid)",
}
# Each verdict has a pattern as well as a colour, so a grey print still tells them apart.
_PATTERNS = (
    '<pattern id="stripes-review" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#8a4b00"/>'
    '<rect width="3" height="8" fill="#b8721c"/></pattern>'
    '<pattern id="hatch-blocked" width="7" height="7" patternUnits="userSpaceOnUse">'
    '<rect width="7" height="7" fill="#a11b1b"/>'
    '<path d="M0 0L7 7M7 0L0 7" stroke="#5e0c0c" stroke-width="1.2"/></pattern>'
    '<pattern id="lines-invalid" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#5b2a86"/><rect y="4" width="6" height="2" fill="#7b4aa6"/>'
    "</pattern>"
)
_LEFT, _WIDTH, _BAR, _GAP, _CHAR = 110, 600, 30, 18, 7.2


def verdict_chart(key: str, title: str, bars: Sequence[tuple[str, Sequence[Segment]]]) -> str:
    """Horizontal bars of 100 %, one per (label, segments), as inline SVG with a text equivalent
    (``<title>`` and ``<desc>``); ``key`` makes its element ids unique on the page."""
    height = _GAP + len(bars) * (_BAR + _GAP)
    desc = ". ".join(
        f"{label}: " + ", ".join(s.label for s in segments if s.value) for label, segments in bars
    )
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_LEFT + _WIDTH + 10} {height}" width="{_LEFT + _WIDTH + 10}" '
        f'height="{height}" aria-labelledby="{key}-title {key}-desc">',
        f'<title id="{key}-title">{text(title)}</title>',
        f'<desc id="{key}-desc">{text(desc)}.</desc>',
        f"<defs>{_PATTERNS}</defs>",
        '<g font-family="system-ui,&quot;DejaVu Sans&quot;,sans-serif" font-size="12">',
    ]
    for i, (label, segments) in enumerate(bars):
        y = _GAP + i * (_BAR + _GAP)
        out.append(
            f'<text x="0" y="{y + _BAR / 2 + 4:.0f}" fill="#1a1a1a" font-weight="600">'
            f"{text(label)}</text>"
        )
        total = sum(s.value for s in segments)
        if not total:
            out.append(
                f'<rect x="{_LEFT}" y="{y}" width="{_WIDTH}" height="{_BAR}" fill="none" '
                f'stroke="#555"/><text x="{_LEFT + 8}" y="{y + _BAR / 2 + 4:.0f}" '
                'fill="#555">none</text>'
            )
            continue
        done = 0.0
        for s in segments:
            if not s.value:
                continue
            x0, done = _LEFT + _WIDTH * done / total, done + s.value
            width = _LEFT + _WIDTH * done / total - x0
            out.append(
                f'<rect x="{x0:.1f}" y="{y}" width="{width:.1f}" height="{_BAR}" '
                f'fill="{_FILL[s.verdict]}" stroke="#fff" stroke-width="1">'
                f"<title>{text(s.label)}</title></rect>"
            )
            shown = next((t for t in (s.label, s.label.split(" (")[0]) if _fits(t, width)), None)
            if shown is not None:
                out.append(
                    f'<text x="{x0 + 6:.1f}" y="{y + _BAR / 2 + 4:.0f}" fill="#fff" '
                    f'font-weight="600" aria-hidden="true">{text(shown)}</text>'
                )
    out += ["</g>", "</svg>"]
    return "\n".join(out)


def _fits(label: str, width: float) -> bool:
    return len(label) * _CHAR + 12 <= width


# --- the check report ----------------------------------------------------------------------------

_ORDER = {DatasetVerdict.BLOCKED: 0, DatasetVerdict.REVIEW: 1, DatasetVerdict.ALLOWED: 2}
_VERDICTS = (DatasetVerdict.BLOCKED, DatasetVerdict.REVIEW, DatasetVerdict.ALLOWED)
_ROLE_HELP = {
    ClaimRole.APPLIED: "part of the license that applies",
    ClaimRole.HINT: "inferred, unaudited: shown, never applied",
    ClaimRole.SUPERSEDED: "SPDX declared license overridden by the concluded one",
    ClaimRole.SILENT: "names no license",
}


def render_html(
    report: Report,
    *,
    weights: Mapping[tuple[str, str], float] | None = None,
    rulebook: Rulebook | None = None,
) -> str:
    """The report as one HTML page. ``weights`` maps (manifest, dataset id) to the dataset's
    ``weight`` in the mix (see :func:`auditor.mix.mix_weights`); without it the mix is charted by
    dataset count only."""
    return "".join(html_chunks(report, weights=weights, rulebook=rulebook))


def html_chunks(
    report: Report,
    *,
    weights: Mapping[tuple[str, str], float] | None = None,
    rulebook: Rulebook | None = None,
) -> Iterator[str]:
    """:func:`render_html`'s text in pieces, a dataset's section made as it is written."""
    book = rulebook or load_rulebook()
    mix = weights or {}
    ordered = sorted(report.datasets, key=lambda d: (_ORDER[d.verdict], d.id, d.manifest))
    anchors = {(d.manifest, d.id): f"d{i + 1}" for i, d in enumerate(ordered)}
    by_id = {d.id: anchors[(d.manifest, d.id)] for d in reversed(ordered)}
    manifests = sorted({d.manifest for d in report.datasets})
    found = _findings_by_dataset(report, manifests)
    body = itertools.chain(
        (
            _header(report, manifests),
            _contents(ordered, anchors),
            "<main>",
            _mix(ordered, mix),
            _rules(report, book, by_id),
            '<section id="datasets" aria-labelledby="datasets-h">\n'
            f'<h2 id="datasets-h">Datasets ({len(ordered)})</h2>',
        ),
        (_dataset(d, found.get((d.manifest, d.id), []), mix, anchors, by_id) for d in ordered),
        (
            "</section>",
            _others(report),
            _waivers(report),
            _signoff(),
            "</main>",
            _footer(report.tool_version, report.schema_version),
        ),
    )
    title = f"auditor {report.verdict.value.upper()}: " + (", ".join(manifests) or "no manifest")
    return page_chunks(title, body, generator=f"auditor {report.tool_version}")


def _header(report: Report, manifests: Sequence[str]) -> str:
    t = report.totals
    passed = report.passed
    note = relaxation_note(report)
    counts = {
        "datasets": t.datasets,
        "allowed": t.allowed,
        "review": t.review,
        "blocked": t.blocked,
        "errors": t.errors,
        "warnings": t.warnings,
        "info": t.infos,
        "waived": t.waived,
    }
    totals = (
        "<table>\n<caption>Totals</caption>\n<thead><tr>"
        + "".join(f'<th scope="col" class="num">{h}</th>' for h in counts)
        + "</tr></thead>\n<tbody><tr>"
        + "".join(f'<td class="num">{v:,}</td>' for v in counts.values())
        + "</tr></tbody>\n</table>"
    )
    return "\n".join(
        [
            "<header>",
            '<p class="kicker">Training-data license audit</p>',
            f"<h1>{badge('pass' if passed else 'fail')} The training-data gate "
            f"{'passes' if passed else 'fails'}</h1>",
            f"<p>Under policy <strong>{text(report.policy)}</strong> (the gate fails on findings "
            f"at or above <strong>{report.fail_on.value}</strong> that are not waived): "
            f"{t.blocked:,} of {t.datasets:,} datasets blocked, {t.review:,} for review, "
            f"{t.allowed:,} allowed.</p>",
            f'<p class="note" role="note"><strong>Warning:</strong> {text(note)}. It sets them '
            "below <code>error</code>: what the audit could not establish need not block.</p>"
            if note
            else "",
            facts(
                [
                    ("Manifests", ", ".join(code(m) for m in manifests) or "none"),
                    ("Policy", text(report.policy)),
                    ("Fails on", report.fail_on.value),
                    (
                        "Report",
                        f"auditor {text(report.tool_version)}, schema "
                        f"{text(report.schema_version)}",
                    ),
                ]
            ),
            totals,
            "</header>",
        ]
    )


def _contents(ordered: Sequence[DatasetReport], anchors: Mapping[tuple[str, str], str]) -> str:
    items = "".join(
        f'<li><a href="#{anchors[(d.manifest, d.id)]}">{text(d.id)}</a> ({d.verdict.value})</li>'
        for d in ordered
    )
    return (
        '<nav aria-labelledby="contents-h">\n<h2 id="contents-h">Contents</h2>\n'
        '<p><a href="#mix">The mix by verdict</a> · <a href="#rules">Findings by rule</a> · '
        '<a href="#datasets">Datasets</a> · <a href="#waivers">Waivers</a> · '
        '<a href="#sign-off">Sign-off</a></p>\n'
        f"<ol>{items}</ol>\n</nav>"
    )


def _mix(ordered: Sequence[DatasetReport], mix: Mapping[tuple[str, str], float]) -> str:
    count: Counter[DatasetVerdict] = Counter(d.verdict for d in ordered)
    weight: dict[DatasetVerdict, float] = dict.fromkeys(_VERDICTS, 0.0)
    weighted = [d for d in ordered if (d.manifest, d.id) in mix]
    for d in weighted:
        weight[d.verdict] += mix[(d.manifest, d.id)]
    datasets, total = len(ordered), sum(weight.values())
    bars = [
        (
            "Datasets",
            [
                Segment(v.value, count[v], f"{count[v]:,} {v.value} ({share(count[v], datasets)})")
                for v in _VERDICTS
            ],
        )
    ]
    if weighted:
        bars.append(
            (
                "Weight",
                [
                    Segment(v.value, weight[v], f"{v.value} {share(weight[v], total)}")
                    for v in _VERDICTS
                ],
            )
        )
    chart = verdict_chart("mix", "The mix by verdict", bars)
    head = ["Verdict", "Datasets", "Share of datasets"]
    if weighted:
        head += ["Weight", "Share of weight"]
    rows = []
    for v in _VERDICTS:
        row = [badge(v.value), f"{count[v]:,}", share(count[v], datasets)]
        if weighted:
            row += [number(weight[v]), share(weight[v], total)]
        rows.append(row)
    unweighted = datasets - len(weighted)
    if not weighted:
        how = "No dataset states a <code>weight</code>: the mix is shown by dataset count."
    elif unweighted:
        how = (
            f"Weighted by <code>weight</code> where the manifest gives one ({len(weighted):,} of "
            f"{datasets:,} datasets, {number(total)} in all); {unweighted:,} without a weight "
            "(such as upstreams found by a look-up) are in the count only."
        )
    else:
        how = (
            f"Weighted by each dataset's <code>weight</code> ({number(total)} in all), and by "
            "dataset count."
        )
    numeric = range(1, len(head))
    return (
        '<section id="mix" aria-labelledby="mix-h">\n<h2 id="mix-h">The mix by verdict</h2>\n'
        f"<figure>\n{chart}\n<figcaption>{how}</figcaption>\n</figure>\n"
        + table("The mix by verdict, in numbers", head, rows, numeric=numeric)
        + "\n</section>"
    )


def _rules(report: Report, book: Rulebook, by_id: Mapping[str, str]) -> str:
    grouped: dict[str, list[Finding]] = {}
    for f in report.findings:
        grouped.setdefault(f.rule.value, []).append(f)
    if not grouped:
        return (
            '<section id="rules" aria-labelledby="rules-h">\n'
            '<h2 id="rules-h">Findings by rule</h2>\n<p>No findings.</p>\n</section>'
        )

    def order(item: tuple[str, list[Finding]]) -> tuple[int, int, str]:
        rule, found = item
        return (-max(f.severity.rank for f in found), -len(found), rule)

    rows = []
    for rule, found in sorted(grouped.items(), key=order):
        doc = book.doc(found[0].rule)
        severities = sorted({f.severity for f in found}, key=lambda s: -s.rank)
        names = sorted({f.dataset for f in found})
        rows.append(
            [
                f'<span class="nw">{code(rule)}</span><br>{text(doc.name)}',
                f'<span class="nw">{", ".join(s.value for s in severities)}</span>',
                f"{sum(not f.waived for f in found):,}",
                f"{sum(f.waived for f in found):,}",
                ", ".join(_dataset_link(n, by_id) for n in names),
                text(doc.summary),
            ]
        )
    return (
        '<section id="rules" aria-labelledby="rules-h">\n<h2 id="rules-h">Findings by rule</h2>\n'
        + table(
            "Every finding rule raised, most severe first",
            ["Rule", "Severity", "Open", "Waived", "Datasets", "What it means"],
            rows,
            numeric=(2, 3),
        )
        + "\n</section>"
    )


def _dataset_link(dataset: str, by_id: Mapping[str, str]) -> str:
    return _anchored(dataset, by_id.get(dataset))


@functools.lru_cache(maxsize=1 << 14)  # a lineage names the same upstreams on every descendant
def _anchored(dataset: str, anchor: str | None) -> str:
    return f'<a href="#{anchor}">{text(dataset)}</a>' if anchor else text(dataset)


def _findings_by_dataset(
    report: Report, manifests: Sequence[str]
) -> dict[tuple[str, str], list[Finding]]:
    """The findings on each (manifest, dataset id): ids are unique within a manifest, so a finding
    located in one manifest is on that manifest's dataset; one located elsewhere (a waiver file)
    or nowhere is on every dataset with its id."""
    known = set(manifests)
    placed: dict[str, list[str]] = {}
    for d in report.datasets:
        placed.setdefault(d.id, []).append(d.manifest)
    out: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        path = f.location.path if f.location else None
        for manifest in placed.get(f.dataset, ()):
            if path is None or path == manifest or path not in known:
                out.setdefault((manifest, f.dataset), []).append(f)
    return out


def _dataset(
    ds: DatasetReport,
    findings: Sequence[Finding],
    mix: Mapping[tuple[str, str], float],
    anchors: Mapping[tuple[str, str], str],
    by_id: Mapping[str, str],
) -> str:
    anchor = anchors[(ds.manifest, ds.id)]
    lic = ds.license
    resolved = lic.expression or ("ambiguous" if lic.candidates else "unknown")
    weight = mix.get((ds.manifest, ds.id))
    chains = sorted({(ds.id, *f.via) for f in findings if f.via})
    lookup = ds.lookup
    name = f' <span class="muted">{text(ds.name)}</span>' if ds.name and ds.name != ds.id else ""
    parts = [
        f'<article class="dataset" id="{anchor}" aria-labelledby="{anchor}-h">',
        f'<h3 id="{anchor}-h">{badge(ds.verdict.value)} {code(ds.id)}{name}</h3>',
        facts(
            [
                ("Where", where(ds.location)),
                ("Weight", number(weight) if weight is not None else ""),
                ("License as found", text(lic.raw) if lic.raw is not None else "(none)"),
                ("Resolved", f"{code(resolved)} ({lic.status.value})"),
                ("Commercial use", lic.commercial_use.value),
                ("How", linked(lic.evidence)),
                ("Candidates", ", ".join(code(c) for c in lic.candidates)),
                ("Decisions", "<br>".join(text(d) for d in lic.decisions)),
                (
                    "Looked up",
                    f"{code(lookup.reference)} ({text(lookup.outcome)}): {linked(lookup.detail)}"
                    if lookup
                    else "",
                ),
                ("License chain", "<br>".join(_chain(c, by_id) for c in chains)),
            ]
        ),
        _claims(ds, anchor),
        _findings(findings, by_id),
        "</article>",
    ]
    return "\n".join(p for p in parts if p)


def _chain(chain: Sequence[str], by_id: Mapping[str, str]) -> str:
    """``dataset ← parent ← … ← origin``: where its inherited findings came from."""
    return " ← ".join(_dataset_link(d, by_id) for d in chain)


def _claims(ds: DatasetReport, anchor: str) -> str:
    if not ds.claims:
        return '<p class="muted">No license claim was found.</p>'
    rows = [
        [
            f'{text(c.role.value)}<br><small class="muted">{_ROLE_HELP[c.role]}</small>',
            linked(c.origin),
            linked(c.value),
            f"{code(c.expression) if c.expression else '—'} ({c.status.value})<br>"
            f'<small class="muted">{linked(c.detail)}</small>',
            where(c.location),
        ]
        for c in ds.claims
    ]
    return table(
        f"License claims ({len(ds.claims)}), in the order found",
        ["Role", "Origin", "Value", "Resolved", "Where"],
        rows,
    )


_RANK = {severity: severity.rank for severity in Severity}


@functools.cache  # a cell per severity, waived or not (an enum's value is slow to read)
def _severity_cell(severity: Severity, waived: bool) -> str:
    label = f"waived {severity.value}" if waived else severity.value
    return f'<span class="nw sev-{severity.value}">{text(label)}</span>'


@functools.cache
def _rule_cell(rule: Rule) -> str:
    return f'<span class="nw">{code(rule.value)}</span>'


def _findings(findings: Sequence[Finding], by_id: Mapping[str, str]) -> str:
    if not findings:
        return '<p class="muted">No findings.</p>'
    # A rule orders as its id (a StrEnum compares as its text); a severity by its rank.
    ordered = sorted(findings, key=lambda f: (f.waived, -_RANK[f.severity], f.rule))
    rows = []
    for f in ordered:
        what = [linked(f.message)]
        if f.via:
            what.append(f"<br><small>License chain: {_chain((f.dataset, *f.via), by_id)}</small>")
        ev = f.evidence
        if ev is not None and ev.quote:
            what.append(f'<p class="quote">“{text(ev.quote)}”</p>')
        if f.waiver is not None:
            w = f.waiver
            what.append(
                f'<p class="waiver"><strong>Waived:</strong> {text(w.reason)} Approved by '
                f"<strong>{text(w.approved_by)}</strong>, expires "
                f"<strong>{w.expires.isoformat()}</strong> ({where(w.location)}).</p>"
            )
        source = ""
        if ev is not None and ev.source_url:
            source = source_link(ev.source_url, ev.version)
        if f.location is not None:
            what.append(f'<br><small class="muted">at {where(f.location)}</small>')
        rows.append(
            [_severity_cell(f.severity, f.waived), _rule_cell(f.rule), "".join(what), source]
        )
    return table(f"Findings ({len(findings)})", ["Severity", "Rule", "Finding", "Source"], rows)


def _others(report: Report) -> str:
    """Findings on a dataset id no manifest defines (an expired waiver's, say)."""
    known = {d.id for d in report.datasets}
    orphans = [f for f in report.findings if f.dataset not in known]
    if not orphans:
        return ""
    rows = [
        [
            text(f.dataset),
            text(f.severity.value),
            code(f.rule.value),
            text(f.message),
            where(f.location),
        ]
        for f in orphans
    ]
    return (
        '<section id="other-findings" aria-labelledby="other-h">\n'
        '<h2 id="other-h">Findings on datasets no manifest defines</h2>\n'
        + table("Other findings", ["Dataset", "Severity", "Rule", "Finding", "Where"], rows)
        + "\n</section>"
    )


def _waivers(report: Report) -> str:
    head = '<section id="waivers" aria-labelledby="waivers-h">\n<h2 id="waivers-h">Waivers</h2>\n'
    if not report.waivers:
        return head + "<p>No waivers were given.</p>\n</section>"
    status_help = {
        WaiverStatus.APPLIED: "applied",
        WaiverStatus.EXPIRED: "expired: no longer applies",
        WaiverStatus.UNUSED: "unused: matched no finding",
    }
    rows = [
        [
            text(w.dataset)
            + (f"<br><small>inherited from {text(w.upstream)}</small>" if w.upstream else ""),
            code(w.rule.value),
            text(status_help[w.status]),
            text(w.approved_by),
            w.expires.isoformat(),
            text(w.reason),
            where(w.location),
        ]
        for w in report.waivers
    ]
    return (
        head
        + table(
            "Accepted exceptions, as the waiver file gives them",
            ["Dataset", "Rule", "Status", "Approved by", "Expires", "Reason", "Where"],
            rows,
        )
        + "\n</section>"
    )


def _signoff() -> str:
    rows = "".join(
        f'<tr><th scope="row">{label}</th><td></td></tr>'
        for label in ("Reviewer", "Decision", "Date", "Signature")
    )
    return (
        '<section id="sign-off" aria-labelledby="sign-off-h">\n'
        '<h2 id="sign-off-h">Sign-off</h2>\n'
        "<p>I have read this report, including every finding, claim and waiver above.</p>\n"
        f'<table class="signoff"><caption>To be completed by the reviewer</caption>'
        f"<tbody>{rows}</tbody></table>\n</section>"
    )


def _footer(version: str, schema: str) -> str:
    return (
        f"<footer><p>auditor {text(version)} (report schema {text(schema)}). It informs legal "
        "review; it is not legal advice.</p></footer>"
    )
