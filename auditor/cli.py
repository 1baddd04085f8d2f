"""The command line: parse options, call the stages, render, write, exit.

Exit codes: 0 the gate passes; 1 it fails on findings at or above --fail-on; 2 usage or input
error. The report goes to stdout (or --output); the one-line summary and all messages to stderr.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypedDict

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor import document
from auditor.diff import Diff, diff
from auditor.engine import Inline, JudgedManifest, Source, audit, judge_manifests
from auditor.errors import AuditorError, InputError, unexpected_message
from auditor.explanation import Explanation
from auditor.knowledge import EvidenceLevel, load_knowledge
from auditor.manifest import json_schema
from auditor.mix import report_weights
from auditor.notice import build_notice
from auditor.options import (
    AllowOutsideRootOption,
    CacheDirOption,
    DebugOption,
    InputFormatOption,
    OfflineOption,
    OutputOption,
    PolicyOption,
)
from auditor.output import check_outputs, write_atomically
from auditor.policy import FailOn, Policy, Severity, builtin_policies
from auditor.readers import FORMATS
from auditor.registry import coverage
from auditor.render import OutputFormat, safe_text, table_text
from auditor.render.concise import render_concise
from auditor.render.cyclonedx import render_cyclonedx
from auditor.render.github import render_github
from auditor.render.html import html_chunks
from auditor.render.json import json_bytes, render_diff_json
from auditor.render.markdown import render_diff_markdown, render_markdown
from auditor.render.notice import render_notice
from auditor.render.sarif import Include, repository_root, sarif_chunks
from auditor.render.spdx3 import spdx3_chunks
from auditor.render.summary import (
    render_summary_html,
    render_summary_json,
    render_summary_markdown,
)
from auditor.render.table import diff_line, render_diff_table, render_table, summary_line
from auditor.report import ExitCode, Report, load_report, report_schema
from auditor.rulebook import Rulebook, load_rulebook
from auditor.scan.command import scan as scan_command
from auditor.summary import Status as SummaryStatus
from auditor.summary import build_summary, load_scan
from auditor.version import __version__

EXIT_PASS, EXIT_FAIL, EXIT_INPUT = ExitCode.PASS, ExitCode.FAIL, ExitCode.INPUT
EXPLAIN_ROWS = 12
STDIN = Path("-")
STDIN_NAME = "<stdin>"
# Piped with no COLUMNS set, tables are drawn this wide: no line is wrapped and no URL is split.
PIPE_WIDTH = 1000

EXIT_CODES_HELP = (
    "Exit codes: 0 the gate passes; 1 it fails on findings at or above --fail-on; "
    "2 usage or input error (bad manifest, policy or waiver file)."
)

app = typer.Typer(
    name="auditor",
    help=(
        "May we train on this data? Audits training-data manifests for license, terms-of-service "
        "and model-output restrictions and gives a verdict. It informs legal review; it is not "
        "legal advice. " + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Help text is shown as written: a "[default: ...]" in it is text, not rich markup.
    rich_markup_mode=None,
)


class ExplainFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class DiffFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def _say(line: str) -> None:
    """One line to stderr: a message, a warning or a summary. Every one passes through
    :func:`safe_text`, since most quote a user's path, value or an exception's text: no control
    character, bidi override or line-leading ``::`` reaches a terminal or a CI log."""
    Console(stderr=True, highlight=False, markup=False, soft_wrap=True).print(safe_text(line))


def _stdout() -> Console:
    """The console results are drawn on: the terminal's width, or, piped with no ``COLUMNS``, wide
    enough that a table never wraps a line (a URL is not split, a pipe gets whole words)."""
    piped = not sys.stdout.isatty() and not os.environ.get("COLUMNS")
    return Console(highlight=False, markup=False, width=PIPE_WIDTH if piped else None)


def _fail_input(err: AuditorError, debug: bool) -> NoReturn:
    if debug:
        traceback.print_exc()
    _say(f"error: {err}")
    raise typer.Exit(EXIT_INPUT)


# The modules of the optional extras (pyproject.toml), for the one line a missing one gives.
_EXTRA_MODULES = {"pyarrow": "scan", "numpy": "scan", "publicsuffixlist": "scan", "protego": "scan"}


def _missing_extra(err: ImportError, command: str) -> str | None:
    """The line to print when ``err`` is a module of an optional extra not installed, else None."""
    module = (err.name or "").partition(".")[0]
    extra = _EXTRA_MODULES.get(module)
    if extra is None:
        return None
    return f"error: auditor {command} needs: pip install 'auditor[{extra}]' ({module} is missing)"


def _fail_unexpected(err: Exception, where: str, debug: bool) -> NoReturn:
    """A bug: one line naming the file being handled, exit 2 (never a pass); the traceback with
    ``--debug``."""
    if debug:
        traceback.print_exc()
    _say(f"error: {unexpected_message(err, where)}")
    raise typer.Exit(EXIT_INPUT)


def _render(
    report: Report,
    fmt: OutputFormat,
    *,
    to_file: bool,
    sarif_root: Path | None = None,
    sarif_include: Sequence[Include] = (),
) -> str | bytes | Iterable[str] | None:
    """The report as text (or its pieces, for the formats whose text a large report makes
    large), or None when it was printed to the terminal directly."""
    match fmt:
        case OutputFormat.JSON:
            return json_bytes(report)
        case OutputFormat.SARIF:
            root = sarif_root or repository_root(Path.cwd())
            return sarif_chunks(report, root=root, include=sarif_include)
        case OutputFormat.CONCISE:
            return render_concise(report)
        case OutputFormat.GITHUB:
            return render_github(report, root=sarif_root or repository_root(Path.cwd()))
        case OutputFormat.MARKDOWN:
            return render_markdown(report)
        case OutputFormat.HTML:
            return html_chunks(report, weights=report_weights(report))
        case OutputFormat.CYCLONEDX:
            return render_cyclonedx(report)
        case OutputFormat.SPDX3:
            return spdx3_chunks(report)
        case OutputFormat.TABLE:
            return _table(lambda console: render_table(report, console), to_file=to_file)


@app.command(epilog=EXIT_CODES_HELP)
def check(
    manifests: Annotated[
        list[Path],
        typer.Argument(
            help="Manifest files to audit (YAML or JSON); - reads one from standard input.",
            show_default=False,
        ),
    ],
    policy: PolicyOption = "commercial",
    waivers: Annotated[
        Path | None, typer.Option("--waivers", "-w", help="YAML file of accepted exceptions.")
    ] = None,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help=(
                "Report format; concise prints one line per finding (path:line: rule message), "
                "github prints workflow annotations."
            ),
        ),
    ] = OutputFormat.TABLE,
    output: OutputOption = None,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Lowest severity that fails the gate.")
    ] = FailOn.ERROR,
    input_format: Annotated[
        str | None,
        typer.Option("--input-format", help=f"Force the manifest format ({', '.join(FORMATS)})."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Judge waiver expiry as of this date (YYYY-MM-DD)."),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="Answer Hugging Face look-ups from the cache only (also: HF_HUB_OFFLINE=1).",
        ),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option("--cache-dir", help="Cache of looked-up dataset cards (AUDITOR_CACHE_DIR)."),
    ] = None,
    allow_outside_root: Annotated[
        bool,
        typer.Option(
            "--allow-outside-root",
            help="Let local dataset references point outside the manifest's folder.",
        ),
    ] = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help=(
                "JSON report of an earlier run: fail only on findings that are not in it, and "
                "say how many of its findings remain."
            ),
        ),
    ] = None,
    sarif_root: Annotated[
        Path | None,
        typer.Option(
            "--sarif-root",
            help=(
                "SARIF and github paths are relative to this folder (default: the git top level)."
            ),
            show_default=False,
        ),
    ] = None,
    sarif_include: Annotated[
        list[Include] | None,
        typer.Option(
            "--sarif-include",
            help=(
                "Also put in SARIF the findings below --fail-on (passing) or the waived ones "
                "(waived); by default only failing findings, since each becomes an alert."
            ),
            show_default=False,
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Audit manifests and gate on the findings.

    Datasets named by reference (hf://owner/name, a local folder) are looked up: the Hugging
    Face Hub is contacted only for those, and --offline keeps to the cache. A failed look-up is
    reported and never passes. With --baseline, the gate fails only on new findings.
    """
    try:
        today = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _say(f"error: --as-of: not a date (YYYY-MM-DD): {as_of}")
        raise typer.Exit(EXIT_INPUT) from None
    with _guarded(", ".join(p.as_posix() for p in manifests), output, debug):
        check_outputs({"--output": output}, [*manifests, waivers, Path(policy), baseline])
        old = load_report(baseline) if baseline is not None else None
        with _kept():
            report = audit(
                _sources(manifests),
                policy=policy,
                waivers=waivers,
                fail_on=Severity(fail_on.value),
                today=today,
                fmt=input_format,
                offline=offline,
                cache_dir=cache_dir,
                allow_outside_root=allow_outside_root,
            )
        text = _render(
            report,
            fmt,
            to_file=output is not None,
            sarif_root=sarif_root,
            sarif_include=sarif_include or (),
        )
        if text is not None:
            _emit(text, output)
    _say(summary_line(report))
    if old is None:
        raise typer.Exit(EXIT_PASS if report.passed else EXIT_FAIL)
    changes = diff(old, report)
    _say(diff_line(changes, report.fail_on))
    raise typer.Exit(EXIT_FAIL if changes.failing(report.fail_on) else EXIT_PASS)


@app.command(name="diff")
def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier JSON report.", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The later JSON report.", show_default=False)],
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = (
        DiffFormat.TABLE
    ),
    output: OutputOption = None,
    debug: DebugOption = False,
) -> None:
    """Show what changed between two JSON reports: new, fixed and unchanged findings, the
    verdicts that changed and why, and the weight of the mix by verdict. Exits 0 (2 on a bad
    report); gate with check --baseline."""
    with _guarded(f"{old.as_posix()}, {new.as_posix()}", output, debug):
        check_outputs({"--output": output}, [old, new])
        changes = diff(load_report(old), load_report(new))
        text = _render_diff(changes, fmt, to_file=output is not None)
        if text is not None:
            _emit(text, output)
    _say(diff_line(changes))


def _render_diff(changes: Diff, fmt: DiffFormat, *, to_file: bool) -> str | None:
    match fmt:
        case DiffFormat.JSON:
            return render_diff_json(changes)
        case DiffFormat.MARKDOWN:
            return render_diff_markdown(changes)
        case DiffFormat.TABLE:
            return _table(lambda console: render_diff_table(changes, console), to_file=to_file)


def _table(draw: Callable[[Console], None], *, to_file: bool) -> str | None:
    """A table as text for a file, else drawn on the terminal (None: nothing left to write)."""
    if to_file:
        return table_text(draw)
    draw(_stdout())
    return None


@app.command()
def explain(
    texts: Annotated[
        list[str],
        typer.Argument(
            help="License values as found in the wild; - reads them from standard input, one "
            "per line.",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        ExplainFormat,
        typer.Option("--format", "-f", help="Output format; json prints one object per line."),
    ] = ExplainFormat.TABLE,
    policy: Annotated[
        str, typer.Option("--policy", "-p", help="Policy used to decide between OR branches.")
    ] = "commercial",
    debug: DebugOption = False,
) -> None:
    """Show how license strings resolve and what terms they carry."""
    from auditor.explanation import explain as explain_text

    try:
        values = [
            line
            for text in texts
            for line in (_stdin_text().splitlines() if text == "-" else [text])
            if line.strip() or text != "-"
        ]
        results = [explain_text(value, policy) for value in values]
    except AuditorError as err:
        _fail_input(err, debug)
    except Exception as err:
        _fail_unexpected(err, "explain", debug)
    if fmt is ExplainFormat.JSON:
        sys.stdout.write("".join(result.model_dump_json() + "\n" for result in results))
        return
    console = _stdout()
    for i, result in enumerate(results):
        if i:
            console.print()
        _explain_table(result, console)


def _explain_table(result: Explanation, console: Console) -> None:
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column()
    summary.add_row("input", _cell(result.input))
    summary.add_row("expression", _cell(result.expression or "(none)"))
    summary.add_row("status", _cell(result.status.value))
    summary.add_row("commercial use", _cell(result.commercial_use.value))
    summary.add_row("evidence", _cell(result.evidence))
    if result.candidates:
        summary.add_row("candidates", _cell(", ".join(result.candidates)))
    for decision in result.decisions:
        summary.add_row("decision", _cell(decision))
    console.print(summary)
    if result.licenses:
        table = Table(title="Terms of the licenses that apply", title_justify="left")
        table.add_column("license", overflow="fold")
        table.add_column("commercial use", no_wrap=True)
        table.add_column("conditions", overflow="fold")
        table.add_column("source", overflow="fold")
        shown = result.licenses[:EXPLAIN_ROWS]
        for lic in shown:
            conditions = [
                name
                for name, flag in (
                    ("attribution", lic.attribution),
                    ("share-alike", lic.share_alike),
                    ("no-derivatives", lic.no_derivatives),
                    ("research-only", lic.research_only),
                    ("use-restricted", lic.use_restricted),
                )
                if flag
            ]
            table.add_row(
                _cell(lic.id),
                _cell(lic.commercial_use.value),
                _cell(", ".join(conditions) or "none"),
                _cell(lic.source_url or "not in the knowledge base"),
            )
        console.print(table)
        if len(result.licenses) > len(shown):
            console.print(f"... and {len(result.licenses) - len(shown)} more (--format json)")


def _cell(value: str) -> Text:
    """A value shown in a table: escaped, since explain echoes what the user typed."""
    return Text(safe_text(value))


app.command(name="scan", epilog=EXIT_CODES_HELP)(scan_command)

MANIFESTS_HELP = "Manifest files (YAML or JSON), read as `check` reads them."
DOCUMENT_EXIT_CODES = "Exit codes: 0 written; 2 usage or input error."


@app.command(epilog=DOCUMENT_EXIT_CODES)
def notice(
    manifests: Annotated[list[Path], typer.Argument(help=MANIFESTS_HELP, show_default=False)],
    policy: PolicyOption = "commercial",
    output: OutputOption = None,
    input_format: InputFormatOption = None,
    offline: OfflineOption = False,
    cache_dir: CacheDirOption = None,
    allow_outside_root: AllowOutsideRootOption = False,
    debug: DebugOption = False,
) -> None:
    """Write the attribution notice (plain text, for a NOTICE or ATTRIBUTION file).

    Lists every dataset whose license requires crediting the source (ORs decided under the
    policy), with the license, where the data is published and the credit its metadata gives.
    Datasets with nobody to credit are marked, and counted on stderr.
    """
    with _guarded(", ".join(p.as_posix() for p in manifests), output, debug):
        check_outputs({"--output": output}, [*manifests, Path(policy)])
        judged = _judged(manifests, policy, input_format, offline, cache_dir, allow_outside_root)
        found = build_notice(judged)
        _emit(render_notice(found), output)
    uncredited = [e.dataset for e in found.entries if e.uncredited]
    if uncredited:
        _say(
            f"warning: {len(uncredited)} dataset(s) require attribution but name nobody to "
            f"credit: {', '.join(safe_text(i) for i in uncredited)}"
        )
    _say(f"notice: {len(found.entries)} dataset(s) require attribution")
    raise typer.Exit(EXIT_PASS)


class SummaryFormat(StrEnum):
    MD = "md"
    HTML = "html"
    JSON = "json"


_SUMMARY_RENDERERS = {
    SummaryFormat.MD: render_summary_markdown,
    SummaryFormat.HTML: render_summary_html,
    SummaryFormat.JSON: render_summary_json,
}


@app.command(epilog=DOCUMENT_EXIT_CODES)
def summary(
    manifests: Annotated[list[Path], typer.Argument(help=MANIFESTS_HELP, show_default=False)],
    scans: Annotated[
        list[Path] | None,
        typer.Option(
            "--scan",
            help="A JSON report of `auditor scan` over collected rows: its top domains and "
            "opt-out findings fill sections 2.3 and 3.1 (repeatable).",
        ),
    ] = None,
    fmt: Annotated[
        SummaryFormat, typer.Option("--format", "-f", help="Output format.")
    ] = SummaryFormat.MD,
    policy: PolicyOption = "commercial",
    output: OutputOption = None,
    input_format: InputFormatOption = None,
    offline: OfflineOption = False,
    cache_dir: CacheDirOption = None,
    allow_outside_root: AllowOutsideRootOption = False,
    debug: DebugOption = False,
) -> None:
    """Draft the EU AI Act public summary of training content (the AI Office's template).

    Fills the template's fields from the manifests (and scans) and marks every field auditor
    cannot know "To be completed by the provider."; it never invents a figure. A draft for the
    provider to complete: not legal advice.
    """
    where = ", ".join(p.as_posix() for p in [*manifests, *(scans or ())])
    with _guarded(where, output, debug):
        check_outputs({"--output": output}, [*manifests, *(scans or ()), Path(policy)])
        reports = [load_scan(path) for path in scans or ()]
        judged = _judged(manifests, policy, input_format, offline, cache_dir, allow_outside_root)
        drafted = build_summary(judged, reports)
        _emit(_SUMMARY_RENDERERS[fmt](drafted), output)
    statuses = [f.status for section in drafted.sections for f in section.fields]
    _say(
        f"summary: a draft of {len(statuses)} template fields: "
        + ", ".join(f"{statuses.count(status)} {status.value}" for status in SummaryStatus)
    )
    raise typer.Exit(EXIT_PASS)


def _judged(
    manifests: list[Path],
    policy: str,
    input_format: str | None,
    offline: bool,
    cache_dir: Path | None,
    allow_outside_root: bool,
) -> tuple[JudgedManifest, ...]:
    """The manifests judged as ``notice`` and ``summary`` write from them (see :func:`_kept`)."""
    with _kept():
        return judge_manifests(
            manifests,
            policy=policy,
            fmt=input_format,
            offline=offline,
            cache_dir=cache_dir,
            allow_outside_root=allow_outside_root,
        )


def _sources(manifests: list[Path]) -> list[Source]:
    """The manifests, ``-`` read from standard input (once)."""
    if manifests.count(STDIN) > 1:
        raise InputError("-", "standard input can be read once only")
    return [Inline(STDIN_NAME, _stdin_text()) if path == STDIN else path for path in manifests]


def _stdin_text() -> str:
    """Standard input as text, decoded as a file is (bytes that are not UTF-8: an input error)."""
    return document.decode(sys.stdin.buffer.read(), STDIN_NAME)


def _emit(text: str | bytes | Iterable[str], output: Path | None) -> None:
    """The result (UTF-8 bytes, text, or text's pieces in turn) to ``output`` (written
    atomically) or to stdout."""
    if output is not None:
        write_atomically(output, text)
    elif isinstance(text, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    elif isinstance(text, str):
        sys.stdout.write(text)
    else:
        sys.stdout.writelines(text)


def _fail_os(err: OSError, output: Path | None) -> NoReturn:
    _say(f"error: {getattr(err, 'filename', None) or output}: {err.strerror or err}")
    raise typer.Exit(EXIT_INPUT)


@contextmanager
def _guarded(where: str, output: Path | None, debug: bool) -> Iterator[None]:
    """Input errors, file errors and bugs met inside: one line and exit 2, never a traceback
    (but with ``--debug``) and never a pass."""
    try:
        yield
    except AuditorError as err:
        _fail_input(err, debug)
    except OSError as err:
        _fail_os(err, output)
    except ImportError as err:
        line = _missing_extra(err, _command())
        if line is None:
            _fail_unexpected(err, where, debug)
        _say(line)
        raise typer.Exit(EXIT_INPUT) from None
    except Exception as err:
        _fail_unexpected(err, where, debug)


class SchemaReport(StrEnum):
    CHECK = "check"
    SCAN = "scan"


@app.command()
def schema(
    report: Annotated[
        SchemaReport | None,
        typer.Option(
            "--report",
            help="Print the JSON Schema of this JSON report instead (check or scan).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of the native manifest, or of a JSON report (docs/schemas/)."""
    match report:
        case None:
            found = json_schema()
        case SchemaReport.CHECK:
            found = report_schema()
        case SchemaReport.SCAN:
            try:
                from auditor.scan.report import scan_report_schema
            except ImportError as err:
                line = _missing_extra(err, "schema --report scan")
                if line is None:
                    raise
                _say(line)
                raise typer.Exit(EXIT_INPUT) from None
            found = scan_report_schema()
    sys.stdout.write(json.dumps(found, indent=2, sort_keys=True) + "\n")


class RulesFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@app.command()
def rules(
    fmt: Annotated[
        RulesFormat,
        typer.Option(
            "--format", "-f", help="Output format; markdown is docs/rules.md, json is data."
        ),
    ] = RulesFormat.TABLE,
) -> None:
    """List the finding rules, what each means and its severity under each built-in policy."""
    from auditor.policy import load_policy

    book = load_rulebook()
    policies = [load_policy(name) for name in builtin_policies()]
    match fmt:
        case RulesFormat.JSON:
            sys.stdout.write(json.dumps(_rules_data(book, policies), indent=2) + "\n")
        case RulesFormat.MARKDOWN:
            sys.stdout.write(_rules_markdown(book, policies))
        case RulesFormat.TABLE:
            table = Table(title="Finding rules", title_justify="left")
            table.add_column("rule", no_wrap=True)
            table.add_column("what it means")
            for p in policies:
                table.add_column(p.name, no_wrap=True)
            for rule in _rule_entries(book, policies):
                scope = "(auditor scan) " if rule["scan_only"] else ""
                meaning = f"{scope}{rule['summary']}\nFix: {rule['how_to_fix']}"
                row = [Text(rule["id"]), Text(meaning)]
                row += [Text(level) for level in rule["severity"].values()]
                table.add_row(*row)
            _stdout().print(table)


# What every invalid-* id of the scan says: such a row is never allowed, under every policy.
INVALID_RATIONALE = (
    "A row or sample the scan cannot judge has no known source or license, so it is kept out of "
    "the allowed set and fails the gate under every policy."
)


class RuleEntry(TypedDict):
    id: str
    name: str
    summary: str
    rationale: str
    how_to_fix: str
    scan_only: bool
    inherited: bool
    references: list[str]
    severity: dict[str, str]


def _rules_data(book: Rulebook, policies: list[Policy]) -> dict[str, object]:
    return {"schema_version": "1.0", "kind": "rules", "rules": _rule_entries(book, policies)}


def _rule_entries(book: Rulebook, policies: list[Policy]) -> list[RuleEntry]:
    """Every rule, then every invalid-* reason of the scan, as data of one shape."""
    rules: list[RuleEntry] = [
        {
            "id": doc.id.value,
            "name": doc.name,
            "summary": doc.summary,
            "rationale": doc.rationale,
            "how_to_fix": doc.how_to_fix,
            "scan_only": doc.scan_only,
            "inherited": doc.inherited,
            "references": list(doc.references),
            "severity": {p.name: p.severities[doc.id].value for p in policies},
        }
        for doc in book.rules
    ]
    rules += [
        {
            "id": doc.id,
            "name": doc.name,
            "summary": doc.summary,
            "rationale": INVALID_RATIONALE,
            "how_to_fix": doc.how_to_fix,
            "scan_only": True,
            "inherited": False,
            "references": [],
            "severity": {p.name: Severity.ERROR.value for p in policies},
        }
        for doc in book.invalid
    ]
    return rules


def _rules_markdown(book: Rulebook, policies: list[Policy]) -> str:
    """docs/rules.md: every rule under a heading whose anchor is its id (SARIF's helpUri)."""
    out = [
        "# Finding rules\n",
        "Generated by `auditor rules --format markdown`; do not edit. Each heading's anchor is "
        "the rule's id, which SARIF's `helpUri` points at. The `invalid-*` ids at the end say "
        "why `auditor scan` could not judge a row.\n",
    ]
    for rule in _rule_entries(book, policies):
        levels = ", ".join(f"{name}: {level}" for name, level in rule["severity"].items())
        scope = " Raised by `auditor scan` only." if rule["scan_only"] else ""
        out += [
            f"## {rule['id']}\n",
            f"**{rule['name']}.** {rule['summary']}{scope}\n",
            f"**Why it matters.** {rule['rationale']}\n",
            f"**How to fix.** {rule['how_to_fix']}\n",
            f"**Severity.** {levels}.\n",
        ]
        if rule["references"]:
            out.append("**References.**\n\n" + "".join(f"- {u}\n" for u in rule["references"]))
    return "\n".join(out)


registry_app = typer.Typer(
    help="The bundled registry of well-known datasets (rules/registry; docs/registry.md).",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")


class StatsFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@registry_app.command("stats")
def registry_stats(
    fmt: Annotated[
        StatsFormat, typer.Option("--format", "-f", help="Output format.")
    ] = StatsFormat.TABLE,
) -> None:
    """Count the registry's entries by modality and evidence level.

    Evidence levels: publisher (its own terms), expert-audit, hub-tag (unaudited).
    """
    try:
        cov = coverage(load_knowledge())
    except AuditorError as err:
        _fail_input(err, debug=False)
    match fmt:
        case StatsFormat.JSON:
            data = {"schema_version": "1.0", **cov.model_dump(mode="json")}
            sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        case StatsFormat.MARKDOWN:
            sys.stdout.write(cov.markdown())
        case StatsFormat.TABLE:
            table = Table(title="Registry coverage", title_justify="left")
            for column in ("modality", "entries", *EvidenceLevel, "pointer", "withdrawn"):
                table.add_column(column, justify="left" if column == "modality" else "right")
            for row in (*cov.rows, cov.total):
                levels = [str(row.evidence[level]) for level in EvidenceLevel]
                table.add_row(
                    row.modality, str(row.entries), *levels, str(row.pointer), str(row.withdrawn)
                )
            console = Console(highlight=False, markup=False)
            console.print(table)
            console.print(f"{cov.keys} names match these entries (ids, aliases, URLs)")


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
) -> None:
    if version:
        sys.stdout.write(f"auditor {__version__}\n")
        raise typer.Exit(EXIT_PASS)


# Allocations between young-generation collections (CPython's default: 700). An audit builds
# tens of thousands of small objects that all live until the report is written; at the default
# the cyclic collector walks them again and again, a third of the time at 10,000 datasets.
GC_YOUNG_THRESHOLD = 50_000


@contextmanager
def _kept() -> Iterator[None]:
    """What is made inside (a report, judged manifests) lives until the command exits: the
    cyclic collector is paused while it is made, then every object alive goes to the oldest
    generation without being walked (``gc.freeze`` then ``gc.unfreeze``). Else the first
    collection after the audit walks every object it made, a tenth of a 10,000-dataset run. A
    caller's own frozen objects stay frozen (then the objects stay where they are)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def _command() -> str:
    """The subcommand being run, for messages."""
    return next((arg for arg in sys.argv[1:] if not arg.startswith("-")), "")


# Arrow's allocator for the command's own process, unless ARROW_DEFAULT_MEMORY_POOL names one:
# Arrow reads that variable when pyarrow is imported, and no command imports pyarrow before
# main() runs. Arrow's default is mimalloc; with jemalloc `auditor scan` measured 3-6 % faster
# and 7-13 % smaller (benchmarks/bench_scan.py, 10M rows, Parquet, CSV, JSON lines and 8M hosts
# alike; 40M-row Parquet split 639 against 737 MiB resident). Only on x86-64 Linux, where
# pyarrow's wheels build jemalloc in (its ARM Linux wheels have not since pyarrow 18, and Arrow
# would print a warning there); tests/test_cli_habits.py checks. A library caller's process is
# left as it is.
ARROW_POOL = "jemalloc"


def prefer_arrow_pool(environ: MutableMapping[str, str]) -> None:
    """Name :data:`ARROW_POOL` as Arrow's allocator in ``environ``, unless one is named."""
    if sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64"):
        environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", ARROW_POOL)


def main() -> None:
    prefer_arrow_pool(os.environ)
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
    try:
        app()
    except ImportError as err:  # `auditor scan` without the scan extra loads pyarrow at once
        line = _missing_extra(err, _command())
        if line is None:
            raise
        sys.stderr.write(line + "\n")
        raise SystemExit(EXIT_INPUT) from None
