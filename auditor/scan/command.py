"""``auditor scan``: audit every row of a record-level manifest and split it.

Registered in ``auditor/cli.py``; the exit codes are those of ``check``: 0 the gate passes, 1
blocked rows exceed ``--max-blocked-share``, 2 usage or input error.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from auditor.errors import AuditorError, InputError, unexpected_message
from auditor.options import DebugOption, OutputOption, PolicyOption
from auditor.policy import FailOn, Severity
from auditor.render import safe_text, table_text
from auditor.report import ExitCode
from auditor.scan.formats import InputFormat

if TYPE_CHECKING:
    from auditor.scan.engine import ScanOptions
    from auditor.scan.report import ScanReport
    from auditor.scan.sources import Source

EXIT_PASS, EXIT_FAIL, EXIT_INPUT = ExitCode.PASS, ExitCode.FAIL, ExitCode.INPUT


class ScanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    HTML = "html"


class Engine(StrEnum):
    LOCAL = "local"
    RAY = "ray"


def scan(
    manifest: Annotated[
        Path,
        typer.Argument(
            help="Parquet, JSONL or CSV file (optionally .gz/.bz2/.zst/.lz4), a directory of "
            "yt-dlp .info.json files, or a yt-dlp --download-archive file; or keyed samples: "
            "WebDataset tar shards (a folder, or a pattern such as 'shards/{00000..00999}.tar'), "
            "a Hugging Face save_to_disk folder or .arrow file, an MDS folder with index.json.",
            show_default=False,
        ),
    ],
    input_format: Annotated[
        InputFormat | None,
        typer.Option("--input-format", help="Force the input format instead of guessing it."),
    ] = None,
    url_column: Annotated[str, typer.Option("--url-column", help="Column of the URLs.")] = "url",
    license_column: Annotated[
        str | None,
        typer.Option(
            "--license-column",
            help="Column of per-row licenses [default: license, when there is one].",
            show_default=False,
        ),
    ] = None,
    policy: PolicyOption = "commercial",
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="How the content was collected (api, licensed, download, scrape, crawl, "
            "yt-dlp). Unstated: automated collection is assumed [yt-dlp inputs: yt-dlp].",
            show_default=False,
        ),
    ] = None,
    optout_snapshots: Annotated[
        Path | None,
        typer.Option(
            "--optout-snapshots",
            help="Directory of saved opt-out files: <dir>/<host>/robots.txt, ai.txt, "
            ".well-known/tdmrep.json. Never fetched: scan makes no network requests.",
        ),
    ] = None,
    user_agent: Annotated[
        list[str] | None,
        typer.Option(
            "--user-agent",
            help="Also judge robots.txt and ai.txt for this crawler token (repeatable).",
        ),
    ] = None,
    fmt: Annotated[
        ScanFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ScanFormat.TABLE,
    output: OutputOption = None,
    write_allowed: Annotated[
        Path | None,
        typer.Option("--write-allowed", help="Write the allowed rows here, in the input's format."),
    ] = None,
    write_blocked: Annotated[
        Path | None,
        typer.Option(
            "--write-blocked", help="Write every other row (invalid ones too) here, likewise."
        ),
    ] = None,
    write_blocked_keys: Annotated[
        Path | None,
        typer.Option(
            "--write-blocked-keys",
            help="Keyed samples: write 'shard<TAB>key' of every sample kept out (blocked or "
            "invalid) here, for a loader to skip (auditor.scan.loader). With WebDataset "
            "shards, --write-allowed and --write-blocked name folders of filtered shards.",
        ),
    ] = None,
    max_blocked_share: Annotated[
        float,
        typer.Option(
            "--max-blocked-share",
            min=0.0,
            max=1.0,
            help="The gate fails when the share of blocked rows exceeds this.",
        ),
    ] = 0.0,
    fail_on: Annotated[
        FailOn,
        typer.Option("--fail-on", help="Lowest severity that blocks a row."),
    ] = FailOn.ERROR,
    top_fraction: Annotated[
        float,
        typer.Option(
            "--top-fraction",
            min=0.0,
            max=1.0,
            help="Share of domains listed as top domains (above 0).",
        ),
    ] = 0.1,
    max_domains: Annotated[
        int,
        typer.Option("--max-domains", min=0, help="Domains listed in the report (0: all)."),
    ] = 1000,
    max_domain_entries: Annotated[
        int,
        typer.Option(
            "--max-domain-entries",
            min=1,
            help="Entries (domain, platform, rule mask) counted exactly; beyond, the domain "
            "table is a bounded summary. Verdicts and the split are always exact.",
        ),
    ] = 1_000_000,  # auditor.scan.domains.MAX_ENTRIES, not imported before a scan runs
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="Run locally, or on Ray (pip install 'auditor[ray]'): the workers read, judge "
            "and write the split, as folders of part files.",
        ),
    ] = Engine.LOCAL,
    debug: DebugOption = False,
) -> None:
    """Audit every row of a record-level manifest (URLs, per-row licenses) and split it."""
    # pyarrow and the scan engine load here, not when the CLI starts.
    from auditor.output import check_outputs, write_atomically
    from auditor.scan.engine import ScanOptions
    from auditor.scan.render import summary_line
    from auditor.scan.samples import SAMPLE_FORMATS, detect_sample_format, scan_input
    from auditor.scan.sources import Source, detect_format

    if not top_fraction > 0:  # an explicit 0 is refused, never replaced by the default
        raise typer.BadParameter("must be above 0", param_hint="'--top-fraction'")
    console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    options = ScanOptions(
        policy=policy,
        method=method,
        snapshots=optout_snapshots,
        user_agents=tuple(user_agent or ()),
        fail_on=Severity(fail_on.value),
        max_blocked_share=max_blocked_share,
        top_fraction=top_fraction,
        max_domains=max_domains,
        max_domain_entries=max_domain_entries,
        write_allowed=write_allowed,
        write_blocked=write_blocked,
    )
    try:
        kind = input_format or detect_sample_format(manifest)
        folders = kind in SAMPLE_FORMATS  # --write-allowed and --write-blocked name folders
        outputs = {"--output": output, "--write-allowed": None if folders else write_allowed}
        check_outputs(
            {
                **outputs,
                "--write-blocked": None if folders else write_blocked,
                "--write-blocked-keys": write_blocked_keys,
            },
            [manifest],
        )
        if optout_snapshots is not None and not optout_snapshots.is_dir():
            raise InputError(optout_snapshots, "the opt-out snapshot directory does not exist")
        report: ScanReport
        if kind is not None and kind in SAMPLE_FORMATS:
            if engine is not Engine.LOCAL:
                raise InputError(manifest, "keyed samples are scanned with --engine local only")
            with _progress(console, None) as advance:
                report = scan_input(
                    manifest,
                    kind,
                    options,
                    url_field=url_column,
                    license_field=license_column,
                    blocked_keys=write_blocked_keys,
                    progress=advance,
                )
        else:
            if write_blocked_keys is not None:
                raise InputError(
                    write_blocked_keys,
                    "--write-blocked-keys is for keyed samples (WebDataset, saved datasets, MDS)",
                )
            source = Source(
                manifest,
                kind or detect_format(manifest),
                url_column=url_column,
                license_column=license_column,
            )
            with _progress(console, source.total_rows) as advance:
                report = _run(source, options, engine, advance)
        text = _render(report, fmt, to_file=output is not None)
        if output is not None and text is not None:
            write_atomically(output, text)
        elif text is not None:
            sys.stdout.write(text)
    except AuditorError as err:
        if debug:
            traceback.print_exc()
        console.print(f"error: {safe_text(str(err))}")
        raise typer.Exit(EXIT_INPUT) from None
    except OSError as err:
        if debug:
            traceback.print_exc()
        where = getattr(err, "filename", None) or manifest
        console.print(f"error: {safe_text(f'{where}: {err.strerror or err}')}")
        raise typer.Exit(EXIT_INPUT) from None
    except Exception as err:  # a bug: one line naming the input, exit 2, never a pass
        if debug:
            traceback.print_exc()
        console.print(f"error: {safe_text(unexpected_message(err, str(manifest)))}")
        raise typer.Exit(EXIT_INPUT) from None
    console.print(summary_line(report))
    raise typer.Exit(EXIT_PASS if report.passed else EXIT_FAIL)


def _run(
    source: Source, options: ScanOptions, engine: Engine, advance: Callable[[int], None]
) -> ScanReport:
    match engine:
        case Engine.LOCAL:
            from auditor.scan.engine import scan as scan_locally

            return scan_locally(source, options, advance)
        case Engine.RAY:
            from auditor.scan.distributed import scan_on_ray

            return scan_on_ray(source, options, advance)


def _render(report: ScanReport, fmt: ScanFormat, *, to_file: bool) -> str | None:
    from auditor.scan.html import render_html
    from auditor.scan.render import render_json, render_table

    match fmt:
        case ScanFormat.JSON:
            return render_json(report)
        case ScanFormat.HTML:
            return render_html(report)
        case ScanFormat.TABLE:
            if to_file:
                return table_text(lambda console: render_table(report, console))
            render_table(report, Console(highlight=False, markup=False))
            return None


@contextmanager
def _progress(console: Console, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar of rows on stderr (rows, rate, ETA); silent when stderr is no terminal."""
    if not console.is_terminal:
        yield lambda rows: None
        return
    columns = [
        TextColumn("scanning"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("scan", total=total, rate="")

        def advance(rows: int) -> None:
            bar.advance(task, rows)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.0f} rows/s" if speed else "")

        yield advance
